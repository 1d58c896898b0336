"""Where a profile came from, and the human name every title, header and export calls it by.

Every run used to be called ``profile.prof`` (the file each run writes), so the
Compare tab read "A: profile.prof B: profile.prof" and the HTML report was
titled ``profile.prof``. A :class:`Provenance` names a profile the way a person
would: the script and the time it ran ("train.py 14:02:31"), or the file's own
name when nothing better is known, and keeps the run's facts (arguments,
profiler, run time, host) for the report.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from gpuprof_gui.core.json_text import read_json_file
from gpuprof_gui.core.session import AUTOSAVE_NAME

RUN_FILE_NAMES = ("profile.prof", "profile.json", "profile.folded")
"""What a run writes into its own folder: a name that says nothing about the run."""
RUN_SESSION_NAME = AUTOSAVE_NAME
"""The session a run autosaves beside its profile: it knows the script, arguments and run time."""
RUN_SESSION_MAX_BYTES = 256 * 1024 * 1024
"""A sibling session larger than this is not read just to name a profile (a 1 MB one reads in ~30 ms)."""

KINDS = ("run", "file", "session", "advice")


@dataclass(frozen=True)
class Provenance:
    """Where a profile on show came from. ``kind``: "run", "file", "session" or "advice"."""

    kind: str = "file"
    path: str = ""  # the file the profile was read from ("" for one held in memory)
    script: str = ""  # the script that ran, when known
    args: tuple[str, ...] = ()
    profiler: str = ""
    host: str = ""
    started: str = ""  # ISO 8601 local time the run started (or the file was written)
    wall_s: float | None = None
    title: str = ""  # a name given explicitly (a session's title)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        """The human name: the title, else "script.py 14:02:31", else the file's name."""
        if self.title:
            return self.title
        if self.script:
            stamp = self.clock()
            return f"{os.path.basename(self.script)} {stamp}".strip()
        if self.path:
            return os.path.basename(self.path)
        return "unsaved profile"

    def clock(self) -> str:
        """The start time as HH:MM:SS ('' when unknown)."""
        when = _parse(self.started)
        return when.strftime("%H:%M:%S") if when is not None else ""

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) rows for a report: script, arguments, profiler, start, run time, host, file."""
        rows = []
        if self.script:
            rows.append(("Script", self.script))
            rows.append(("Arguments", " ".join(self.args) if self.args else "(none)"))
        if self.profiler:
            rows.append(("Profiler", self.profiler))
        when = _parse(self.started)
        if when is not None:
            rows.append(("Started", when.strftime("%Y-%m-%d %H:%M:%S")))
        if self.wall_s is not None:
            rows.append(("Run time", f"{self.wall_s:.2f} s"))
        if self.host:
            rows.append(("Host", self.host))
        if self.path:
            rows.append(("File", self.path))
        return rows

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["args"] = list(self.args)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Provenance:
        data = dict(data or {})
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        known["args"] = tuple(str(a) for a in known.get("args") or ())
        if known.get("kind") not in KINDS:
            known["kind"] = "file"
        for key in ("path", "script", "profiler", "host", "started", "title"):
            if key in known and not isinstance(known[key], str):
                known[key] = "" if known[key] is None else str(known[key])
        wall = known.get("wall_s")
        known["wall_s"] = float(wall) if isinstance(wall, (int, float)) and wall == wall and wall >= 0 else None
        known["extra"] = dict(known.get("extra") or {}) if isinstance(known.get("extra"), dict) else {}
        return cls(**known)

    @classmethod
    def for_run(
        cls,
        script: str,
        args: list[str] | tuple[str, ...] = (),
        profiler: str = "",
        started: float | None = None,
        path: str = "",
        wall_s: float | None = None,
        host: str = "",
    ) -> Provenance:
        """A run of ``script`` that started at ``started`` (seconds since the epoch; now when None)."""
        return cls(
            kind="run",
            path=path,
            script=os.path.abspath(script) if script else "",
            args=tuple(args),
            profiler=profiler,
            host=host,
            started=_iso(started if started is not None else time.time()),
            wall_s=wall_s,
        )

    @classmethod
    def for_file(cls, path: str) -> Provenance:
        """A profile file opened by the user: named by its file, dated by its modification time."""
        try:
            started = _iso(os.path.getmtime(path))
        except OSError:
            started = ""
        return cls(kind="file", path=os.path.abspath(path) if path else "", started=started)

    @classmethod
    def for_path(cls, path: str) -> Provenance:
        """A profile file; a run's own ``profile.prof`` is named after the run that wrote it.

        The run's facts come from the session autosaved beside it; anything wrong
        with that file just leaves the plain file name.
        """
        plain = cls.for_file(path)
        if os.path.basename(path) not in RUN_FILE_NAMES:
            return plain
        beside = os.path.join(os.path.dirname(os.path.abspath(path)), RUN_SESSION_NAME)
        try:
            if os.path.getsize(beside) > RUN_SESSION_MAX_BYTES:
                return plain
            data = read_json_file(beside, "a gpuprof session")  # the one JSON reader: deep nesting is a ValueError
        except (OSError, ValueError):
            return plain
        if not isinstance(data, dict) or not isinstance(data.get("script"), dict):
            return plain
        run_record = data.get("run")
        run: dict[str, Any] = run_record if isinstance(run_record, dict) else {}
        script = data["script"]
        return cls.from_dict(
            {
                "kind": "run",
                "path": plain.path,
                "script": script.get("path") or "",
                "args": script.get("args") if isinstance(script.get("args"), list) else (),
                "profiler": script.get("profiler") or "",
                "host": data.get("host") or "",
                "started": data.get("created") or plain.started,
                "wall_s": run.get("wall_s"),
            }
        )

    @classmethod
    def for_session(cls, session: Any, path: str, kind: str = "session") -> Provenance:
        """A saved session: its script record, run record and title."""
        script = getattr(session, "script", None) or {}
        if isinstance(script, str):  # an advice session keeps the script's path only
            script = {"path": script}
        run = getattr(session, "run", None) or {}
        wall = run.get("wall_s") if isinstance(run, dict) else None
        return cls.from_dict(
            {
                "kind": kind,
                "path": os.path.abspath(path) if path else "",
                "script": script.get("path") or script.get("name") or "",
                "args": script.get("args") or (),
                "profiler": script.get("profiler") or "",
                "host": getattr(session, "host", "") or "",
                "started": getattr(session, "created", "") or getattr(session, "date", "") or "",
                "wall_s": wall,
                "title": getattr(session, "title", "") or "",
            }
        )

    def with_changes(self, **changes: Any) -> Provenance:
        data = self.to_dict()
        data.update(changes)
        return Provenance.from_dict(data)


def distinct_names(a: Provenance, b: Provenance) -> tuple[str, str]:
    """Names for two profiles shown together (Compare) that a reader can tell apart.

    Equal names get what differs added: the date and time, else the folder, else "(A)"/"(B)".
    """
    name_a, name_b = a.name, b.name
    if name_a != name_b:
        return name_a, name_b
    when_a, when_b = _parse(a.started), _parse(b.started)
    if when_a is not None and when_b is not None and when_a != when_b:
        fmt = "%H:%M:%S" if when_a.date() == when_b.date() else "%Y-%m-%d %H:%M:%S"
        base_a = os.path.basename(a.script or a.path) or name_a
        base_b = os.path.basename(b.script or b.path) or name_b
        return f"{base_a} {when_a.strftime(fmt)}", f"{base_b} {when_b.strftime(fmt)}"
    dir_a, dir_b = os.path.basename(os.path.dirname(a.path)), os.path.basename(os.path.dirname(b.path))
    if a.path != b.path and dir_a and dir_b and dir_a != dir_b:
        return f"{name_a} ({dir_a})", f"{name_b} ({dir_b})"
    return f"{name_a} (A)", f"{name_b} (B)"


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s).astimezone().isoformat(timespec="seconds")


def _parse(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.astimezone() if when.tzinfo is not None else when
