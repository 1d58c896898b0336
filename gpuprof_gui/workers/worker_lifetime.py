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


def _parents() -> dict[int, tuple[int, bool]]:
    """pid -> (parent pid, is a zombie) for every process /proc shows us."""
    found: dict[int, tuple[int, bool]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if len(fields) >= 2:
            found[int(name)] = (int(fields[1]), fields[0] == "Z")
    return found


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    zombies = set()
    for pid, (ppid, zombie) in _parents().items():
        children.setdefault(ppid, []).append(pid)
        if zombie:
            zombies.add(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid not in zombies:
            found.append(pid)
        todo.extend(children.get(pid, []))
    return found


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
        pids = _descendants(me)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        killed += len(pids)
        time.sleep(0.01)  # let the kernel deliver, and reparent the grandchildren to us
    _reap_children()
    return killed
