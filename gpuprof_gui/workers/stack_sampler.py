"""Real sampled stacks of the profile worker's own run, recorded by py-spy beside cProfile.

cProfile counts every function's time exactly but records only which function
called which, never whole stacks. py-spy, attached to the worker at a low rate,
records which call paths the time was really spent on; the importer uses those
samples to split each function's exact time among its paths
(:mod:`gpuprof_gui.core.importers.pstats_import`).

py-spy reads the process from outside (``process_vm_readv``, no pausing with
``--nonblocking``), so the script is not slowed by it beyond the one core py-spy
itself uses a little of. It runs in its own session so that Cancel, which stops
the worker's process group, does not stop it before it has written its samples;
it ends by itself when the worker exits, so it cannot outlive the run.
Evidence only: any failure here leaves the profile as it was, split in proportion.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

SAMPLE_RATE_HZ = 200
"""Twice py-spy's default: a 1 s run gives ~200 stacks, enough to place every
function above ~1% of the run on its paths. py-spy reads the stacks from its
own process without pausing the script; benchmarks/call_paths.py measures
the cost on the script's wall time."""

STOP_TIMEOUT_S = 3.0
"""py-spy writes its file within milliseconds of SIGINT; a hung one is killed."""

PR_SET_PTRACER = 0x59616D61  # <linux/prctl.h>: "Yama": allow a non-ancestor to trace us
PR_SET_PTRACER_ANY = -1


PY_SPY_ENV = "GPUPROF_PY_SPY"
"""The py-spy executable to use, where it is neither beside this Python nor on PATH."""


fallback_py_spy: str | None = None
"""The app's own py-spy, when the worker runs in a user's Python (the worker's ``--py-spy``)."""


def find_py_spy() -> str | None:
    """The py-spy executable: ``$GPUPROF_PY_SPY``, else beside this Python (its venv), else the
    app's (:data:`fallback_py_spy`), else on PATH."""
    chosen = os.environ.get(PY_SPY_ENV)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    places = [os.path.join(os.path.dirname(sys.executable), "py-spy")]
    bundle = getattr(sys, "_MEIPASS", None)  # the one-folder app carries it in bin/
    if bundle:
        places.append(os.path.join(bundle, "bin", "py-spy"))
    if fallback_py_spy:
        places.append(fallback_py_spy)
    for here in places:
        if os.access(here, os.X_OK):
            return here
    return shutil.which("py-spy")


def allow_tracing_by_descendant() -> None:
    """Under Yama's ptrace_scope=1 only ancestors may read a process: let py-spy, our child, read us."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def last_problem(log_path: str) -> str:
    """The last thing py-spy said in its log that is not its own progress chatter ("py-spy> ...")."""
    try:
        with open(log_path, "rb") as fh:
            text = fh.read()[-4000:].decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if not ln.startswith("py-spy> ")]
    return (errors or lines or [""])[-1]


class StackSampler:
    """py-spy recording this process's stacks into ``out_path`` (py-spy's raw format)."""

    def __init__(self, out_path: str, log_path: str, rate_hz: int = SAMPLE_RATE_HZ) -> None:
        self.out_path = out_path
        self.log_path = log_path
        self.rate_hz = rate_hz
        self.proc: subprocess.Popen | None = None
        self.problem: str | None = None

    def start(self) -> bool:
        exe = find_py_spy()
        if exe is None:
            self.problem = "py-spy is not installed"
            return False
        allow_tracing_by_descendant()
        argv = [
            exe,
            "record",
            "--pid",
            str(os.getpid()),
            "--rate",
            str(self.rate_hz),
            "--format",
            "raw",
            "--function",
            "--full-filenames",
            "--idle",
            "--nonblocking",
            "--output",
            self.out_path,
        ]
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
                )
        except OSError as exc:
            self.problem = f"py-spy could not start ({exc.strerror or exc})"
            return False
        return True

    def stop(self) -> str | None:
        """Stop sampling; the path of the recorded stacks, or None (``problem`` says why)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except OSError:
                pass
        try:
            if os.path.getsize(self.out_path) > 0:
                return self.out_path
        except OSError:
            pass
        self.problem = last_problem(self.log_path) or "py-spy recorded no stacks"
        return None

    def forget_in_child(self) -> None:
        """After fork: the child has no sampler of its own (py-spy is the parent's)."""
        self.proc = None
