"""Stopping a worker and everything it started: its process group, gently then firmly.

Workers start in a session of their own (``start_new_session``), so the
worker's pid is also its process group id; a script's children stay in it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

# Time between SIGTERM and SIGKILL: enough for cProfile to marshal a large
# profile (~0.2 s for 100k entries) and for Scalene to write its JSON
# (~0.1 s measured on a 10 s run), with margin for a loaded machine.
STOP_GRACE_S = 2.0

# How often a supervising loop wakes with nothing to read, to check the
# cancel event and the timeout: 50 ms feels immediate to a person pressing Stop.
POLL_INTERVAL_S = 0.05


def kill_process_group(pid: int, sig: int) -> bool:
    """Send ``sig`` to the process group led by ``pid``; False if nothing was there."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class GroupStopper:
    """SIGTERM to a process group, then SIGKILL after a grace period; non-blocking.

    Call :meth:`request` once to start stopping and :meth:`tick` regularly
    (from a loop or a timer) until the worker has exited.
    """

    def __init__(self, pid: int, grace_s: float = STOP_GRACE_S) -> None:
        self.pid = pid
        self.grace_s = grace_s
        self.requested_at: float | None = None
        self.killed = False

    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def request(self) -> None:
        if self.requested_at is None:
            self.requested_at = time.monotonic()
            kill_process_group(self.pid, signal.SIGTERM)

    def due(self) -> bool:
        """True when the next :meth:`tick` will escalate to SIGKILL."""
        return (
            self.requested_at is not None and not self.killed and time.monotonic() - self.requested_at >= self.grace_s
        )

    def tick(self) -> bool:
        """Escalate to SIGKILL once the grace period is over; True when it did."""
        if self.requested_at is None or self.killed:
            return False
        if time.monotonic() - self.requested_at >= self.grace_s:
            self.killed = True
            kill_process_group(self.pid, signal.SIGKILL)
            return True
        return False


def stop_process_group(pid: int, grace_s: float = STOP_GRACE_S, has_exited: Callable[[], bool] | None = None) -> None:
    """Blocking stop: SIGTERM, wait up to ``grace_s`` for ``has_exited()``, then SIGKILL."""
    stopper = GroupStopper(pid, grace_s)
    stopper.request()
    while has_exited is not None and not has_exited() and not stopper.tick():
        time.sleep(POLL_INTERVAL_S)
    kill_process_group(pid, signal.SIGKILL)


_SIGNAL_WORDS = {
    signal.SIGSEGV: "crashed with a segmentation fault",
    signal.SIGABRT: "aborted (a native library called abort())",
    signal.SIGKILL: "was killed (perhaps out of memory)",
    signal.SIGBUS: "crashed with a bus error",
    signal.SIGFPE: "crashed with a floating-point exception",
    signal.SIGILL: "crashed on an illegal instruction",
    signal.SIGTERM: "was terminated by another process",
}


def signal_words(signum: int) -> str:
    """How a process ended by ``signum`` is described: "crashed with a segmentation fault"."""
    try:
        return _SIGNAL_WORDS.get(signal.Signals(signum), f"was stopped by {signal.Signals(signum).name}")
    except ValueError:
        return f"was stopped by signal {signum}"
