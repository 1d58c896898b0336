"""Loads a profile file off the GUI thread: import, flame layout, hotspot rows.

Results come back by signal (queued onto the GUI thread). Foreign ``.prof``
files are marshal data, unsafe against malformed input, so they are converted
in a worker process; a crash there cannot take the window down.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from gpuprof_gui.core.importers import ProfileFormatError
from gpuprof_gui.core.loaded import LoadedProfile, prepare
from gpuprof_gui.core.opening import OpenError
from gpuprof_gui.jobs.opening import open_profile

__all__ = ["LoadedProfile", "ProfileLoader", "load_everything"]


def load_everything(path: str, trusted: bool) -> LoadedProfile:
    """Open ``path`` through the door (a profile, or a session holding one) and prepare the views' data.

    Raises OpenError or ProfileFormatError with the sentence to show.
    """
    t0 = time.perf_counter()
    opened = open_profile(path, trusted=trusted)
    assert opened.profile is not None  # open_profile raises rather than return without one
    return prepare(opened.profile, path, started=t0, provenance=opened.provenance)


class _Signals(QObject):
    loaded = Signal(object, int)
    failed = Signal(str, int)


class _LoadTask(QRunnable):
    def __init__(self, path: str, trusted: bool, ticket: int, signals: _Signals) -> None:
        super().__init__()
        self._path, self._trusted, self._ticket, self._signals = path, trusted, ticket, signals

    def run(self) -> None:
        try:
            result = load_everything(self._path, self._trusted)
        except (OpenError, ProfileFormatError) as exc:
            self._fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure here is a message, never a crash
            self._fail(f"{type(exc).__name__}: {exc}")
        else:
            self._signals.loaded.emit(result, self._ticket)

    def _fail(self, why: str) -> None:
        self._signals.failed.emit(f"Could not open {os.path.basename(self._path)}: {why}", self._ticket)


class ProfileLoader(QObject):
    """Loads one profile at a time; a newer request makes older results stale."""

    loaded = Signal(object)
    """A :class:`LoadedProfile`, for the newest request only."""
    failed = Signal(str)
    """A plain sentence saying why the newest request could not be loaded."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signals = _Signals(self)
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)
        self._ticket = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def load(self, path: str, trusted: bool = False) -> None:
        self._ticket += 1
        self._pool.start(_LoadTask(path, trusted, self._ticket, self._signals))

    def discard_pending(self) -> None:
        """Whatever is loading now will not be shown (a newer run has started)."""
        self._ticket += 1

    def wait(self, timeout_ms: int = 30_000) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def _on_loaded(self, result: LoadedProfile, ticket: int) -> None:
        if ticket == self._ticket:
            self.loaded.emit(result)

    def _on_failed(self, text: str, ticket: int) -> None:
        if ticket == self._ticket:
            self.failed.emit(text)
