"""How a worker run ended: the protocol messages and exit status turned into a RunOutcome.

Pure (no processes): the CLI's supervisor and the GUI's ``QProcess`` runner
feed the same :class:`OutcomeTracker`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gpuprof_gui import protocol
from gpuprof_gui.jobs.process_group import signal_words
from gpuprof_gui.protocol import ExitCode, MsgType

STATUSES = ("finished", "script_error", "crashed", "cancelled", "timed_out", "could_not_start", "interrupted")
"""``interrupted``: a remote run whose connection dropped; what came back before is kept."""


@dataclass
class RunOutcome:
    """How a run ended, in words a status bar can show."""

    status: str  # one of STATUSES
    ok: bool  # a profile file exists
    script_exit_code: int | None
    signal: int | None
    wall_s: float
    message: str
    profile_path: str | None
    profiler: str
    traceback: str | None = None
    notes: list[str] = field(default_factory=list)
    output_dir: str | None = None
    sampler_cpu_s: float | None = None  # CPU the call-path sampler (py-spy) used, cProfile runs
    python_version: str | None = None  # the Python the worker (and the script) ran in, from its hello


def _text_or_none(value) -> str | None:
    return value[:40] if isinstance(value, str) else None


def _float_or_none(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


class OutcomeTracker:
    """Turns the protocol messages of one run and its exit status into a RunOutcome.

    Pure: feed it every decoded message (:class:`protocol.LineDecoder`), then
    call :meth:`finish` once the worker process has exited.
    """

    def __init__(
        self, profiler: str = "cprofile", timeout_s: float | None = None, output_dir: str | None = None
    ) -> None:
        self.profiler = profiler
        self.timeout_s = timeout_s
        self.output_dir = output_dir
        self.hello: dict | None = None
        self.result: dict | None = None
        self.error: dict | None = None
        self.logs: list[dict] = []
        self.invalid_lines = 0
        self.convert: Callable[[dict], None] | None = None
        """Makes raw py-spy stacks a result names (``raw_stacks``) into its profile, in the app's process."""

    def feed(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == MsgType.HELLO:
            self.hello = msg
        elif kind == MsgType.RESULT:
            self.result = msg
        elif kind == MsgType.ERROR:
            self.error = msg
        elif kind == MsgType.LOG:
            self.logs.append(msg)
        elif kind == "invalid":
            self.invalid_lines += 1

    def outcome(self, status: str, message: str, wall_s: float, **kw) -> RunOutcome:
        """A RunOutcome with ``status`` and ``message``; ``kw`` overrides what the result said."""
        result = self.result or {}
        profile_path = kw.pop("profile_path", result.get("profile_path"))
        return RunOutcome(
            status=status,
            ok=profile_path is not None,
            message=message,
            wall_s=wall_s,
            profile_path=profile_path,
            profiler=result.get("profiler", self.profiler),
            script_exit_code=kw.pop("script_exit_code", result.get("script_exit_code")),
            signal=kw.pop("signal", result.get("signal")),
            traceback=result.get("traceback"),
            notes=list(result.get("notes") or []),
            output_dir=self.output_dir,
            sampler_cpu_s=_float_or_none(result.get("sampler_cpu_s")),
            python_version=_text_or_none((self.hello or {}).get("python")),
            **kw,
        )

    def finish(
        self, returncode: int, cancelled: bool = False, timed_out: bool = False, wall_s: float = 0.0
    ) -> RunOutcome:
        if self.hello is not None and self.hello.get("version") != protocol.PROTOCOL_VERSION:
            return self.outcome("could_not_start", ExitCode.PROTOCOL_MISMATCH.message, wall_s, profile_path=None)
        if self.error is not None and self.error.get("code") == ExitCode.CONNECTION_LOST:
            return self.outcome("interrupted", str(self.error.get("message")), wall_s, script_exit_code=None)
        if self.error is not None:
            return self.outcome(
                "could_not_start", str(self.error.get("message")), wall_s, profile_path=None, script_exit_code=None
            )
        if self.result is None:
            return self._no_result(returncode, cancelled, timed_out, wall_s)
        res = self.result
        if res.get("raw_stacks") and not res.get("profile_path") and self.convert is not None:
            self.convert(res)
        wall_s = float(res.get("wall_s") or wall_s)
        has_profile = res.get("profile_path") is not None
        shown = "partial profile shown" if has_profile else "no profile was saved"
        note = "".join(" " + n for n in res.get("notes") or [])
        if timed_out:
            return self.outcome(
                "timed_out", f"Stopped after the {self._timeout_words()} timeout; {shown}.{note}", wall_s
            )
        if cancelled:
            return self.outcome("cancelled", f"Cancelled after {wall_s:.1f} s; {shown}.{note}", wall_s)
        if res.get("status") == "cancelled":  # SIGTERM, but neither Cancel nor the timeout sent it
            return self.outcome(
                "cancelled",
                f"The run was stopped after {wall_s:.1f} s by a SIGTERM that gpuprof did not send "
                f"(the script itself, which runs inside the profiler's process, or another program "
                f"sent it); {shown}.{note}",
                wall_s,
            )
        code = res.get("script_exit_code")
        if res.get("signal") is not None or not has_profile:
            what = signal_words(int(res["signal"])) if res.get("signal") is not None else f"ended (exit code {code})"
            return self.outcome("crashed", f"The script {what}; no profile was saved.{note}", wall_s)
        if res.get("status") == "exception":
            return self.outcome(
                "script_error",
                f"The script raised {res.get('exception')} (exit code {code}). "
                f"The profile up to that point is shown.{note}",
                wall_s,
            )
        if code:
            return self.outcome(
                "script_error",
                f"The script exited with code {code} after "
                f"{wall_s:.2f} s. The profile up to that point is shown.{note}",
                wall_s,
            )
        return self.outcome("finished", f"Finished in {wall_s:.2f} s.{note}", wall_s)

    def _timeout_words(self) -> str:
        return f"{self.timeout_s:g} s" if self.timeout_s is not None else "time"

    def _no_result(self, returncode: int, cancelled: bool, timed_out: bool, wall_s: float) -> RunOutcome:
        none = {"profile_path": None, "script_exit_code": None}
        if timed_out:
            return self.outcome(
                "timed_out", f"Stopped after the {self._timeout_words()} timeout; no profile was saved.", wall_s, **none
            )
        if cancelled:
            return self.outcome("cancelled", f"Cancelled after {wall_s:.1f} s; no profile was saved.", wall_s, **none)
        if self.hello is None:
            return self.outcome(
                "could_not_start",
                f"The profiling worker could not start ({protocol.describe_exit(returncode)})",
                wall_s,
                **none,
            )
        if returncode < 0:
            return self.outcome(
                "crashed",
                f"The script {signal_words(-returncode)}; no profile was saved.",
                wall_s,
                signal=-returncode,
                **none,
            )
        return self.outcome(
            "crashed",
            f"The profiling worker ended with status {returncode} without reporting; no profile was saved.",
            wall_s,
            **none,
        )
