"""Profile worker: runs one script under cProfile or Scalene and reports on the channel.

    python -m gpuprof_gui.workers.profile_worker --channel-fd N \
        --profiler cprofile|scalene|py-spy --output-dir DIR [--cpu-only] [--native] SCRIPT [-- ARGS...]

Protocol: ``hello``, then either ``error`` (the script could not start; the
worker exits with that :class:`ExitCode`) or ``result`` (the worker exits 0;
the script's own exit status is inside the message). The script keeps the
worker's stdin/stdout/stderr untouched. The worker imports nothing heavy
(no numpy) so its start-up adds little to the profiled run.
"""

from __future__ import annotations

import argparse
import builtins
import io
import os
import signal
import sys
import time
import tokenize
import traceback
import types

from gpuprof_gui.protocol import (
    CHANNEL_FD_ARG,
    PROFILERS,
    STACKS_SUFFIX,
    ExitCode,
    MsgType,
)
from gpuprof_gui.workers._channel import Channel, WorkerArgParser, serve
from gpuprof_gui.workers.stack_sampler import SAMPLE_RATE_HZ, StackSampler

# Python 3.11 runs Python-to-Python calls without growing the C stack, so
# 10,000 frames (twice the 5,000-deep recursion we promise to profile) is far
# from the 8 MB C stack; the default of 1,000 is too low for real recursive code.
RECURSION_LIMIT = 10_000

# A long chained traceback must not turn into a huge protocol line.
TRACEBACK_MAX_CHARS = 20_000

# Set by the runner when it had to put our package on PYTHONPATH; removed
# again before the script starts so the script sees the environment it would
# see without us.
ADDED_PATH_ENV = "GPUPROF_WORKER_ADDED_PATH"
ORIGINAL_PYTHONPATH_ENV = "GPUPROF_WORKER_ORIGINAL_PYTHONPATH"

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

SAMPLER_FAILED_NOTE = "Call paths below two levels are split in proportion: no sampled stacks ({problem})."


