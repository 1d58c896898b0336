"""Messages exchanged with worker processes, and their exit codes.

Workers talk to their parent over a dedicated pipe (``--channel-fd N``), one
JSON object per line, so the profiled script's own stdout/stderr stay
untouched and a script printing ``{"type": ...}`` cannot confuse the reader.
The first message is always ``hello``; large payloads travel as file paths.
"""

from __future__ import annotations

import json
import sys
from enum import Enum, IntEnum
from typing import Any

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # the profile worker also runs in the user's own Python, 3.9 and newer

    class StrEnum(str, Enum):
        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return format(str(self.value), spec)


PROTOCOL_VERSION = 1

PROFILERS = ("cprofile", "scalene", "py-spy")
"""The profilers a run can use (the worker's ``--profiler`` choices)."""

STACKS_SUFFIX = ".stacks"
"""The profile worker saves the sampled stacks of a cProfile run beside its
dump as ``<dump>.stacks`` (py-spy's raw format); the importer reads them there."""

GPU_TRACE_SUFFIX = ".gpu-trace.json"
"""A run traced on the GPU ("Trace GPU", ``gpuprof profile --gpu-trace``) keeps its GPU trace beside its
profile as ``<profile>.gpu-trace.json`` (core/gpu_trace.py's format); opening the profile opens it too."""
GPU_TELEMETRY_SUFFIX = ".gpu-telemetry.json"
"""... and the GPU telemetry sampled during that run as ``<profile>.gpu-telemetry.json`` (gpu/trace_io.py's
format), placed on the trace's clock by ``clock.monotonic_ns`` in the GPU trace and ``t0_monotonic`` in it."""

CHANNEL_FD_ARG = "--channel-fd"


class MsgType(StrEnum):
    HELLO = "hello"  # {"version": int, "pid": int, "worker": str, "python": "3.12.1"}
    PROGRESS = "progress"  # {"phase": str, "fraction": float | None}
    LOG = "log"  # {"level": "info"|"warning", "text": str}
    RESULT = "result"  # worker-specific payload; big data by "path"
    ERROR = "error"  # {"code": int (ExitCode), "message": str, "traceback": str | None}


class ExitCode(IntEnum):
    """A worker's own exit status; each has a sentence a user can read.

    The profiled script's exit status travels separately (in the ``result``
    message), because a script may exit with any number.
    """

    OK = 0
    BAD_ARGUMENTS = 100
    SCRIPT_NOT_FOUND = 101
    NOT_A_FILE = 102
    NOT_PYTHON = 103
    SYNTAX_ERROR = 104
    PROFILER_MISSING = 105
    PROFILER_FAILED = 106
    BAD_PROFILE_FILE = 107
    PROTOCOL_MISMATCH = 108
    INTERNAL_ERROR = 109
    REMOTE_FAILED = 110
    CONNECTION_LOST = 111

    @property
    def message(self) -> str:
        return _EXIT_MESSAGES[self]


_EXIT_MESSAGES = {
    ExitCode.OK: "Finished.",
    ExitCode.BAD_ARGUMENTS: "The worker was started with arguments it does not understand.",
    ExitCode.SCRIPT_NOT_FOUND: "The script does not exist.",
    ExitCode.NOT_A_FILE: "That path is a directory or special file, not a Python script.",
    ExitCode.NOT_PYTHON: "The file is not Python source text (it looks binary or is not UTF-8).",
    ExitCode.SYNTAX_ERROR: "The script has a syntax error and could not start.",
    ExitCode.PROFILER_MISSING: "The chosen profiler is not installed in this Python environment.",
    ExitCode.PROFILER_FAILED: "The profiler ran but produced no usable profile.",
    ExitCode.BAD_PROFILE_FILE: "The profile file is damaged, truncated or of an unknown format.",
    ExitCode.PROTOCOL_MISMATCH: "The worker speaks a different protocol version (mixed installations?).",
    ExitCode.INTERNAL_ERROR: "gpuprof-gui hit an internal error in the worker; the traceback says where.",
    ExitCode.REMOTE_FAILED: "The remote host could not run the worker.",
    ExitCode.CONNECTION_LOST: "The connection to the remote host was lost during the run; the run there was stopped.",
}


def describe_exit(code: int) -> str:
    """User-facing sentence for a worker's exit status (signals are negative)."""
    if code < 0:
        return describe_signal(-code)
    try:
        return ExitCode(code).message
    except ValueError:
        return f"The worker exited with status {code}."


def describe_signal(signum: int) -> str:
    import signal

    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    plain = {
        "SIGSEGV": "it crashed with a segmentation fault (invalid memory access in native code)",
        "SIGKILL": "it was killed (cancelled, timed out, or out of memory)",
        "SIGABRT": "it aborted (a native library called abort())",
        "SIGTERM": "it was asked to terminate",
        "SIGBUS": "it crashed with a bus error",
        "SIGFPE": "it crashed with a floating-point exception in native code",
        "SIGILL": "it executed an illegal instruction",
    }.get(name, "it was stopped by a signal")
    return f"The process ended on {name}: {plain}."


def encode(msg_type: MsgType, **fields: Any) -> bytes:
    """One protocol message as a UTF-8 JSON line."""
    fields["type"] = str(msg_type)
    return (json.dumps(fields, separators=(",", ":"), default=str) + "\n").encode()


def hello(worker: str, pid: int) -> bytes:
    """The first message: the protocol version, and the Python the worker runs in."""
    python = ".".join(map(str, sys.version_info[:3]))
    return encode(MsgType.HELLO, version=PROTOCOL_VERSION, pid=pid, worker=worker, python=python)


class LineDecoder:
    """Splits a byte stream into protocol messages, keeping partial lines.

    Malformed lines are returned as ``{"type": "invalid", "raw": ...}`` rather
    than raised, so a reader never dies on garbage.
    """

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        out = []
        for raw in lines:
            if not raw.strip():
                continue
            try:
                msg = json.loads(raw)
                if not isinstance(msg, dict) or "type" not in msg:
                    raise ValueError("not a message")
            except ValueError:
                msg = {"type": "invalid", "raw": raw[:200].decode(errors="replace")}
            out.append(msg)
        return out
