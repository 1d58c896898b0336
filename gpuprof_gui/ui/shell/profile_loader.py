"""Loads a profile file off the GUI thread: import, flame layout, hotspot rows.

Results come back by signal (queued onto the GUI thread). Foreign ``.prof``
files are marshal data, unsafe against malformed input, so they are converted
in a worker process; a crash there cannot take the window down.
"""

from __future__ import annotations

import os
import time
from functools import partial

from PySide6.QtCore import QObject, Signal

from gpuprof_gui.core.gpu_trace import gpu_trace_beside
from gpuprof_gui.core.importers import ProfileFormatError
from gpuprof_gui.core.loaded import LoadedProfile, prepare
from gpuprof_gui.core.opening import OpenError
from gpuprof_gui.jobs.opening import open_profile
from gpuprof_gui.protocol import GPU_TELEMETRY_SUFFIX
from gpuprof_gui.ui.shell.jobs_qt import QtJob

__all__ = ["LoadedProfile", "ProfileLoader", "load_everything"]


def load_everything(path: str, trusted: bool) -> LoadedProfile:
    """Open ``path`` through the door (a profile, or a session holding one) and prepare the views' data.

    Raises OpenError or ProfileFormatError with the sentence to show.
    """
    t0 = time.perf_counter()
    opened = open_profile(path, trusted=trusted)
    assert opened.profile is not None  # open_profile raises rather than return without one
    gpu_trace, problem = gpu_trace_beside(path)
    if problem:
        opened.profile.notes.append(problem)
    telemetry = path + GPU_TELEMETRY_SUFFIX
    return prepare(
        opened.profile,
        path,
        started=t0,
        provenance=opened.provenance,
        gpu_trace=gpu_trace,
        gpu_telemetry_path=telemetry if gpu_trace is not None and os.path.isfile(telemetry) else "",
    )


def _load_or_say_why(path: str, trusted: bool, _cancel: object = None) -> LoadedProfile | str:
    """The loaded profile, or the sentence saying why not (any failure is a message, never a crash)."""
    try:
        return load_everything(path, trusted)
    except (OpenError, ProfileFormatError) as exc:
        why = str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure here is a message, never a crash
        why = f"{type(exc).__name__}: {exc}"
    return f"Could not open {os.path.basename(path)}: {why}"


class ProfileLoader(QObject):
    """Loads one profile at a time, each on a QtJob (the window's one way to run work that may
    start a worker: a foreign ``.prof`` is converted in one); a newer request makes older results stale."""

    loaded = Signal(object)
    """A :class:`LoadedProfile`, for the newest request only."""
    failed = Signal(str)
    """A plain sentence saying why the newest request could not be loaded."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ticket = 0
        self._jobs: set[QtJob] = set()

    def load(self, path: str, trusted: bool = False) -> None:
        self._ticket += 1
        job = QtJob(partial(_load_or_say_why, path, trusted), "profile-load", self)
        job.done.connect(partial(self._on_done, job, self._ticket))
        self._jobs.add(job)
        job.start()

    def discard_pending(self) -> None:
        """Whatever is loading now will not be shown (a newer run has started)."""
        self._ticket += 1

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Wait for every load in flight (window closing); False if one is still going."""
        deadline = time.monotonic() + timeout_ms / 1000
        return all(job.wait(max(0.0, deadline - time.monotonic())) for job in list(self._jobs))

    def _on_done(self, job: QtJob, ticket: int, result: object) -> None:
        self._jobs.discard(job)
        job.deleteLater()
        if ticket != self._ticket:
            return
        if isinstance(result, str):
            self.failed.emit(result)
        else:
            self.loaded.emit(result)
