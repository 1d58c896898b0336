"""Runs a profile worker with QProcess, so every signal arrives on the GUI thread.

The worker's protocol channel is an inherited pipe read through a
QSocketNotifier; the script's stdout/stderr are the worker's own and reach
the console untouched. The pure pieces (command line, outcome bookkeeping,
process-group killing) are shared with the command line's runner.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QSocketNotifier, QTimer, Signal

from gpuprof_gui.jobs.runner import (
    STOP_GRACE_S,
    OutcomeTracker,
    RunOutcome,
    RunSpec,
    kill_process_group,
    worker_argv,
    worker_env,
)
from gpuprof_gui.protocol import LineDecoder

_CHANNEL_READ_BYTES = 1 << 16


class QtProfileRun(QObject):
    """One profiling run. Create, connect, ``start()``; it is single-use."""

    stdout_data = Signal(bytes)
    """Raw bytes the script wrote to stdout, in order."""
    stderr_data = Signal(bytes)
    """Raw bytes the script wrote to stderr, in order."""
    message = Signal(dict)
    """A protocol message from the worker (hello, progress, log, result, error)."""
    finished = Signal(object)
    """The :class:`RunOutcome` once the worker and its whole process group are gone."""

    def __init__(self, spec: RunSpec, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.output_dir = spec.output_dir or tempfile.mkdtemp(prefix="gpuprof-run-")
        self._tracker = OutcomeTracker(spec.profiler, spec.timeout_s, self.output_dir)
        self._decoder = LineDecoder()
        self._proc = QProcess(self)
        self._proc.setUnixProcessParameters(QProcess.UnixProcessFlag.CreateNewSession)
        self._proc.readyReadStandardOutput.connect(self._on_stdout)
        self._proc.readyReadStandardError.connect(self._on_stderr)
        self._proc.finished.connect(self._on_finished)
        self._proc.errorOccurred.connect(self._on_error)
        self._notifier: QSocketNotifier | None = None
        self._channel_fd = -1
        self._pid = 0
        self._t0 = 0.0
        self._cancelled = False
        self._timed_out = False
        self._done = False
        self._kill_timer = QTimer(self, singleShot=True, interval=int(STOP_GRACE_S * 1000))
        self._kill_timer.timeout.connect(self._kill_now)
        self._timeout_timer = QTimer(self, singleShot=True)
        self._timeout_timer.timeout.connect(self._on_timeout)

    # -- control ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._proc.state() != QProcess.ProcessState.NotRunning

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self._t0 if self._t0 else 0.0

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        os.set_inheritable(write_fd, True)
        argv = worker_argv(self.spec, write_fd, self.output_dir)
        self._proc.setProgram(argv[0])
        self._proc.setArguments(argv[1:])
        if self.spec.cwd:
            self._proc.setWorkingDirectory(self.spec.cwd)
        env = QProcessEnvironment()
        for key, value in worker_env(self.spec.env).items():
            env.insert(key, value)
        self._proc.setProcessEnvironment(env)
        self._t0 = time.perf_counter()
        self._proc.start()
        os.close(write_fd)  # only the child keeps the write end: EOF means it is gone
        self._channel_fd = read_fd
        os.set_blocking(read_fd, False)
        self._notifier = QSocketNotifier(read_fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_channel)
        # A script reading stdin gets end-of-file at once instead of hanging.
        self._proc.closeWriteChannel()
        self._pid = int(self._proc.processId())
        if self.spec.timeout_s:
            self._timeout_timer.start(int(self.spec.timeout_s * 1000))

    def cancel(self) -> None:
        """Ask the worker to stop (it saves a partial profile), then kill after a grace period."""
        if not self.running or self._cancelled:
            return
        self._cancelled = True
        self._stop()

    def kill(self) -> None:
        """Kill the worker and its whole process group at once (window closing)."""
        self._cancelled = True
        self._kill_now()

    def _on_timeout(self) -> None:
        if self.running:
            self._timed_out = True
            self._stop()

    def _stop(self) -> None:
        if self._pid:
            kill_process_group(self._pid, signal.SIGTERM)
        self._kill_timer.start()

    def _kill_now(self) -> None:
        if self._pid:
            kill_process_group(self._pid, signal.SIGKILL)

    # -- streams ---------------------------------------------------------------------------
    def _on_stdout(self) -> None:
        data = self._proc.readAllStandardOutput().data()
        if data:
            self.stdout_data.emit(data)

    def _on_stderr(self) -> None:
        data = self._proc.readAllStandardError().data()
        if data:
            self.stderr_data.emit(data)

    def _on_channel(self) -> None:
        while True:
            try:
                data = os.read(self._channel_fd, _CHANNEL_READ_BYTES)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._close_channel()
                return
            for msg in self._decoder.feed(data):
                self._tracker.feed(msg)
                self.message.emit(msg)

    def _close_channel(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._channel_fd >= 0:
            os.close(self._channel_fd)
            self._channel_fd = -1

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._finish(returncode=127)

    def _on_finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        # On a crash Qt reports the terminating signal's number as the exit code.
        crashed = exit_status == QProcess.ExitStatus.CrashExit
        self._finish(-exit_code if crashed else exit_code)

    def _finish(self, returncode: int) -> None:
        if self._done:
            return
        self._done = True
        wall_s = self.elapsed_s
        self._on_stdout()
        self._on_stderr()
        self._on_channel()
        self._close_channel()
        self._kill_timer.stop()
        self._timeout_timer.stop()
        # The script may have left children behind: the whole group goes with the worker.
        if self._pid:
            kill_process_group(self._pid, signal.SIGKILL)
        outcome: RunOutcome = self._tracker.finish(
            returncode, cancelled=self._cancelled, timed_out=self._timed_out, wall_s=wall_s
        )
        self.finished.emit(outcome)
