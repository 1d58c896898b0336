"""The cProfile run of the profile worker: the script in a fresh ``__main__``, profiled.

Beside cProfile a py-spy sampler (:mod:`~gpuprof_gui.workers.stack_sampler`)
records real stacks that later split cProfile's exact times among their call
paths. SIGTERM (Cancel, timeout) stops the script and the profile so far is
still saved; a forked child of the script is left unprofiled.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
import types
from typing import NoReturn

from gpuprof_gui.protocol import STACKS_SUFFIX, ExitCode, MsgType
from gpuprof_gui.workers._channel import Channel
from gpuprof_gui.workers.gpu_trace_run import GpuTraceRun, remove_stale
from gpuprof_gui.workers.script_code import exit_status_of, script_traceback
from gpuprof_gui.workers.stack_sampler import SAMPLE_RATE_HZ, StackSampler
from gpuprof_gui.workers.worker_lifetime import ORPHAN_SIGNAL

# Python 3.11 runs Python-to-Python calls without growing the C stack, so
# 10,000 frames (twice the 5,000-deep recursion we promise to profile) is far
# from the 8 MB C stack; the default of 1,000 is too low for real recursive code.
RECURSION_LIMIT = 10_000

# A long chained traceback must not turn into a huge protocol line.
TRACEBACK_MAX_CHARS = 20_000

PROFILE_PROF_NAME = "profile.prof"

SAMPLER_LOG_NAME = "py-spy.log"
SAMPLES_ENV = "GPUPROF_CALL_PATH_SAMPLES"
"""0: run cProfile without the sampled stacks that split its call paths; a
number from 10 to 1000: sample at that rate (Hz). benchmarks/call_paths.py
measures their cost and accuracy this way."""

CHILDREN_NOTE = (
    "Child processes of the script used {cpu} of CPU that cProfile did not see (it profiles "
    "only the script's own process): time shown waiting for them (waitpid, lock waits) is "
    "their work. Choose the py-spy profiler to see inside them."
)
CHILDREN_NOTE_MIN_FRACTION = 0.05
"""Children's CPU under 5% of the run's wall time changes no conclusion: no note."""
CHILDREN_NOTE_MIN_S = 0.05

THREADS_NOTE = (
    "The script started {count} thread(s) that used {cpu} of CPU cProfile did not see (it profiles "
    "only the main thread): time shown waiting for them (join, queue and lock waits) is their work. "
    "Choose the py-spy profiler to see inside them."
)
THREADS_RUNNING_NOTE = (
    "{count} thread(s) the script started were still running when it ended; cProfile did not see "
    "their work (it profiles only the main thread). Choose the py-spy profiler to see inside them."
)
PROFILER_REPLACED_NOTE = (
    "The script removed or replaced the profiler (sys.setprofile, or a cProfile of its own): the "
    "time after that point is missing from this profile."
)

SAMPLER_FAILED_NOTE = "Call paths below two levels are split in proportion: no sampled stacks ({problem})."


# Signals the worker handles itself; a forked child of the script must get them
# with their default action, as it would under plain Python.
CHILD_DEFAULT_SIGNALS = frozenset({signal.SIGTERM, ORPHAN_SIGNAL})


class _Cancelled(BaseException):
    """Raised inside the script when SIGTERM (Cancel / timeout) arrives."""


class CProfileRun:
    """Runs compiled script code under cProfile in a fresh ``__main__``."""

    def __init__(
        self,
        code: types.CodeType,
        script: str,
        args: list[str],
        output_dir: str,
        channel: Channel,
        gpu_trace: bool = False,
    ) -> None:
        import cProfile

        self.code = code
        self.script = script
        self.args = args
        self.profile_path = os.path.join(output_dir, PROFILE_PROF_NAME)
        self.channel = channel
        self.profiler = cProfile.Profile()
        self.pid = os.getpid()
        self.in_script = False
        self.cancel_requested = False
        self.cancel_raised = False
        self.reported = False
        self.result: dict | None = None  # the result message sent, for an exit status changed at exit
        self.t0 = 0.0
        self.cpu0 = (0.0, 0.0)  # process and main-thread CPU at the script's start
        self.threads_started = 0
        self.script_threads: list[threading.Thread] = []
        self.profiler_lost = False
        self._real_os_exit = os._exit
        self.sampler = StackSampler(
            self.profile_path + STACKS_SUFFIX,
            os.path.join(output_dir, SAMPLER_LOG_NAME),
            _sample_rate_from_env() or SAMPLE_RATE_HZ,
        )
        self.sampling = False
        self.gpu: GpuTraceRun | None = GpuTraceRun(script, args, self.profile_path) if gpu_trace else None
        remove_stale(self.profile_path)
        self._own_handlers: dict[int, object] = {}  # the worker's handlers, set as the script starts
        self._fork_mask = threading.local()  # the forking thread's signal mask, across one fork
        # Keep our own module alive: sys.modules["__main__"] is about to be replaced.
        self._worker_module = sys.modules.get("__main__")

    def _on_sigterm(self, signum: int, frame: types.FrameType | None) -> None:
        if os.getpid() != self.pid:  # a forked child not yet through its at-fork hook: die as by default
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.cancel_requested = True
        if self.in_script and not self.cancel_raised:
            self.cancel_raised = True
            raise _Cancelled()

    def _on_thread_start(self, frame: types.FrameType, event: str, arg: object) -> None:
        """``threading.setprofile`` hook: counts each thread the script starts, then steps aside."""
        sys.setprofile(None)
        if os.getpid() == self.pid and self.in_script:
            self.threads_started += 1
            self.script_threads.append(threading.current_thread())

    def _thread_notes(self) -> list[str]:
        """Notes for the threads the script started: cProfile saw only the main thread."""
        if not self.threads_started:
            return []
        threads_cpu_s = (time.process_time() - self.cpu0[0]) - (time.thread_time() - self.cpu0[1])
        wall_s = time.perf_counter() - self.t0
        if threads_cpu_s >= max(CHILDREN_NOTE_MIN_S, CHILDREN_NOTE_MIN_FRACTION * wall_s):
            return [THREADS_NOTE.format(count=self.threads_started, cpu=f"{threads_cpu_s:.2f} s")]
        running = sum(1 for t in self.script_threads if t.is_alive())
        return [THREADS_RUNNING_NOTE.format(count=running)] if running else []

    def _before_fork(self) -> None:
        """Hold back our signals across a fork until the child has its default handlers.

        Python clears signals that arrive between ``fork()`` and the child's
        at-fork hooks, and runs our handler for one arriving during the hooks
        before ours: a ``Pool.terminate()`` right after the pool started then
        either raised our cancel exception in the child or was lost, and
        ``pool.join()`` waited forever. Blocked, the signal stays pending and
        takes its default action the moment the child unblocks it.
        """
        if os.getpid() == self.pid:
            self._fork_mask.saved = signal.pthread_sigmask(signal.SIG_BLOCK, CHILD_DEFAULT_SIGNALS)

    def _restore_fork_mask(self) -> None:
        saved = getattr(self._fork_mask, "saved", None)
        if saved is not None:
            self._fork_mask.saved = None
            signal.pthread_sigmask(signal.SIG_SETMASK, saved)

    def _in_forked_child(self) -> None:
        """A forked child (multiprocessing, os.fork) is not the profiled run.

        It must neither keep cProfile running (timing work nobody reads, ~3x
        slower) nor inherit our signal handlers, which would raise our internal
        cancel exception inside ``Pool.terminate()``'s workers. A handler the
        script installed itself is the child's to inherit, as under plain Python.
        """
        if os.getpid() == self.pid:
            return
        try:
            for sig in CHILD_DEFAULT_SIGNALS:
                if signal.getsignal(sig) == self._own_handlers.get(sig):
                    signal.signal(sig, signal.SIG_DFL)
            self.profiler.disable()
            self.in_script = False
            self.reported = True
            self.sampler.forget_in_child()
            if self.gpu is not None:
                self.gpu.forget_in_child()
            os._exit = self._real_os_exit
        finally:
            self._restore_fork_mask()  # a SIGTERM that came meanwhile ends the child now

    def _os_exit(self, status: int) -> NoReturn:
        # A forked child (multiprocessing) inherits this wrapper: it must not
        # overwrite our profile or speak on our channel.
        if os.getpid() == self.pid and not self.reported:
            self._check_profiler()
            self.profiler.disable()
            self.in_script = False
            self._report("exit", int(status) & 0xFF, None, None)
            self._real_os_exit(ExitCode.OK)
        if os.getpid() == self.pid and self.result is not None:
            # The script's atexit callback: plain Python would exit with this status.
            was = self.result["status"]
            self.channel.send(
                MsgType.RESULT,
                **{
                    **self.result,
                    "status": "exit" if was == "finished" else was,
                    "script_exit_code": int(status) & 0xFF,
                },
            )
        self._real_os_exit(status)

    def _prepare_main(self) -> dict:
        main = types.ModuleType("__main__")
        main.__dict__.update(
            __file__=self.script,
            __builtins__=builtins,
            __cached__=None,
            __package__=None,
            __spec__=None,
            __loader__=None,
        )
        sys.modules["__main__"] = main
        sys.argv = [self.script, *self.args]
        folder = os.path.dirname(self.script)  # the script imports its siblings, as under `python script.py`
        if getattr(sys.flags, "safe_path", False):  # started with -P: nothing to replace (3.11+)
            sys.path.insert(0, folder)
        else:
            # Replaces the -m entry (the current folder), or the worker bundle's folder in a
            # user's Python: the script's path is then what `python script.py` gives it.
            sys.path[0] = folder
        return main.__dict__

    def run(self) -> int:
        namespace = self._prepare_main()
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self._own_handlers = {sig: signal.getsignal(sig) for sig in CHILD_DEFAULT_SIGNALS}
        os._exit = self._os_exit
        # Registered last, so ours is the first "before" hook and the last "after" one.
        os.register_at_fork(
            before=self._before_fork, after_in_parent=self._restore_fork_mask, after_in_child=self._in_forked_child
        )
        self.sampling = _sample_rate_from_env() != 0 and self.sampler.start()
        sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
        status = "finished"
        exit_code: int | None = 0
        exc_line: str | None = None
        tb_text: str | None = None
        threading.setprofile(self._on_thread_start)
        if self.gpu is not None:
            self.gpu.start()  # CUPTI's start-up before the clock: the script's wall time is its own
        self.t0 = time.perf_counter()
        self.cpu0 = (time.process_time(), time.thread_time())
        try:
            self.in_script = True
            self.profiler.enable()
            try:
                # Calling the module code as a function, not exec(), keeps a
                # builtins.exec frame out of the profile: <module> is the root.
                types.FunctionType(self.code, namespace)()
            finally:
                self._check_profiler()
                self.profiler.disable()
                self.in_script = False
        except _Cancelled:
            status, exit_code = "cancelled", None
        except SystemExit as exc:
            status, exit_code = "exit", exit_status_of(exc)
        except BaseException as exc:  # noqa: BLE001 - the script's error, reported not raised
            status = "exception"
            exit_code = 130 if isinstance(exc, KeyboardInterrupt) else 1
            tb = script_traceback(exc, self.code)
            exc.__traceback__ = tb
            exc_line = traceback.format_exception_only(type(exc), exc)[-1].strip()
            tb_text = "".join(traceback.format_exception(type(exc), exc, tb))[-TRACEBACK_MAX_CHARS:]
            try:  # exactly what Python would print, honouring a custom excepthook
                sys.excepthook(type(exc), exc, tb)
            except Exception:  # noqa: BLE001 - a broken excepthook must not hide the script's own error
                sys.stderr.write(tb_text)
        if self.cancel_requested:
            status = "cancelled"
        self._report(status, exit_code, exc_line, tb_text)
        return ExitCode.OK

    def _dump_to_temporary_folder(self, exc: OSError) -> str | None:
        """Save the profile in a temporary folder when the run folder cannot take it; the sentence saying so."""
        import tempfile

        try:
            from gpuprof_gui.core.atomic import describe_os_error
        except ImportError:  # in a user's Python the worker has only its own modules

            def describe_os_error(exc: OSError) -> str:
                return exc.strerror or str(exc)

        folder = os.path.dirname(self.profile_path)
        with contextlib.suppress(OSError):
            os.unlink(self.profile_path)  # a partial file
        try:
            self.profile_path = os.path.join(tempfile.mkdtemp(prefix="gpuprof-run-"), PROFILE_PROF_NAME)
            self.profiler.dump_stats(self.profile_path)
        except OSError:
            return None
        return (
            f"The run folder {folder} could not be written ({describe_os_error(exc)}); "
            f"the profile is kept in the temporary folder {os.path.dirname(self.profile_path)} instead."
        )

    def _check_profiler(self) -> None:
        """Note whether the script removed or replaced our profiler (its time after that is missing)."""
        if not self._profiler_active():
            self.profiler_lost = True

    def _profiler_active(self) -> bool:
        monitoring = getattr(sys, "monitoring", None)
        if sys.version_info >= (3, 12) and monitoring is not None:
            # cProfile is a sys.monitoring tool from 3.12 on: sys.getprofile() is None under it, and
            # nothing but disabling it (ours, or the script's own cProfile) takes its place.
            return monitoring.get_tool(monitoring.PROFILER_ID) is not None
        return sys.getprofile() is self.profiler

    def _report(self, status: str, exit_code: int | None, exc_line: str | None, tb_text: str | None) -> None:
        self.reported = True
        wall_s = time.perf_counter() - self.t0
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the dump must not be interrupted
        notes = []
        if self.profiler_lost:
            notes.append(PROFILER_REPLACED_NOTE)
        notes += self._thread_notes()
        # Read before py-spy, itself a child, is reaped: its CPU is not the script's.
        children_cpu_s = _reaped_children_cpu_s()
        if children_cpu_s >= max(CHILDREN_NOTE_MIN_S, CHILDREN_NOTE_MIN_FRACTION * wall_s):
            notes.append(CHILDREN_NOTE.format(cpu=f"{children_cpu_s:.2f} s"))
        sampler_cpu_s = None
        if self.sampling:
            if self.sampler.stop() is None and self.sampler.problem:
                notes.append(SAMPLER_FAILED_NOTE.format(problem=self.sampler.problem))
            sampler_cpu_s = _reaped_children_cpu_s() - children_cpu_s  # py-spy, reaped by stop()
        if self.gpu is not None:  # after the children's CPU is read: its telemetry sampler is not the script's
            self.gpu.stop()
            notes += self.gpu.notes
        try:
            self.profiler.dump_stats(self.profile_path)
        except OSError as exc:  # disk full, output folder removed...: keep the profile elsewhere
            kept = self._dump_to_temporary_folder(exc)
            if kept is None:
                self.channel.error(ExitCode.PROFILER_FAILED, f"{ExitCode.PROFILER_FAILED.message} ({exc})")
                return
            notes.insert(0, kept)
        except Exception as exc:  # noqa: BLE001 - the profile itself could not be written
            self.channel.error(ExitCode.PROFILER_FAILED, f"{ExitCode.PROFILER_FAILED.message} ({exc})")
            return
        self.result = {
            "profiler": "cprofile",
            "profile_path": self.profile_path,
            "script_exit_code": exit_code,
            "status": status,
            "wall_s": wall_s,
            "exception": exc_line,
            "traceback": tb_text,
            "signal": None,
            "notes": notes,
            "children_cpu_s": children_cpu_s,
            "sampler_cpu_s": sampler_cpu_s,
            "gpu_trace_path": self.gpu.trace_path if self.gpu is not None else None,
        }
        self.channel.send(MsgType.RESULT, **self.result)


def _sample_rate_from_env() -> int | None:
    """``GPUPROF_CALL_PATH_SAMPLES``: 0 turns the sampling off, N samples at N Hz (10-1000)."""
    value = os.environ.get(SAMPLES_ENV, "").strip()
    if value == "0":
        return 0
    if value.isdigit() and 10 <= int(value) <= 1000:
        return int(value)
    return None


def _reaped_children_cpu_s() -> float:
    """CPU seconds of the child processes that have ended and been waited for."""
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    except (ImportError, OSError):
        return 0.0
    return float(usage.ru_utime + usage.ru_stime)
