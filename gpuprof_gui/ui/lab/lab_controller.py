"""Runs the kernel lab off the GUI thread and brings its news back by queued signals.

``run_lab`` and ``describe_file`` block (they supervise a worker process), so
each runs on a plain Python thread; signals emitted there are delivered on
the GUI thread because this object lives there. Cancel sets the Event that
``run_lab`` watches, which kills the worker's process group.
"""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, Signal

from gpuprof_gui.jobs import lab_runner
from gpuprof_gui.jobs.lab_runner import LabOutcome, LabRunSpec
from gpuprof_gui.lab import LabFileError

JOIN_TIMEOUT_S = 5.0
"""At shutdown, how long to wait for a cancelled run's thread (the worker is killed at once)."""


class LabController(QObject):
    """One lab run at a time, plus file descriptions, each on its own thread."""

    record_arrived = Signal(object)
    """A :class:`LabRecord` from the running lab, in the order the worker made them."""
    run_finished = Signal(object)
    """The :class:`LabOutcome` once the run (and its worker) is over."""
    stderr_data = Signal(bytes)
    """The worker's stderr, as it comes."""
    described = Signal(str, object)
    """(path, description dict) of a candidate file."""
    describe_failed = Signal(str, str)
    """(path, reason) when a candidate file could not be read."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Replaceable for tests (a fake that emits recorded records); looked up at
        # start time so the default follows lab_runner.run_lab.
        self.run_fn = None
        self.describe_fn = None
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self.spec: LabRunSpec | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._cancel is not None

    def start(self, spec: LabRunSpec) -> bool:
        """Start a run; False if one is already running."""
        if self.running:
            return False
        self.spec = spec
        self._cancel = threading.Event()
        run_fn = self.run_fn or lab_runner.run_lab
        self._thread = threading.Thread(
            target=self._run, args=(run_fn, spec, self._cancel), name="kernel-lab-run", daemon=True
        )
        self._thread.start()
        return True

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def shutdown(self) -> None:
        """Cancel a running lab and wait briefly for its thread (window closing)."""
        thread = self._thread
        self.cancel()
        if thread is not None:
            thread.join(JOIN_TIMEOUT_S)

    def _run(self, run_fn, spec: LabRunSpec, cancel: threading.Event) -> None:
        try:
            outcome = run_fn(spec, on_record=self.record_arrived.emit, cancel=cancel, on_stderr=self.stderr_data.emit)
        except Exception as exc:  # noqa: BLE001 - a bug below must end the run visibly, not leave it "running"
            outcome = LabOutcome("error", f"The lab run failed: {type(exc).__name__}: {exc}")
            self.stderr_data.emit(traceback.format_exc().encode())
        self.run_finished.emit(outcome)

    def finish(self) -> None:
        """Forget the finished run (the panel calls this on ``run_finished``)."""
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
        self._thread = self._cancel = None

    def describe(self, path: str) -> None:
        """Read ``path``'s problem and candidates in a worker; answers by ``described``/``describe_failed``."""
        fn = self.describe_fn or lab_runner.describe_file
        threading.Thread(target=self._describe, args=(fn, path), name="kernel-lab-describe", daemon=True).start()

    def _describe(self, fn, path: str) -> None:
        try:
            info = fn(path)
        except LabFileError as exc:
            self.describe_failed.emit(path, str(exc))
        except Exception as exc:  # noqa: BLE001 - the window must survive any failure reading a file
            self.describe_failed.emit(path, f"{type(exc).__name__}: {exc}")
        else:
            self.described.emit(path, info)
