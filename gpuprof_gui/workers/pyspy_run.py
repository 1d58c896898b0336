"""py-spy mode of the profile worker: real sampled stacks of the script and of its child processes.

py-spy starts the script itself (through :mod:`pyspy_target`), so it is the
script's ancestor and may read it and every process it starts even where the
system lets a process trace only its descendants (Yama ``ptrace_scope`` 1).
Where tracing is forbidden altogether, the run ends with one sentence saying
so and what to change.

Cancel: the worker ignores SIGTERM while py-spy runs and py-spy inherits
that, so a Cancel (SIGTERM to the whole process group) ends the script and its
children while py-spy stays to write what it sampled; the worker also asks it
to finish (SIGINT, py-spy's Ctrl-C). py-spy's own messages go to a log file;
the script's output reaches the console unchanged through a descriptor the
launcher puts back in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import types

from gpuprof_gui.protocol import ExitCode, MsgType
from gpuprof_gui.workers._channel import Channel
from gpuprof_gui.workers.stack_sampler import find_py_spy, last_problem

RATE_HZ = 100
"""py-spy's default: 10 ms between samples, ~1% overhead on the sampled process."""

RAW_NAME = "pyspy-raw.txt"
STATUS_NAME = "script-status.json"
LOG_NAME = "py-spy.log"
PROFILE_NAME = "profile.json"

PTRACE_WORDS = ("permission denied", "operation not permitted", "ptrace", "elevated permissions")
PTRACE_MESSAGE = (
    "py-spy was not allowed to read the script's process: this system forbids tracing "
    "(Linux's kernel.yama.ptrace_scope is 2 or 3, or the container lacks the SYS_PTRACE "
    "capability). Allow it with 'sudo sysctl kernel.yama.ptrace_scope=1' (or run the container "
    "with --cap-add SYS_PTRACE), or choose cProfile or Scalene."
)
MISSING_MESSAGE = "py-spy is not installed in this Python environment (pip install py-spy), or choose cProfile."


def run_pyspy(script: str, args: list[str], output_dir: str, native: bool, channel: Channel) -> int:
    """Run the script under ``py-spy record`` and report the converted profile."""
    exe = find_py_spy()
    if exe is None:
        channel.error(ExitCode.PROFILER_MISSING, MISSING_MESSAGE)
        return ExitCode.PROFILER_MISSING
    raw_path = os.path.join(output_dir, RAW_NAME)
    status_path = os.path.join(output_dir, STATUS_NAME)
    log_path = os.path.join(output_dir, LOG_NAME)
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyspy_target.py")
    # The one-folder app's modules live in its archive, not as files: its
    # executable stands in for python and runs the launcher as a module.
    launcher = ["-m", "gpuprof_gui.workers.pyspy_target"] if getattr(sys, "frozen", False) else [target]
    stdout_copy, stderr_copy = os.dup(1), os.dup(2)  # the script's streams, handed past py-spy's own
    argv = [
        exe,
        "record",
        "--format",
        "raw",
        "--full-filenames",
        "--rate",
        str(RATE_HZ),
        "--subprocesses",
        "--output",
        raw_path,
    ]
    if native:
        argv.append("--native")
    argv += [
        "--",
        sys.executable,
        *launcher,
        "--stdout-fd",
        str(stdout_copy),
        "--stderr-fd",
        str(stderr_copy),
        status_path,
        script,
        *args,
    ]
    cancelled: list[int] = []
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by py-spy: it outlives a Cancel
    t0 = time.perf_counter()
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(argv, stdin=None, stdout=log, stderr=log, pass_fds=(stdout_copy, stderr_copy))
    except OSError as exc:
        channel.error(ExitCode.PROFILER_FAILED, f"{ExitCode.PROFILER_FAILED.message} (py-spy: {exc})")
        return ExitCode.PROFILER_FAILED
    finally:
        os.close(stdout_copy)
        os.close(stderr_copy)

    def on_sigterm(signum: int, frame: types.FrameType | None) -> None:
        cancelled.append(signum)
        with contextlib.suppress(OSError):  # py-spy has already ended
            proc.send_signal(signal.SIGINT)  # write what was sampled, now

    signal.signal(signal.SIGTERM, on_sigterm)
    proc.wait()
    wall_s = time.perf_counter() - t0
    status = _read_status(status_path)
    has_samples = os.path.isfile(raw_path) and os.path.getsize(raw_path) > 0
    if not has_samples and not cancelled:
        problem = last_problem(log_path)
        if any(word in problem.lower() for word in PTRACE_WORDS):
            channel.error(ExitCode.PROFILER_FAILED, PTRACE_MESSAGE, problem)
            return ExitCode.PROFILER_FAILED
    profile_path, notes, convert_later = None, [], None
    if has_samples:
        try:
            profile_path, note = convert_raw(raw_path, os.path.join(output_dir, PROFILE_NAME), native, wall_s, script)
        except ImportError:  # a user's own Python holds only the worker's modules: the app converts them
            convert_later, note = raw_path, None
        if note:
            notes.append(note)
    if cancelled:
        run_status, exit_code = "cancelled", None
    elif status is None:
        run_status, exit_code = "crashed", None
        notes.append("The script ended without reporting an exit status (killed by a signal, or a crash).")
    else:
        run_status, exit_code = status.get("status", "finished"), status.get("exit_code")
    channel.send(
        MsgType.RESULT,
        profiler="py-spy",
        profile_path=profile_path,
        raw_stacks=convert_later,
        script_exit_code=exit_code,
        status=run_status,
        wall_s=wall_s,
        exception=(status or {}).get("exception"),
        traceback=None,
        signal=None,
        notes=notes,
    )
    return ExitCode.OK


def convert_raw(
    raw_path: str, out_path: str, native: bool, wall_s: float, script: str
) -> tuple[str | None, str | None]:
    """py-spy's raw stacks -> our profile file (the run is over: heavy imports cost nothing now).

    ImportError where the app's analysis code is not importable (a user's own Python):
    the runner then converts in the app's process.
    """
    from gpuprof_gui.core.importers import ProfileFormatError
    from gpuprof_gui.core.importers.pyspy_import import import_pyspy
    from gpuprof_gui.core.serialize import dump_profile

    try:
        with open(raw_path, encoding="utf-8", errors="replace") as fh:
            profile = import_pyspy(fh.read(), RATE_HZ, native, script)
    except ProfileFormatError as exc:
        return None, str(exc)
    profile.wall_s = wall_s
    _set_definition_lines(profile)
    try:
        dump_profile(profile, out_path)
    except OSError as exc:
        return None, f"The profile could not be saved ({exc.strerror or exc})."
    return out_path, None


SOURCE_MAX_BYTES = 2 * 1024 * 1024
"""Source files larger than this keep py-spy's sampled line (parsing them would cost more than it tells)."""


def _set_definition_lines(profile) -> None:
    """Give each Python function its first line, read from its source file here where it ran."""
    from gpuprof_gui.core.importers.pyspy_import import definition_line

    sources: dict[str, str | None] = {}
    for rec in profile.functions:
        if not rec.file or rec.line <= 0 or rec.name == "<module>":
            if rec.name == "<module>" and rec.file:
                rec.line = 1
            continue
        if rec.file not in sources:
            sources[rec.file] = _read_source(rec.file)
        text = sources[rec.file]
        found = definition_line(text, rec.line) if text is not None else None
        if found:
            rec.line = found


def _read_source(path: str) -> str | None:
    try:  # a regular file only: a FIFO or device named in a stack must not hang the worker
        if not os.path.isfile(path) or os.path.getsize(path) > SOURCE_MAX_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _read_status(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None