class _Cancelled(BaseException):
    """Raised inside the script when SIGTERM (Cancel / timeout) arrives."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = WorkerArgParser(prog="gpuprof_gui.workers.profile_worker")
    parser.add_argument(CHANNEL_FD_ARG, dest="channel_fd", type=int, required=True)
    parser.add_argument("--profiler", choices=PROFILERS, default="cprofile")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--cpu-only", action="store_true", help="Scalene: CPU only")
    parser.add_argument("--native", action="store_true", help="py-spy: native frames too")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.args and ns.args[0] == "--":
        ns.args = ns.args[1:]
    return ns


def _become_group_leader() -> None:
    """Lead a process group so Cancel can stop the script and all its children."""
    if os.getpgrp() != os.getpid():
        try:
            os.setsid()
        except OSError:
            pass


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# Linux sends this when the parent dies (PR_SET_PDEATHSIG). It is not SIGTERM,
# which the parent sends to cancel: only the parent's death may make the worker
# kill its whole group itself. The worker has no terminal, so no real hang-up
# arrives on it.
ORPHAN_SIGNAL = signal.SIGHUP

_orphaned = False


def _on_orphaned(signum: int, frame: types.FrameType | None) -> None:
    global _orphaned
    _orphaned = True
    handler = signal.getsignal(signal.SIGTERM)
    if callable(handler):  # the cancel path: the script stops, the profile is saved
        handler(signum, frame)
    elif handler != signal.SIG_IGN:
        sys.exit(ExitCode.OK)


def _die_with_parent() -> None:
    """Get :data:`ORPHAN_SIGNAL` if the parent dies (Linux), and act on it.

    The worker lives in its own session, so a killed GUI or CLI would otherwise
    leave the script running; :func:`_kill_group_if_orphaned` then takes the
    script's children along.
    """
    global _orphaned
    if not sys.platform.startswith("linux"):
        return
    ppid = os.getppid()
    signal.signal(ORPHAN_SIGNAL, _on_orphaned)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(ORPHAN_SIGNAL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != ppid:  # it died before prctl took effect
        _orphaned = True


def orphaned() -> bool:
    """Whether the parent has died (the worker then stops its own group)."""
    return _orphaned


def _kill_group_if_orphaned() -> None:
    """Nobody is left to stop our process group: stop it (and us) now."""
    if _orphaned:
        try:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        except OSError:
            pass


def _restore_environment() -> None:
    """Undo the PYTHONPATH entry the runner added only so ``-m`` finds us."""
    added = os.environ.pop(ADDED_PATH_ENV, None)
    original = os.environ.pop(ORIGINAL_PYTHONPATH_ENV, None)
    if added is None:
        return
    if original:
        os.environ["PYTHONPATH"] = original
    else:
        os.environ.pop("PYTHONPATH", None)
    if added in sys.path and added not in (original or "").split(os.pathsep):
        sys.path.remove(added)


class ScriptProblem(Exception):
    """The script cannot be started; carries the exit code and the sentence."""

    def __init__(self, code: ExitCode, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def compile_script(path: str) -> types.CodeType:
    """Read and compile ``path``, or raise :class:`ScriptProblem` saying why not."""
    if not os.path.lexists(path):
        raise ScriptProblem(ExitCode.SCRIPT_NOT_FOUND, f"The script does not exist: {path}")
    if not os.path.isfile(path):  # a directory, FIFO or device: reading it could hang
        raise ScriptProblem(ExitCode.NOT_A_FILE, f"{ExitCode.NOT_A_FILE.message} ({path})")
    try:
        with open(path, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        raise ScriptProblem(
            ExitCode.NOT_A_FILE, f"The script could not be read: {exc.strerror} ({path})."
        ) from None
    if b"\0" in source:
        raise ScriptProblem(ExitCode.NOT_PYTHON, f"{ExitCode.NOT_PYTHON.message} ({path})")
    try:  # honours a PEP 263 coding cookie, like Python itself
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        source.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        raise ScriptProblem(ExitCode.NOT_PYTHON, f"{ExitCode.NOT_PYTHON.message} ({path})") from None
    try:
        return compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        detail = "".join(traceback.format_exception_only(exc))
        where = f"{exc.filename}:{exc.lineno}" if exc.lineno else path
        raise ScriptProblem(
            ExitCode.SYNTAX_ERROR,
            f"The script has a syntax error and could not start: {where}: {exc.msg}.",
            detail,
        ) from None
    except ValueError:  # e.g. "source code string cannot contain null bytes"
        raise ScriptProblem(ExitCode.NOT_PYTHON, f"{ExitCode.NOT_PYTHON.message} ({path})") from None


def exit_status_of(exc: SystemExit) -> int:
    """The process exit status Python would report for ``raise SystemExit(code)``."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF  # what the operating system keeps of it
    try:  # Python prints a non-integer code to stderr and exits 1
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _script_traceback(exc: BaseException, code: types.CodeType) -> types.TracebackType | None:
    """The exception's traceback with the worker's own frames removed."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code is not code:
        tb = tb.tb_next
    return tb if tb is not None else exc.__traceback__


class CProfileRun:
    """Runs compiled script code under cProfile in a fresh ``__main__``."""

    def __init__(self, code: types.CodeType, script: str, args: list[str], output_dir: str,
                 channel: Channel) -> None:
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
        self.t0 = 0.0
        self._real_os_exit = os._exit
        self.sampler = StackSampler(self.profile_path + STACKS_SUFFIX,
                                    os.path.join(output_dir, SAMPLER_LOG_NAME),
                                    _sample_rate_from_env() or SAMPLE_RATE_HZ)
        self.sampling = False
        # Keep our own module alive: sys.modules["__main__"] is about to be replaced.
        self._worker_module = sys.modules.get("__main__")

    def _on_sigterm(self, signum: int, frame: types.FrameType | None) -> None:
        self.cancel_requested = True
        if self.in_script and not self.cancel_raised:
            self.cancel_raised = True
            raise _Cancelled()

    def _in_forked_child(self) -> None:
        """A forked child (multiprocessing, os.fork) is not the profiled run.

        It must neither keep cProfile running (timing work nobody reads, ~3x
        slower) nor inherit our SIGTERM handler, which would raise our internal
        cancel exception inside ``Pool.terminate()``'s workers.
        """
        if os.getpid() == self.pid:
            return
        self.profiler.disable()
        self.in_script = False
        self.reported = True
        self.sampler.forget_in_child()
        os._exit = self._real_os_exit
        for sig in (signal.SIGTERM, ORPHAN_SIGNAL):
            signal.signal(sig, signal.SIG_DFL)

    def _os_exit(self, status: int) -> None:
        # A forked child (multiprocessing) inherits this wrapper: it must not
        # overwrite our profile or speak on our channel.
        if os.getpid() == self.pid and not self.reported:
            self.profiler.disable()
            self.in_script = False
            self._report("exit", int(status) & 0xFF, None, None)
            self._real_os_exit(ExitCode.OK)
        self._real_os_exit(status)

    def _prepare_main(self) -> dict:
        main = types.ModuleType("__main__")
        main.__dict__.update(
            __file__=self.script, __builtins__=builtins, __cached__=None,
            __package__=None, __spec__=None, __loader__=None,
        )
        sys.modules["__main__"] = main
        sys.argv = [self.script, *self.args]
        sys.path[0] = os.path.dirname(self.script)  # replaces the -m entry (cwd)
        return main.__dict__

    def run(self) -> int:
        namespace = self._prepare_main()
        signal.signal(signal.SIGTERM, self._on_sigterm)
        os._exit = self._os_exit
        os.register_at_fork(after_in_child=self._in_forked_child)
        self.sampling = _sample_rate_from_env() != 0 and self.sampler.start()
        sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
        status, exit_code, exc_line, tb_text = "finished", 0, None, None
        self.t0 = time.perf_counter()
        try:
            self.in_script = True
            self.profiler.enable()
            try:
                # Calling the module code as a function, not exec(), keeps a
                # builtins.exec frame out of the profile: <module> is the root.
                types.FunctionType(self.code, namespace)()
            finally:
                self.profiler.disable()
                self.in_script = False
        except _Cancelled:
            status, exit_code = "cancelled", None
        except SystemExit as exc:
            status, exit_code = "exit", exit_status_of(exc)
        except BaseException as exc:  # noqa: BLE001 - the script's error, reported not raised
            status = "exception"
            exit_code = 130 if isinstance(exc, KeyboardInterrupt) else 1
            tb = _script_traceback(exc, self.code)
            exc.__traceback__ = tb
            exc_line = traceback.format_exception_only(type(exc), exc)[-1].strip()
            tb_text = "".join(traceback.format_exception(type(exc), exc, tb))[-TRACEBACK_MAX_CHARS:]
            try:  # exactly what Python would print, honouring a custom excepthook
                sys.excepthook(type(exc), exc, tb)
            except Exception:
                sys.stderr.write(tb_text)
        if self.cancel_requested:
            status = "cancelled"
        self._report(status, exit_code, exc_line, tb_text)
        return ExitCode.OK

    def _report(self, status: str, exit_code: int | None, exc_line: str | None,
                tb_text: str | None) -> None:
        self.reported = True
        wall_s = time.perf_counter() - self.t0
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the dump must not be interrupted
        notes = []
        # Read before py-spy, itself a child, is reaped: its CPU is not the script's.
        children_cpu_s = _reaped_children_cpu_s()
        if children_cpu_s >= max(CHILDREN_NOTE_MIN_S, CHILDREN_NOTE_MIN_FRACTION * wall_s):
            notes.append(CHILDREN_NOTE.format(cpu=f"{children_cpu_s:.2f} s"))
        sampler_cpu_s = None
        if self.sampling:
            if self.sampler.stop() is None and self.sampler.problem:
                notes.append(SAMPLER_FAILED_NOTE.format(problem=self.sampler.problem))
            sampler_cpu_s = _reaped_children_cpu_s() - children_cpu_s  # py-spy, reaped by stop()
        try:
            self.profiler.dump_stats(self.profile_path)
        except Exception as exc:  # disk full, output folder removed...
            self.channel.error(ExitCode.PROFILER_FAILED,
                               f"{ExitCode.PROFILER_FAILED.message} ({exc})")
            return
        self.channel.send(
            MsgType.RESULT, profiler="cprofile", profile_path=self.profile_path,
            script_exit_code=exit_code, status=status, wall_s=wall_s,
            exception=exc_line, traceback=tb_text, signal=None, notes=notes,
            children_cpu_s=children_cpu_s, sampler_cpu_s=sampler_cpu_s,
        )


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


def main(argv: list[str] | None = None) -> int:
    _become_group_leader()
    _die_with_parent()
    args = parse_args(argv)
    try:
        return serve(args.channel_fd, "profile", lambda channel: _profile(args, channel))
    finally:
        _kill_group_if_orphaned()


def _profile(args: argparse.Namespace, channel: Channel) -> int:
    _restore_environment()
    script = os.path.abspath(args.script)
    try:
        code = compile_script(script)
    except ScriptProblem as problem:
        if problem.detail:  # what Python itself prints for a SyntaxError
            sys.stderr.write(problem.detail)
        channel.error(problem.code, problem.message, problem.detail)
        return problem.code
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as exc:
        channel.error(ExitCode.PROFILER_FAILED,
                      f"The output folder could not be created: {exc.strerror} ({args.output_dir}).")
        return ExitCode.PROFILER_FAILED
    if args.profiler == "scalene":
        from gpuprof_gui.workers.scalene_run import run_scalene

        return run_scalene(script, args.args, args.output_dir, args.cpu_only, channel, orphaned)
    if args.profiler == "py-spy":
        from gpuprof_gui.workers.pyspy_run import run_pyspy

        return run_pyspy(script, args.args, args.output_dir, args.native, channel)
    import faulthandler

    faulthandler.enable()  # a segfault in native code prints the Python stack to stderr
    return CProfileRun(code, script, args.args, args.output_dir, channel).run()


if __name__ == "__main__":
    sys.exit(main())
