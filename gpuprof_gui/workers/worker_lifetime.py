"""The profile worker's process hygiene: lead a process group, die with the parent, leave no one behind.

Cancel stops the worker's whole process group, so the worker leads one; a
worker whose parent (the GUI or the CLI) was killed stops that group itself.
A daemon the script starts (double fork and ``setsid``) leaves the group; on
Linux the worker is a child subreaper, so such orphans become its children,
and it stops every descendant before it exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import types

from gpuprof_gui.protocol import ExitCode


def become_group_leader() -> None:
    """Lead a process group so Cancel can stop the script and all its children."""
    if os.getpgrp() != os.getpid():
        with contextlib.suppress(OSError):
            os.setsid()


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PR_SET_CHILD_SUBREAPER = 36

# Descendants may fork while they are being stopped; a few sweeps catch the late ones.
MAX_SWEEPS = 20

# Linux sends this when the parent dies (PR_SET_PDEATHSIG). It is not SIGTERM,
# which the parent sends to cancel: only the parent's death may make the worker
# kill its whole group itself. The worker has no terminal, so no real hang-up
# arrives on it.
ORPHAN_SIGNAL = signal.SIGHUP

_orphaned = False


def _on_orphaned(signum: int, frame: types.FrameType | None) -> None:
    global _orphaned
    _orphaned = True
    handler = signal.getsignal(signal.SIGTERM)
    if callable(handler):  # the cancel path: the script stops, the profile is saved
        handler(signum, frame)
    elif handler != signal.SIG_IGN:
        sys.exit(ExitCode.OK)


def die_with_parent() -> None:
    """Get :data:`ORPHAN_SIGNAL` if the parent dies (Linux), and act on it.

    The worker lives in its own session, so a killed GUI or CLI would otherwise
    leave the script running; :func:`kill_group_if_orphaned` then takes the
    script's children along.
    """
    global _orphaned
    if not sys.platform.startswith("linux"):
        return
    ppid = os.getppid()
    signal.signal(ORPHAN_SIGNAL, _on_orphaned)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(ORPHAN_SIGNAL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != ppid:  # it died before prctl took effect
        _orphaned = True


def orphaned() -> bool:
    """Whether the parent has died (the worker then stops its own group)."""
    return _orphaned


def kill_group_if_orphaned() -> None:
    """Nobody is left to stop our process group: stop it (and us) now."""
    if _orphaned:
        with contextlib.suppress(OSError):
            os.killpg(os.getpgrp(), signal.SIGKILL)


def _prctl(option: int, arg: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(option, arg, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Linux: the script's orphans (a daemon's double fork) become our children, not init's.

    Then :func:`kill_descendants` finds every process the script started, even
    one in a session of its own. Without Linux or ``prctl`` this returns False
    and only the worker's process group is stopped, as the supervisor does: a
    process that left the group with ``setsid`` survives the run.
    """
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def proc_state(pid: int) -> tuple[str, int] | None:
    """``pid``'s state letter ("Z": a zombie) and start time (clock ticks since boot); None if gone.

    The start time tells a process from a later one given the same pid.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces and parentheses: count from the last ")".
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return fields[0].decode("ascii", "replace"), int(fields[19])  # fields 3 and 22 of the line
    except (IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:  # a child forked by any thread is listed under that thread
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                found.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(root: int, live_only: bool = False) -> dict[int, int]:
    """The processes below ``root`` now (Linux /proc), each with its start time; zombies left out
    with ``live_only``. Reads only the tree's own entries, however many processes the system runs."""
    seen: dict[int, int] = {}
    stack = [root]
    while stack:
        for child in _children(stack.pop()):
            state = proc_state(child)
            if child in seen or state is None:
                continue
            stack.append(child)
            if not (live_only and state[0] in ("Z", "X")):
                seen[child] = state[1]
    return seen


def _reap_children() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def kill_descendants() -> int:
    """SIGKILL every live process descended from us (Linux /proc); how many were found.

    As a subreaper (:func:`become_subreaper`) this takes along the daemons the
    script started, which left our process group; their exited children are
    reaped, so no zombie is left either. Elsewhere it finds nothing.
    """
    me, killed = os.getpid(), 0
    for _ in range(MAX_SWEEPS):
        _reap_children()
        pids = list(descendants(me, live_only=True))
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        killed += len(pids)
        time.sleep(0.01)  # let the kernel deliver, and reparent the grandchildren to us
    _reap_children()
    return killed
