"""The profile worker's process hygiene: lead a process group, die with the parent.

Cancel stops the worker's whole process group, so the worker leads one; a
worker whose parent (the GUI or the CLI) was killed stops that group itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import types

from gpuprof_gui.protocol import ExitCode


def become_group_leader() -> None:
    """Lead a process group so Cancel can stop the script and all its children."""
    if os.getpgrp() != os.getpid():
        with contextlib.suppress(OSError):
            os.setsid()


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

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
