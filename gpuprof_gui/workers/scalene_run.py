"""Scalene mode of the profile worker: ``scalene run`` as a child in the worker's process group."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
import types
from collections.abc import Callable

from gpuprof_gui.protocol import ExitCode, MsgType
from gpuprof_gui.workers._channel import Channel
from gpuprof_gui.workers.relaunch import module_command, module_env
from gpuprof_gui.workers.scalene_boot import BOOT_MODULE

PROFILE_JSON_NAME = "profile.json"

# Scalene also profiles Python child processes of the script; when such a
# child is stopped early it writes an empty profile under this default name
# into the working folder. The worker removes it if the run created it.
SCALENE_DEFAULT_OUTPUT = "scalene-profile.json"

SCALENE_EMPTY_NOTE = (
    "Scalene recorded no samples: the run was too short for it to profile "
    "(it needs roughly a second of work in the script's own files)."
)


def _scalene_signal(returncode: int) -> int | None:
    """The signal that ended Scalene's profiling process, if one did.

    Scalene's launcher re-executes itself and then exits with the child's
    (negative) return code, which the operating system keeps as 256 - signum.
    """
    if returncode < 0:
        return -returncode
    if returncode > 128 and (256 - returncode) in signal.valid_signals():
        return 256 - returncode
    return None


def _remove_empty_stray(path: str) -> None:
    """Delete ``path`` if it is an empty (``{}``) Scalene profile; keep anything else."""
    try:
        if os.path.isfile(path) and os.path.getsize(path) < 16:
            with open(path, "rb") as fh:
                if fh.read().strip() == b"{}":
                    os.remove(path)
    except OSError:
        pass


def scalene_command(out_path: str, script: str, args: list[str], cpu_only: bool) -> list[str]:
    """The command that profiles ``script``: CPU, memory and the GPU, or the CPU alone.

    ``--gpu --memory`` asks for what Scalene 2.x does by default, said outright so that a Scalene
    whose default leaves the GPU out still samples it. Scalene looks for an NVIDIA GPU itself
    (through NVML): without one it profiles as before and its JSON says ``"gpu": false``.
    """
    modes = ["--cpu-only"] if cpu_only else ["--gpu", "--memory"]
    return [*module_command(BOOT_MODULE), "run", "-o", out_path, *modes, script, "---", *args]


def run_scalene(
    script: str, args: list[str], output_dir: str, cpu_only: bool, channel: Channel, orphaned: Callable[[], bool]
) -> int:
    """Run ``scalene run`` as a child in our process group and report its JSON.

    ``orphaned()`` says whether the worker's parent has died (the worker runs
    as ``__main__``, so its state is passed in rather than imported).
    """
    import importlib.util

    if importlib.util.find_spec("scalene") is None and getattr(sys, "frozen", False):
        channel.error(
            ExitCode.PROFILER_MISSING,
            "The packaged app's own Python has no Scalene (it cannot work frozen). Choose a Python that has "
            "Scalene to run the script (the run bar's Python button, or --python PATH), or profile with "
            "cProfile or py-spy, which the app's own Python has.",
        )
        return ExitCode.PROFILER_MISSING
    if importlib.util.find_spec("scalene") is None:
        version = ".".join(map(str, sys.version_info[:3]))
        channel.error(
            ExitCode.PROFILER_MISSING,
            f"Scalene is not installed in the Python that runs the script ({sys.executable}, Python {version}). "
            f"Install it with: {shlex.quote(sys.executable)} -m pip install scalene — or choose py-spy, "
            "which profiles under any Python.",
        )
        return ExitCode.PROFILER_MISSING
    out_path = os.path.join(output_dir, PROFILE_JSON_NAME)
    # Scalene runs in one process started with -P (the current folder is not on its
    # sys.path), its forked children dying of SIGTERM as under plain Python: see scalene_boot.
    cmd = scalene_command(out_path, script, args, cpu_only)
    cancelled = []
    stray_existed = os.path.lexists(SCALENE_DEFAULT_OUTPUT)

    def on_sigterm(signum: int, frame: types.FrameType | None) -> None:
        cancelled.append(signum)
        if orphaned():  # the parent's death reached only us: stop Scalene the usual way
            with contextlib.suppress(OSError):
                os.killpg(os.getpgrp(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdin=None, stdout=None, stderr=None, env=module_env())
    except OSError as exc:
        channel.error(ExitCode.PROFILER_FAILED, f"{ExitCode.PROFILER_FAILED.message} ({exc})")
        return ExitCode.PROFILER_FAILED
    returncode = proc.wait()
    wall_s = time.perf_counter() - t0
    if not stray_existed:
        _remove_empty_stray(SCALENE_DEFAULT_OUTPUT)
    notes = []
    profile_path: str | None = out_path
    try:
        with open(out_path, "rb") as fh:
            head = fh.read(64)
        if head.strip() in (b"{}", b""):
            notes.append(SCALENE_EMPTY_NOTE)
    except OSError:
        profile_path = None
    sig = _scalene_signal(returncode) if profile_path is None else None
    if cancelled:
        status, exit_code = "cancelled", None
    elif sig is not None:
        status, exit_code = "crashed", None
    else:
        status, exit_code = ("finished" if returncode == 0 else "exit"), returncode
    channel.send(
        MsgType.RESULT,
        profiler="scalene",
        profile_path=profile_path,
        script_exit_code=exit_code,
        status=status,
        wall_s=wall_s,
        exception=None,
        traceback=None,
        signal=sig,
        notes=notes,
    )
    return ExitCode.OK
