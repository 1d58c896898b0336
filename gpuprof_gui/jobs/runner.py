"""Starts and supervises worker processes without Qt (the CLI and the tests use it).

The GUI drives the same workers with ``QProcess`` and shares the pure pieces
here: :func:`worker_argv`, :func:`worker_env`, :class:`OutcomeTracker`,
:class:`GroupStopper` and :func:`kill_process_group`.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from gpuprof_gui import protocol
from gpuprof_gui.protocol import CHANNEL_FD_ARG, PROFILERS, ExitCode, LineDecoder, MsgType

# Time between SIGTERM and SIGKILL: enough for cProfile to marshal a large
# profile (~0.2 s for 100k entries) and for Scalene to write its JSON
# (~0.1 s measured on a 10 s run), with margin for a loaded machine.
STOP_GRACE_S = 2.0

# How often the supervising loop wakes with nothing to read, to check the
# cancel event and the timeout: 50 ms feels immediate to a person pressing Stop.
POLL_INTERVAL_S = 0.05

# 64 KiB is the Linux pipe capacity: one read empties a full pipe.
READ_CHUNK_BYTES = 64 * 1024

# After the worker has exited and its group was killed, the pipes reach EOF at
# once unless a process that left the group still holds them; do not wait
# longer than this for such a process.
DRAIN_LIMIT_S = 2.0

# A damaged .prof normally fails in well under a second; a hung parser must not
# hang `gpuprof open`.
CONVERT_TIMEOUT_S = 60.0

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STATUSES = ("finished", "script_error", "crashed", "cancelled", "timed_out", "could_not_start")


@dataclass
class RunSpec:
    """What to profile and how. A relative ``script`` is relative to the caller's cwd."""

    script: str
    args: list[str] = field(default_factory=list)
    profiler: str = "cprofile"  # "cprofile" | "scalene"
    cwd: str | None = None  # the script's working directory; None: the caller's
    env: dict[str, str] | None = None  # the script's environment; None: the caller's
    timeout_s: float | None = None
    output_dir: str | None = None  # where the raw profile goes; None: a new temp folder
    scalene_cpu_only: bool = False  # Scalene without memory profiling (faster)
    pyspy_native: bool = False  # py-spy: native (C/C++) frames too


@dataclass
class RunOutcome:
    """How a run ended, in words a status bar can show."""

    status: str  # one of STATUSES
    ok: bool  # a profile file exists
    script_exit_code: int | None
    signal: int | None
    wall_s: float
    message: str
    profile_path: str | None
    profiler: str
    traceback: str | None = None
    notes: list[str] = field(default_factory=list)
    output_dir: str | None = None
    sampler_cpu_s: float | None = None  # CPU the call-path sampler (py-spy) used, cProfile runs


