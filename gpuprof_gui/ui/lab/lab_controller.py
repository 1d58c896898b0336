"""Runs the kernel lab off the GUI thread and brings its news back by queued signals.

``run_lab`` and ``describe_file`` block (they supervise a worker process), so each runs
on a :class:`~gpuprof_gui.ui.shell.jobs_qt.QtJob`, the window's one way to run a worker;
signals emitted there are delivered on the GUI thread. Cancel sets the Event that
``run_lab`` watches, which kills the worker's process group.
"""

from __future__ import annotations

import threading
from functools import partial

from PySide6.QtCore import QObject, Signal

from gpuprof_gui.jobs import lab_runner
from gpuprof_gui.jobs.lab_runner import LabOutcome, LabRunSpec
from gpuprof_gui.lab import LabFileError
from gpuprof_gui.ui.shell.jobs_qt import QtJob

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
        self._job: QtJob | None = None
        self._describing: set[QtJob] = set()  # kept alive until they answer
        self.spec: LabRunSpec | None = None

    @property
    def running(self) -> bool:
        return self._job is not None

    def start(self, spec: LabRunSpec) -> bool:
        """Start a run; False if one is already running."""
        if self.running:
            return False
        self.spec = spec
        run_fn = self.run_fn or lab_runner.run_lab

        def work(cancel: threading.Event) -> object:
            return run_fn(spec, on_record=self.record_arrived.emit, cancel=cancel, on_stderr=self.stderr_data.emit)

        self._job = QtJob(work, "kernel-lab-run", self)
        self._job.done.connect(self.run_finished.emit)
        self._job.crashed.connect(self._on_crashed)
        self._job.start()
        return True

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def shutdown(self) -> None:
        """Cancel a running lab and wait briefly for its thread (window closing)."""
        job = self._job
        self.cancel()
        if job is not None:
            job.wait(JOIN_TIMEOUT_S)

    def _on_crashed(self, text: str) -> None:
        """A bug below must end the run visibly, not leave it "running"."""
        first, _, trace = text.partition("\n")
        self.stderr_data.emit(trace.encode())
        self.run_finished.emit(LabOutcome("error", f"The lab run failed: {first}"))

    def finish(self) -> None:
        """Forget the finished run (the panel calls this on ``run_finished``)."""
        if self._job is not None:
            self._job.wait(JOIN_TIMEOUT_S)
            self._job.deleteLater()
        self._job = None

    def describe(self, path: str) -> None:
        """Read ``path``'s problem and candidates in a worker; answers by ``described``/``describe_failed``."""
        fn = self.describe_fn or lab_runner.describe_file

        def work(_cancel: threading.Event) -> object:
            try:
                return ("ok", fn(path))
            except LabFileError as exc:
                return ("failed", str(exc))

        job = QtJob(work, "kernel-lab-describe", self)
        job.done.connect(partial(self._described, job, path))
        job.crashed.connect(partial(self._describe_crashed, job, path))
        self._describing.add(job)
        job.start()

    def _describe_crashed(self, job: QtJob, path: str, text: str) -> None:
        """The window must survive any failure reading a file: the first line says what."""
        self._described(job, path, ("failed", text.partition("\n")[0]))

    def _described(self, job: QtJob, path: str, answer: object) -> None:
        self._describing.discard(job)
        job.deleteLater()
        kind, value = answer if isinstance(answer, tuple) else ("failed", "no answer")
        if kind == "ok":
            self.described.emit(path, value)
        else:
            self.describe_failed.emit(path, str(value))
