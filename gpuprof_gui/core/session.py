"""Sessions: one run — script text, profile, console, lab results, telemetry, advice — in one file.

The format is JSON (never pickle), versioned, and documented in docs/session-format.md::

    {"format": "gpuprof-session", "version": 1, "created": ISO-8601 UTC, "app_version": "0.1.0",
     "host": str, "title": str,
     "script":    {"path", "name", "text", "args", "profiler"} | null,
     "run":       {"status", "message", "exit_code", "wall_s"} | null,
     "console":   {"text", "truncated"} | null,
     "profile":   a gpuprof profile (core/serialize.py)  | null,
     "lab":       kernel-lab results (core/lab_model.py) | null,
     "telemetry": a telemetry trace (gpu/trace_io.py)    | null,
     "advice":    an advisor session (core/advice_session.py) | null}

Writes are atomic (temporary file, fsync, rename), so a crash mid-save leaves the
previous file whole. A damaged file, or one from a newer version, raises
:class:`SessionError` with one plain sentence; nothing here crashes on bad input.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gpuprof_gui.core.atomic import write_json
from gpuprof_gui.core.importers.errors import ProfileFormatError
from gpuprof_gui.core.json_text import JSONTextError, read_json_file
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.numbers import NumberError, number, optional_number

SESSION_FORMAT = "gpuprof-session"
SESSION_VERSION = 1
SESSION_SUFFIX = ".gpuprof-session.json"
AUTOSAVE_NAME = "session" + SESSION_SUFFIX
"""What the window saves into each run's folder beside the run's ``profile.prof``; the
door (jobs/opening.py) reads it to name that profile by its script and run time."""
# The console keeps the last 1 MiB of the script's output: enough to see how a run
# ended, small enough that a script flooding stdout cannot make the session huge.
CONSOLE_MAX_CHARS = 1 << 20
SCRIPT_MAX_CHARS = 4 << 20  # a script larger than this is recorded without its text


class SessionError(ValueError):
    """The file is not a session this version can open; the message says why in plain words."""


@dataclass
class Session:
    title: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    app_version: str = ""
    host: str = field(default_factory=socket.gethostname)
    script: dict | None = None
    run: dict | None = None
    console: dict | None = None
    profile: Profile | None = None
    lab: LabRun | None = None
    telemetry: dict | None = None  # a trace as written by gpu/trace_io.trace_to_json
    advice: dict | None = None  # an advisor session as written by AdviceSession.to_dict

    @staticmethod
    def script_record(path: str, args: list[str] | None = None, profiler: str = "") -> dict:
        """The script's path, name and text (read now: the session keeps what ran)."""
        text = None
        try:
            if os.path.getsize(path) <= SCRIPT_MAX_CHARS:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
        except OSError:
            pass
        return {
            "path": os.path.abspath(path),
            "name": os.path.basename(path),
            "text": text,
            "args": list(args or []),
            "profiler": profiler,
        }

    @staticmethod
    def console_record(text: str) -> dict:
        truncated = len(text) > CONSOLE_MAX_CHARS
        return {"text": text[-CONSOLE_MAX_CHARS:] if truncated else text, "truncated": truncated}

    def to_dict(self) -> dict[str, Any]:
        from gpuprof_gui.core.serialize import profile_to_dict

        return {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "created": self.created,
            "app_version": self.app_version,
            "host": self.host,
            "title": self.title,
            "script": self.script,
            "run": self.run,
            "console": self.console,
            "profile": profile_to_dict(self.profile) if self.profile is not None else None,
            "lab": self.lab.to_dict() if self.lab is not None else None,
            "telemetry": self.telemetry,
            "advice": self.advice,
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Session:
        from gpuprof_gui.core.serialize import profile_from_dict

        if not isinstance(raw, dict) or raw.get("format") != SESSION_FORMAT:
            raise SessionError("This file is JSON but not a gpuprof session.")
        version = raw.get("version")
        if not isinstance(version, int) or version < 1:
            raise SessionError("This gpuprof session has no valid format version.")
        if version > SESSION_VERSION:
            raise SessionError(
                f"This session was saved by a newer gpuprof-gui (format version {version}); "
                f"this version opens format version {SESSION_VERSION}. Please update gpuprof-gui."
            )
        try:
            return cls(
                title=str(raw.get("title") or ""),
                created=str(raw.get("created") or ""),
                app_version=str(raw.get("app_version") or ""),
                host=str(raw.get("host") or ""),
                script=_optional_dict(raw, "script"),
                run=_checked_run(_optional_dict(raw, "run")),
                console=_optional_dict(raw, "console"),
                profile=profile_from_dict(raw["profile"]) if raw.get("profile") else None,
                lab=LabRun.from_dict(raw["lab"]) if raw.get("lab") else None,
                telemetry=_optional_dict(raw, "telemetry"),
                advice=_optional_dict(raw, "advice"),
            )
        except ProfileFormatError as exc:
            raise SessionError(f"The session's profile is damaged: {exc}") from exc
        except NumberError as exc:
            raise SessionError(f"The session holds a number out of range: {exc}.") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SessionError(f"The session file is damaged ({type(exc).__name__}: {exc}).") from exc


MAX_EXIT_CODE = 2**63
"""Largest exit status kept (either sign): a script's ``SystemExit(n)`` may carry any integer."""


def _checked_run(run: dict | None) -> dict | None:
    """The run record with its numbers in range: ``wall_s`` a time, ``exit_code`` an integer."""
    if run is None:
        return None
    optional_number(run.get("wall_s"), "run.wall_s")
    code = run.get("exit_code")
    if code is not None:
        value = number(code, "run.exit_code", -MAX_EXIT_CODE, MAX_EXIT_CODE)
        if not value.is_integer():
            raise NumberError(f"run.exit_code is {code!r}, not a whole number")
    return run


def _optional_dict(raw: dict, key: str) -> dict | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"'{key}' should be an object, not {type(value).__name__}")
    return value


def save_session(session: Session, path: str | os.PathLike) -> None:
    """Write ``session`` atomically: readers see the old file or the new one, never half of one."""
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    write_json(path, session.to_dict(), prefix=".gpuprof-session-")


def load_session(path: str | os.PathLike) -> Session:
    """Read a session; SessionError with a plain sentence when it cannot be opened."""
    name = os.path.basename(os.fspath(path))
    try:
        raw = read_json_file(path, "a gpuprof session")
    except FileNotFoundError as exc:
        raise SessionError(f"{name}: no such file.") from exc
    except OSError as exc:
        raise SessionError(f"{name} cannot be read ({exc.strerror or exc}).") from exc
    except JSONTextError as exc:
        raise SessionError(f"{name}: {exc}") from None
    return Session.from_dict(raw)


def is_session_file(path: str) -> bool:
    """Cheap sniff: does the file start like a session? (For File ▸ Open routing.)"""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    return b'"format"' in head and SESSION_FORMAT.encode() in head
