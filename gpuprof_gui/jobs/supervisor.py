"""Runs one worker process to the end without Qt: its pipes, its protocol channel, its stop.

The CLI and the tests drive every worker (profile, convert, kernel) through
:func:`supervise`; the GUI uses ``QProcess`` instead and shares
:func:`worker_env` and the pieces in :mod:`~gpuprof_gui.jobs.process_group`
and :mod:`~gpuprof_gui.jobs.outcome`.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Protocol

from gpuprof_gui.jobs.descendants import DescendantWatch
from gpuprof_gui.jobs.outcome import OutcomeTracker, RunOutcome
from gpuprof_gui.jobs.process_group import POLL_INTERVAL_S, STOP_GRACE_S, GroupStopper, kill_process_group
from gpuprof_gui.protocol import LineDecoder

# 64 KiB is the Linux pipe capacity: one read empties a full pipe.
READ_CHUNK_BYTES = 64 * 1024

# After the worker has exited and its group was killed, the pipes reach EOF at
# once unless a process that escaped still holds them; stop reading once no byte
# has come for this long. (Not a limit on the whole drain: what is left in the
# pipes is read to the end, however long our own output takes to write it out.)
DRAIN_LIMIT_S = 2.0
DRAIN_HARD_LIMIT_S = 30.0
"""However much keeps coming (an escaped process flooding the pipe), reading stops after this long."""

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _package_importable_without_help() -> bool:
    import site

    places = {os.path.realpath(p) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    return os.path.realpath(_PACKAGE_ROOT) in places


def worker_env(spec_env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a worker: the script's, plus our package on PYTHONPATH when needed.

    ``python -m`` only finds an uninstalled checkout from its own folder; the
    worker removes the entry again before the script starts.
    """
    from gpuprof_gui.workers.relaunch import ADDED_PATH_ENV, ORIGINAL_PYTHONPATH_ENV

    env = dict(os.environ if spec_env is None else spec_env)
    if _package_importable_without_help():
        return env
    original = env.get("PYTHONPATH", "")
    env[ADDED_PATH_ENV] = _PACKAGE_ROOT
    env[ORIGINAL_PYTHONPATH_ENV] = original
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, original) if p)
    return env


def python_module_argv(module: str) -> list[str]:
    """``python -P -m module``: how every worker starts.

    A plain ``-m`` puts the current folder first on ``sys.path``, so a planted
    ``argparse.py`` beside a downloaded ``.prof`` would run in the worker that
    opens it. ``-P`` (Python 3.11+) prepends nothing; the profile worker puts
    the script's own folder on the path for the script, as ``python script.py`` does.
    The packaged app's executable takes ``-m module`` itself and knows no ``-P``; its
    import path is the bundle, never the current folder.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "-m", module]
    return [sys.executable, "-P", "-m", module]


Callback = Callable[[bytes], None] | None


class CancelFlag(Protocol):
    """What :func:`supervise` polls to learn of a cancel: a ``threading.Event``, or a watchdog."""

    def is_set(self) -> bool: ...


def supervise(
    argv_for_fd: Callable[[int], list[str]],
    tracker: OutcomeTracker,
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    on_stdout: Callback = None,
    on_stderr: Callback = None,
    cancel: CancelFlag | None = None,
    timeout_s: float | None = None,
    on_started: Callable[[int], None] | None = None,
    stop_grace_s: float = STOP_GRACE_S,
) -> RunOutcome:
    """Run one worker to the end, pumping its pipes and the protocol channel.

    ``argv_for_fd(fd)`` gives the command line for the channel's write end;
    ``on_started(pid)`` hears the worker's pid (its process group's id) once it runs.
    Ctrl-C (KeyboardInterrupt) counts as a cancel, so the process group is
    stopped and the partial profile still comes back.
    """
    read_fd, write_fd = os.pipe()
    argv = argv_for_fd(write_fd)
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
    except OSError as exc:
        os.close(read_fd)
        where = f" ({exc.filename})" if exc.filename else ""
        return tracker.outcome(
            "could_not_start",
            f"The profiler could not start: {exc.strerror or exc}{where}.",
            0.0,
            profile_path=None,
            script_exit_code=None,
        )
    finally:
        os.close(write_fd)
    if on_started is not None:
        on_started(proc.pid)
    stdout, stderr = proc.stdout, proc.stderr
    assert stdout is not None and stderr is not None, "both were asked for as pipes"
    decoder = LineDecoder()
    sinks = {stdout.fileno(): on_stdout, stderr.fileno(): on_stderr, read_fd: None}
    sel = selectors.DefaultSelector()
    for fd in sinks:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    stopper = GroupStopper(proc.pid, stop_grace_s)
    tree = DescendantWatch(proc.pid)  # also the daemons a killed worker can no longer sweep itself
    cancelled = timed_out = False

    def pump(timeout: float) -> bool:
        """Read what is ready within ``timeout``; True when any byte came."""
        got = False
        for key, _ in sel.select(timeout):
            try:
                data = os.read(key.fd, READ_CHUNK_BYTES)
            except BlockingIOError:
                continue
            got = got or bool(data)
            if not data:
                sel.unregister(key.fd)
            elif key.fd == read_fd:
                for msg in decoder.feed(data):
                    tracker.feed(msg)
            elif (sink := sinks[key.fd]) is not None:
                sink(data)
        return got

    try:
        while proc.poll() is None:
            try:
                if not stopper.requested:
                    if cancel is not None and cancel.is_set():
                        cancelled = True
                        stopper.request()
                    elif timeout_s is not None and time.monotonic() - t0 >= timeout_s:
                        timed_out = True
                        stopper.request()
                tree.look()
                if stopper.due():  # the last look before SIGKILL: what the worker adopted is seen
                    tree.look(now=True)
                stopper.tick()
                if sel.get_map():
                    pump(POLL_INTERVAL_S)
                else:  # all pipes closed: wake the moment the worker exits
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(POLL_INTERVAL_S)
            except KeyboardInterrupt:
                cancelled = True
                stopper.request()
        # Whatever the script started and left behind dies with the group now, and
        # each process seen below the worker (a daemon in its own session) with it;
        # that also closes the pipes such a child may still hold.
        kill_process_group(proc.pid, signal.SIGKILL)
        tree.kill_survivors()
        quiet_until = time.monotonic() + DRAIN_LIMIT_S
        give_up = time.monotonic() + DRAIN_HARD_LIMIT_S
        while sel.get_map() and time.monotonic() < min(quiet_until, give_up):
            if pump(POLL_INTERVAL_S):
                quiet_until = time.monotonic() + DRAIN_LIMIT_S
    finally:
        if proc.poll() is None:  # an exception escaped the loop: leave nothing behind
            tree.look(now=True)
            kill_process_group(proc.pid, signal.SIGKILL)
            tree.kill_survivors()
            proc.wait()
        sel.close()
        os.close(read_fd)
        stdout.close()
        stderr.close()
    return tracker.finish(proc.returncode, cancelled, timed_out, time.monotonic() - t0)