def _float_or_none(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def worker_argv(spec: RunSpec, channel_fd: int, output_dir: str) -> list[str]:
    """Command line of the profile worker for ``spec``."""
    argv = [sys.executable, "-m", "gpuprof_gui.workers.profile_worker",
            CHANNEL_FD_ARG, str(channel_fd), "--profiler", spec.profiler,
            "--output-dir", os.path.abspath(output_dir)]
    if spec.scalene_cpu_only:
        argv.append("--cpu-only")
    if spec.pyspy_native:
        argv.append("--native")
    return argv + [os.path.abspath(spec.script), "--", *spec.args]


def _package_importable_without_help() -> bool:
    import site

    places = {os.path.realpath(p) for p in site.getsitepackages() + [site.getusersitepackages()]}
    return os.path.realpath(_PACKAGE_ROOT) in places


def worker_env(spec_env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a worker: the script's, plus our package on PYTHONPATH when needed.

    ``python -m`` only finds an uninstalled checkout from its own folder; the
    worker removes the entry again before the script starts.
    """
    from gpuprof_gui.workers.profile_worker import ADDED_PATH_ENV, ORIGINAL_PYTHONPATH_ENV

    env = dict(os.environ if spec_env is None else spec_env)
    if _package_importable_without_help():
        return env
    original = env.get("PYTHONPATH", "")
    env[ADDED_PATH_ENV] = _PACKAGE_ROOT
    env[ORIGINAL_PYTHONPATH_ENV] = original
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, original) if p)
    return env


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

    def tick(self) -> bool:
        """Escalate to SIGKILL once the grace period is over; True when it did."""
        if self.requested_at is None or self.killed:
            return False
        if time.monotonic() - self.requested_at >= self.grace_s:
            self.killed = True
            kill_process_group(self.pid, signal.SIGKILL)
            return True
        return False


def stop_process_group(pid: int, grace_s: float = STOP_GRACE_S,
                       has_exited: Callable[[], bool] | None = None) -> None:
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


def _signal_words(signum: int) -> str:
    try:
        return _SIGNAL_WORDS.get(signal.Signals(signum), f"was stopped by {signal.Signals(signum).name}")
    except ValueError:
        return f"was stopped by signal {signum}"


class OutcomeTracker:
    """Turns the protocol messages of one run and its exit status into a RunOutcome.

    Pure: feed it every decoded message (:class:`protocol.LineDecoder`), then
    call :meth:`finish` once the worker process has exited.
    """

    def __init__(self, profiler: str = "cprofile", timeout_s: float | None = None,
                 output_dir: str | None = None) -> None:
        self.profiler = profiler
        self.timeout_s = timeout_s
        self.output_dir = output_dir
        self.hello: dict | None = None
        self.result: dict | None = None
        self.error: dict | None = None
        self.logs: list[dict] = []
        self.invalid_lines = 0

    def feed(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == MsgType.HELLO:
            self.hello = msg
        elif kind == MsgType.RESULT:
            self.result = msg
        elif kind == MsgType.ERROR:
            self.error = msg
        elif kind == MsgType.LOG:
            self.logs.append(msg)
        elif kind == "invalid":
            self.invalid_lines += 1

    def _outcome(self, status: str, message: str, wall_s: float, **kw) -> RunOutcome:
        result = self.result or {}
        profile_path = kw.pop("profile_path", result.get("profile_path"))
        return RunOutcome(
            status=status, ok=profile_path is not None, message=message, wall_s=wall_s,
            profile_path=profile_path, profiler=result.get("profiler", self.profiler),
            script_exit_code=kw.pop("script_exit_code", result.get("script_exit_code")),
            signal=kw.pop("signal", result.get("signal")),
            traceback=result.get("traceback"), notes=list(result.get("notes") or []),
            output_dir=self.output_dir, sampler_cpu_s=_float_or_none(result.get("sampler_cpu_s")), **kw,
        )

    def finish(self, returncode: int, cancelled: bool = False, timed_out: bool = False,
               wall_s: float = 0.0) -> RunOutcome:
        if self.hello is not None and self.hello.get("version") != protocol.PROTOCOL_VERSION:
            return self._outcome("could_not_start", ExitCode.PROTOCOL_MISMATCH.message, wall_s,
                                 profile_path=None)
        if self.error is not None:
            return self._outcome("could_not_start", str(self.error.get("message")), wall_s,
                                 profile_path=None, script_exit_code=None)
        if self.result is None:
            return self._no_result(returncode, cancelled, timed_out, wall_s)
        res = self.result
        wall_s = float(res.get("wall_s") or wall_s)
        has_profile = res.get("profile_path") is not None
        shown = "partial profile shown" if has_profile else "no profile was saved"
        note = "".join(" " + n for n in res.get("notes") or [])
        if timed_out:
            return self._outcome("timed_out", f"Stopped after the {self._timeout_words()} "
                                 f"timeout; {shown}.{note}", wall_s)
        if cancelled or res.get("status") == "cancelled":
            return self._outcome("cancelled", f"Cancelled after {wall_s:.1f} s; {shown}.{note}",
                                 wall_s)
        code = res.get("script_exit_code")
        if res.get("signal") is not None or not has_profile:
            what = (_signal_words(int(res["signal"])) if res.get("signal") is not None
                    else f"ended (exit code {code})")
            return self._outcome("crashed", f"The script {what}; no profile was saved.{note}",
                                 wall_s)
        if res.get("status") == "exception":
            return self._outcome(
                "script_error", f"The script raised {res.get('exception')} (exit code {code}). "
                f"The profile up to that point is shown.{note}", wall_s)
        if code:
            return self._outcome("script_error", f"The script exited with code {code} after "
                                 f"{wall_s:.2f} s. The profile up to that point is shown.{note}",
                                 wall_s)
        return self._outcome("finished", f"Finished in {wall_s:.2f} s.{note}", wall_s)

    def _timeout_words(self) -> str:
        return f"{self.timeout_s:g} s" if self.timeout_s is not None else "time"

    def _no_result(self, returncode: int, cancelled: bool, timed_out: bool,
                   wall_s: float) -> RunOutcome:
        none = dict(profile_path=None, script_exit_code=None)
        if timed_out:
            return self._outcome("timed_out", f"Stopped after the {self._timeout_words()} "
                                 "timeout; no profile was saved.", wall_s, **none)
        if cancelled:
            return self._outcome("cancelled", f"Cancelled after {wall_s:.1f} s; "
                                 "no profile was saved.", wall_s, **none)
        if self.hello is None:
            return self._outcome("could_not_start", "The profiling worker could not start "
                                 f"({protocol.describe_exit(returncode)})", wall_s, **none)
        if returncode < 0:
            return self._outcome("crashed", f"The script {_signal_words(-returncode)}; "
                                 "no profile was saved.", wall_s, signal=-returncode, **none)
        return self._outcome("crashed", f"The profiling worker ended with status {returncode} "
                             "without reporting; no profile was saved.", wall_s, **none)


Callback = Callable[[bytes], None] | None


def supervise(argv_for_fd: Callable[[int], list[str]], tracker: OutcomeTracker, *,
              env: dict[str, str] | None = None, cwd: str | None = None,
              on_stdout: Callback = None, on_stderr: Callback = None,
              cancel: threading.Event | None = None, timeout_s: float | None = None) -> RunOutcome:
    """Run one worker to the end, pumping its pipes and the protocol channel.

    ``argv_for_fd(fd)`` gives the command line for the channel's write end.
    Ctrl-C (KeyboardInterrupt) counts as a cancel, so the process group is
    stopped and the partial profile still comes back.
    """
    read_fd, write_fd = os.pipe()
    argv = argv_for_fd(write_fd)
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=(write_fd,), start_new_session=True)
    except OSError as exc:
        os.close(read_fd)
        where = f" ({exc.filename})" if exc.filename else ""
        return tracker._outcome("could_not_start", f"The profiler could not start: "
                                f"{exc.strerror or exc}{where}.", 0.0, profile_path=None,
                                script_exit_code=None)
    finally:
        os.close(write_fd)
    decoder = LineDecoder()
    sinks = {proc.stdout.fileno(): on_stdout, proc.stderr.fileno(): on_stderr, read_fd: None}
    sel = selectors.DefaultSelector()
    for fd in sinks:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    stopper = GroupStopper(proc.pid)
    cancelled = timed_out = False

    def pump(timeout: float) -> None:
        for key, _ in sel.select(timeout):
            try:
                data = os.read(key.fd, READ_CHUNK_BYTES)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(key.fd)
            elif key.fd == read_fd:
                for msg in decoder.feed(data):
                    tracker.feed(msg)
            elif sinks[key.fd] is not None:
                sinks[key.fd](data)

    try:
        while proc.poll() is None:
            try:
                if not stopper.requested:
                    if cancel is not None and cancel.is_set():
                        cancelled = True
                        stopper.request()
                    elif timeout_s is not None and time.monotonic() - t0 >= timeout_s:
                        timed_out = True
                        stopper.request()
                stopper.tick()
                if sel.get_map():
                    pump(POLL_INTERVAL_S)
                else:  # all pipes closed: wake the moment the worker exits
                    try:
                        proc.wait(POLL_INTERVAL_S)
                    except subprocess.TimeoutExpired:
                        pass
            except KeyboardInterrupt:
                cancelled = True
                stopper.request()
        # Whatever the script started and left behind dies with the group now;
        # that also closes the pipes such a child may still hold.
        kill_process_group(proc.pid, signal.SIGKILL)
        drain_until = time.monotonic() + DRAIN_LIMIT_S
        while sel.get_map() and time.monotonic() < drain_until:
            pump(POLL_INTERVAL_S)
    finally:
        if proc.poll() is None:  # an exception escaped the loop: leave nothing behind
            kill_process_group(proc.pid, signal.SIGKILL)
            proc.wait()
        sel.close()
        os.close(read_fd)
        proc.stdout.close()
        proc.stderr.close()
    return tracker.finish(proc.returncode, cancelled, timed_out, time.monotonic() - t0)


def run_profile(spec: RunSpec, on_stdout: Callback = None, on_stderr: Callback = None,
                cancel: threading.Event | None = None) -> RunOutcome:
    """Profile ``spec`` in a worker process; script output goes to the callbacks as raw bytes."""
    output_dir = spec.output_dir or tempfile.mkdtemp(prefix="gpuprof-")
    tracker = OutcomeTracker(spec.profiler, spec.timeout_s, output_dir)
    if spec.profiler not in PROFILERS:
        return tracker._outcome("could_not_start", f"Unknown profiler {spec.profiler!r}; "
                                f"choose one of {', '.join(PROFILERS)}.", 0.0, profile_path=None)
    return supervise(lambda fd: worker_argv(spec, fd, output_dir), tracker, env=worker_env(spec.env), cwd=spec.cwd,
                     on_stdout=on_stdout, on_stderr=on_stderr, cancel=cancel,
                     timeout_s=spec.timeout_s)


@dataclass
class ConvertOutcome:
    ok: bool
    message: str  # the importer's sentence when not ok
    output_path: str | None


def convert_untrusted(in_path: str, out_path: str, timeout_s: float = CONVERT_TIMEOUT_S,
                      cancel: threading.Event | None = None) -> ConvertOutcome:
    """Parse ``in_path`` (e.g. a foreign ``.prof``) in the convert worker, writing ``out_path``.

    ``out_path`` ending in ``.npz``: numpy columns (the fast hand-off); otherwise our JSON.
    """
    def argv_for_fd(fd: int) -> list[str]:
        return [sys.executable, "-m", "gpuprof_gui.workers.convert_worker", CHANNEL_FD_ARG,
                str(fd), os.path.abspath(in_path), os.path.abspath(out_path)]

    tracker = OutcomeTracker("convert", timeout_s)
    # The worker's own output is not shown: its messages carry everything a user needs.
    # The worker does no linear algebra: without this, importing numpy starts one OpenBLAS
    # thread per core, 0.06-0.1 s of CPU taken from the window starting up beside it.
    env = {**worker_env(None), "OPENBLAS_NUM_THREADS": "1"}
    outcome = supervise(argv_for_fd, tracker, env=env, timeout_s=timeout_s, cancel=cancel)
    if tracker.error is not None:
        return ConvertOutcome(False, str(tracker.error.get("message")), None)
    if tracker.result is not None and outcome.status != "timed_out":
        return ConvertOutcome(True, "", str(tracker.result["profile_path"]))
    if outcome.status == "timed_out":
        return ConvertOutcome(False, f"Reading the profile file took longer than {timeout_s:g} s; "
                              "it is probably damaged.", None)
    if outcome.signal is not None:
        return ConvertOutcome(False, "The profile file is damaged: reading it "
                              f"{_signal_words(outcome.signal)}.", None)
    return ConvertOutcome(False, f"The profile file could not be read ({outcome.message})", None)


def open_profile_safely(path: str, trusted: bool = False):
    """A Profile from any supported file; foreign cProfile dumps are parsed in the convert worker.

    ``marshal`` (inside pstats) is not safe against malformed input, so an
    untrusted ``.prof`` is parsed by a subprocess whose crash or runaway memory
    cannot hurt the caller; a conversion started early for the same file
    (``gpuprof gui FILE.prof``) is used instead of starting another.
    Raises ProfileFormatError.
    """
    from gpuprof_gui.core.importers import UntrustedFormat, load_profile
    from gpuprof_gui.jobs.convert_client import claim_early_conversion, convert_to_profile

    try:
        return load_profile(path, trusted=trusted)
    except UntrustedFormat:
        pass
    early = claim_early_conversion(path)
    profile = early.profile() if early is not None else convert_to_profile(path)
    profile.source_path = path
    return profile
