"""A profile run in the window: :func:`gpuprof_gui.jobs.runner.run_profile` on a :class:`QtJob`.

The command line and the window run the profile worker through the same supervisor
(command line, environment, protocol channel, timeout, stopping the whole process
group, the outcome); only the thread and the signals are the window's
(:mod:`gpuprof_gui.ui.shell.jobs_qt`, the one way the window runs any worker). The
script's stdout and stderr arrive as raw bytes, in order, before ``finished``.
"""

from __future__ import annotations

import dataclasses
import signal
import tempfile
import threading

from PySide6.QtCore import QObject, Signal

from gpuprof_gui.jobs.runner import RunOutcome, RunSpec, kill_process_group, run_profile
from gpuprof_gui.ui.shell.jobs_qt import QtJob

CLOSE_WAIT_S = 5.0
"""Closing the window waits this long for a killed run's supervisor to collect its worker."""


class QtProfileRun(QObject):
    """One profiling run. Create, connect, ``start()``; it is single-use."""

    stdout_data = Signal(bytes)
    """Raw bytes the script wrote to stdout, in order."""
    stderr_data = Signal(bytes)
    """Raw bytes the script wrote to stderr, in order."""
    finished = Signal(object)
    """The :class:`RunOutcome` once the worker and its whole process group are gone."""

    def __init__(self, spec: RunSpec, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.output_dir = spec.output_dir or tempfile.mkdtemp(prefix="gpuprof-run-")
        self._pid = 0  # the worker's pid (and its process group's), once it runs
        self._done = False
        self._job = QtJob(self._work, "profile-run", self)
        self._job.done.connect(self._on_done)
        self._job.crashed.connect(self._on_crashed)

    @property
    def running(self) -> bool:
        return not self._done and self._job.running

    @property
    def elapsed_s(self) -> float:
        return self._job.elapsed_s

    def start(self) -> None:
        self._job.start()

    def cancel(self) -> None:
        """Ask the worker to stop (it saves a partial profile); the supervisor kills after a grace period."""
        self._job.cancel()

    def kill(self) -> None:
        """Kill the worker and its whole process group now (window closing), then collect it.

        ``finished`` is emitted before this returns when the supervisor is done in time:
        the window is closing, and its event loop may never deliver the queued one.
        """
        self._job.cancel()
        if self._pid:
            kill_process_group(self._pid, signal.SIGKILL)
        if self._job.wait(CLOSE_WAIT_S) and isinstance(self._job.result, RunOutcome):
            self._on_done(self._job.result)

    def _work(self, cancel: threading.Event) -> RunOutcome:
        spec = dataclasses.replace(self.spec, output_dir=self.output_dir)
        out, err = self.stdout_data.emit, self.stderr_data.emit
        return run_profile(spec, on_stdout=out, on_stderr=err, cancel=cancel, on_started=self._started)

    def _started(self, pid: int) -> None:
        self._pid = pid

    def _on_done(self, outcome: object) -> None:
        if self._done:
            return  # already reported (by kill)
        self._done = True
        self.finished.emit(outcome)

    def _on_crashed(self, text: str) -> None:
        if self._done:
            return
        self._done = True
        first = text.splitlines()[0] if text else "unknown error"
        self.finished.emit(
            RunOutcome(
                status="crashed",
                ok=False,
                script_exit_code=None,
                signal=None,
                wall_s=self.elapsed_s,
                message=f"The run could not be supervised: {first}",
                profile_path=None,
                profiler=self.spec.profiler,
                traceback=text,
                output_dir=self.output_dir,
            )
        )
