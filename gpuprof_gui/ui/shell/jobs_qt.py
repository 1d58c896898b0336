"""The window's one way to run a worker: a ``jobs/`` supervisor on its own thread, news by signal.

Every worker process the window starts — the profile run, the kernel lab and its
file descriptions, the conversion of a foreign ``.prof`` — is started and watched by
the same Qt-free code the command line uses (:mod:`gpuprof_gui.jobs`). That code
blocks, so :class:`QtJob` runs it on a plain thread; signals emitted there reach
the GUI thread queued, in the order they were emitted, because the job object lives
on the GUI thread. Cancel sets the ``threading.Event`` the supervisor polls (the
worker is asked to stop and saves what it has); :meth:`QtJob.wait` joins the thread.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal


class QtJob(QObject):
    """One blocking job on its own thread. ``work(cancel)`` returns the result; single use."""

    done = Signal(object)
    """What ``work`` returned, once it has returned."""
    crashed = Signal(str)
    """``work`` raised (a bug below, never a user's bad input): the traceback's last line and the trace."""

    def __init__(self, work: Callable[[threading.Event], object], name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.cancel_event = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._t0 = 0.0
        self.result: object = None
        """What ``work`` returned, once it has (also before ``done`` is delivered)."""

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self._t0 if self._t0 else 0.0

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._thread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Join the job's thread; False when it is still running after ``timeout_s``."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._work(self.cancel_event)
        except Exception as exc:  # noqa: BLE001 - a bug below ends the job visibly, never the window
            self.crashed.emit(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        else:
            self.result = result
            self.done.emit(result)
