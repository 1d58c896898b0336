"""Every process a worker started, even those that left its process group, so that none outlives the run.

The worker is a child subreaper (Linux): a daemon the script starts (double fork and
``setsid``) is reparented to the worker, which kills it before exiting. A worker that
is itself killed — SIGKILL after the grace period, the out-of-memory killer, a script
killing its own process — cannot do that, and its adopted daemons would be reparented
again, out of reach. So the supervisor looks at the worker's tree of descendants now
and then (:func:`workers.worker_lifetime.descendants`, the walk the worker's own sweep
uses: a few small reads) and, when the run is over, kills each one it saw that is still
the same process (same start time).

On systems without ``/proc`` nothing is seen and only the process group is stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

from gpuprof_gui.workers.worker_lifetime import descendants, proc_state

__all__ = ["DescendantWatch", "descendants", "start_time"]

WATCH_PERIOD_S = 0.25
"""How often the tree is looked at: a daemon that lives longer than this is seen."""


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot); None if it is gone."""
    state = proc_state(pid)
    return None if state is None else state[1]


class DescendantWatch:
    """What a worker's tree has held; :meth:`kill_survivors` ends those still running."""

    def __init__(self, pid: int, period_s: float = WATCH_PERIOD_S) -> None:
        self.pid = pid
        self.period_s = period_s
        self.seen: dict[int, int] = {}
        self._due = 0.0

    def look(self, now: bool = False) -> None:
        """Add the worker's current descendants to what was seen (at most once a period unless ``now``)."""
        t = time.monotonic()
        if now or t >= self._due:
            self._due = t + self.period_s
            self.seen.update(descendants(self.pid))

    def kill_survivors(self) -> list[int]:
        """SIGKILL each process seen that still runs (same pid, same start time); the pids killed."""
        return [pid for pid, started in self.seen.items() if _kill_if_same(pid, started)]


def _kill_if_same(pid: int, started: int) -> bool:
    """SIGKILL ``pid`` if it is still the process that started at ``started``.

    A pidfd pins the process while its start time is checked, so a new process that
    took the pid in between is never signalled.
    """
    pidfd = -1
    with contextlib.suppress(OSError, AttributeError):
        pidfd = os.pidfd_open(pid)
    try:
        if start_time(pid) != started:
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if pidfd >= 0:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
            return True
        return False
    finally:
        if pidfd >= 0:
            os.close(pidfd)
