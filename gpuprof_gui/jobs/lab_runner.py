"""Parent side of the kernel lab (Qt-free): runs kernel workers, survives their faults.

A run goes through one worker after another: when a kernel kills the CUDA
context, hangs past its timeout or crashes the process, the faulty candidate
is recorded as such and a fresh worker continues with the candidates left.
Records reach ``on_record`` as they are made, so a window can show them live;
setting ``cancel`` stops the run (the worker's process group is killed).
"""

from __future__ import annotations

import functools
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.util import find_spec

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.core.atomic import describe_os_error
from gpuprof_gui.jobs.gpu_choice import gpu_missing_reason, visible_gpu_env
from gpuprof_gui.jobs.outcome import OutcomeTracker, RunOutcome
from gpuprof_gui.jobs.supervisor import python_module_argv, supervise, worker_env
from gpuprof_gui.lab import LabFileError
from gpuprof_gui.protocol import CHANNEL_FD_ARG, ExitCode, MsgType, describe_exit

# A step is one candidate at one size: compile + check + warm-up + ~0.3 s of
# timed repetitions. A minute is far past any sane kernel and short enough
# that a hung one does not stall a classroom demo for long.
CANDIDATE_TIMEOUT_S = 60.0
# Making inputs, the NumPy reference (a few runs) and transfer timings for one
# size; a 4096² float64 matmul or a large Mandelbrot reference takes seconds.
REFERENCE_TIMEOUT_S = 300.0
# Importing CuPy, creating the context and measuring copy bandwidth.
STARTUP_TIMEOUT_S = 120.0
DESCRIBE_TIMEOUT_S = 60.0
STDERR_TAIL_BYTES = 8192

WORKER_MODULE = "gpuprof_gui.workers.kernel_worker"


def cupy_missing_reason() -> str | None:
    """Why the lab cannot run here, found without importing CuPy or touching the GPU.

    With CuPy installed the worker is left to find out (it reports "no GPU" in
    plain words); without it, the reason says what is missing first: the
    driver, a GPU, or CuPy (with the pip command for the driver's CUDA version).
    """
    if find_spec("cupy") is not None:
        return None
    from gpuprof_gui.gpu.install_hint import lab_unavailable_reason

    return lab_unavailable_reason() or "CuPy is not installed: pip install 'gpuprof-gui[cuda13]' (or [cuda12])"


@dataclass
class LabRunSpec:
    """What to run: a candidate file, sizes (empty: the file's defaults), candidates (empty: all)."""

    path: str
    sizes: list[int] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    source_overrides: dict[str, str] = field(default_factory=dict)  # name -> edited source text
    candidate_timeout_s: float = CANDIDATE_TIMEOUT_S
    reference_timeout_s: float = REFERENCE_TIMEOUT_S
    output_dir: str | None = None
    host: str | None = None  # run on this GPU host through SSH (jobs/remote); None: here
    gpu: int | None = None  # the GPU to use, as NVML numbers them (jobs/gpu_choice); None: the default
    python: str | None = None  # the host's Python (python3 there by default)


@dataclass
class LabOutcome:
    status: str  # "finished" | "no_gpu" | "cancelled" | "error"
    message: str
    run: lm.LabRun | None = None
    results_path: str | None = None
    workers_started: int = 0
    remote_failure: bool = False  # the host could not be reached or used (not the file's fault)


class HostUnusableError(LabFileError):
    """The host of a remote lab run could not be reached or used: the sentence says why."""


class NoLabThereError(LabFileError):
    """The worker cannot run the lab where it runs (no NumPy, CuPy or GPU there): the sentence says why."""


class _Watchdog:
    """Looks like a threading.Event to ``supervise``: set on cancel or when a step overruns."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self.cancel = cancel
        self.deadline: float | None = None
        self.expired = False

    def arm(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def is_set(self) -> bool:
        if self.cancel is not None and self.cancel.is_set():
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.expired = True
        return self.expired


class _LabTracker(OutcomeTracker):
    """Feeds the worker's progress messages into the run as they arrive."""

    def __init__(self, owner: _LabRun, watchdog: _Watchdog) -> None:
        super().__init__("kernel")
        self.owner, self.watchdog = owner, watchdog
        self.current: tuple[str, int] | None = None
        self.current_since: tuple[float, float] | None = None
        self.context_lost: str | None = None
        self.returncode: int | None = None
        self.done_steps: set[tuple[str, int]] = set()

    def feed(self, msg: dict) -> None:
        super().feed(msg)
        if msg.get("type") != MsgType.PROGRESS:
            return
        phase, spec = msg.get("phase"), self.owner.spec
        if phase in (lm.PHASE_DEVICE, lm.PHASE_REFERENCE):
            self.watchdog.arm(spec.reference_timeout_s)
            if phase == lm.PHASE_DEVICE and not self.owner.run.device.name:
                self.owner.run.device = lm.DeviceFacts.from_dict(msg.get("device") or {})
        elif phase == lm.PHASE_TRANSFER:
            self.owner.add_transfer(lm.TransferTiming.from_dict(msg.get("transfer") or {}))
        elif phase == lm.PHASE_CANDIDATE:
            self.watchdog.arm(spec.candidate_timeout_s)
            self.current = (str(msg.get("candidate")), int(msg.get("size", 0)))
            self.current_since = (time.monotonic(), time.time())
        elif phase == lm.PHASE_RECORD:
            rec = lm.LabRecord.from_dict(msg.get("record") or {})
            self.done_steps.add((rec.candidate, rec.size))
            self.owner.add_record(rec)
        elif phase == lm.PHASE_CONTEXT_LOST:
            self.context_lost = str(msg.get("error"))

    def finish(self, returncode: int, *args, **kwargs):
        self.returncode = returncode
        return super().finish(returncode, *args, **kwargs)


class _LabRun:
    """State of one lab run across however many workers it takes."""

    def __init__(self, spec: LabRunSpec, info: dict, on_record, cancel) -> None:
        self.spec, self.on_record, self.cancel = spec, on_record, cancel
        self.sizes = list(spec.sizes) or list(info["problem"]["default_sizes"])
        names = [c["name"] for c in info["candidates"]]
        unknown = [n for n in spec.candidates if n not in names]
        if unknown:
            raise LabFileError(f"no candidate named {unknown[0]!r} (the file has: {', '.join(names)})")
        self.names = list(spec.candidates) or names
        self.kinds = {c["name"]: c["kind"] for c in info["candidates"]}
        self.run = lm.LabRun(
            problem=info["problem"],
            candidates=info["candidates"],
            file=os.path.basename(spec.path),
            started_wall=time.time(),
            host=spec.host or socket.gethostname(),
            gpu=spec.gpu,
            date=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.output_dir = spec.output_dir or tempfile.mkdtemp(prefix="gpuprof-lab-")
        os.makedirs(self.output_dir, exist_ok=True)
        self.override_args = self._write_overrides() if not spec.host else []

    def _write_overrides(self) -> list[str]:
        args = []
        for name, text in self.spec.source_overrides.items():
            path = os.path.join(self.output_dir, f"override_{name}.src")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            args += ["--source-override", f"{name}={path}"]
        return args

    def add_record(self, rec: lm.LabRecord) -> None:
        self.run.records.append(rec)
        if self.on_record is not None:
            self.on_record(rec)

    def add_transfer(self, t: lm.TransferTiming) -> None:
        if all(x.size != t.size for x in self.run.transfers):
            self.run.transfers.append(t)

    def argv(self, fd: int, names: list[str]) -> list[str]:
        argv = [
            *python_module_argv(WORKER_MODULE),
            CHANNEL_FD_ARG,
            str(fd),
            "run",
            os.path.abspath(self.spec.path),
            "--output-dir",
            self.output_dir,
        ]
        for size in self.sizes:
            argv += ["--size", str(size)]
        for name in names:
            argv += ["--candidate", name]
        return argv + self.override_args

    def remote_args(self, names: list[str]) -> list[str]:
        """The worker's arguments on a host: the file's folder is copied there, results come back."""
        args = [CHANNEL_FD_ARG, "{channel_fd}", "run", "{src}/" + os.path.basename(self.spec.path)]
        args += ["--output-dir", "{out}"]
        for size in self.sizes:
            args += ["--size", str(size)]
        for name in names:
            args += ["--candidate", name]
        for name, text in self.spec.source_overrides.items():  # no file to name there: the text itself
            args += ["--source-override-text", f"{name}={text}"]
        return args

    def fill_unfinished(self, tracker: _LabTracker, name: str, status: str, error: str) -> None:
        """Records for the sizes of ``name`` that the worker never reported."""
        start_mono, start_wall = tracker.current_since or (time.monotonic(), time.time())
        for size in self.sizes:
            if (name, size) in tracker.done_steps:
                continue
            self.add_record(
                lm.LabRecord(
                    candidate=name,
                    size=size,
                    kind=self.kinds.get(name, ""),
                    status=status,
                    error=error,
                    start_mono=start_mono,
                    start_wall=start_wall,
                    end_mono=time.monotonic(),
                    end_wall=time.time(),
                )
            )
            start_mono, start_wall = time.monotonic(), time.time()

    def finish(self, status: str, message: str, workers: int) -> LabOutcome:
        self.run.ended_wall = time.time()
        path = os.path.join(self.output_dir, "lab_results.json")
        try:
            lm.save_run(self.run, path)
        except OSError as exc:  # WriteError (disk full, a folder in the way...) or the folder went away
            words = describe_os_error(OSError(exc.errno, exc.strerror)) if exc.errno else str(exc).rstrip(".")
            note = f"The results could not be saved to {path}: {words}; they are shown here but are not on disk."
            return LabOutcome(status, f"{message} {note}", self.run, None, workers)
        return LabOutcome(status, message, self.run, path, workers)


def describe_file(
    path: str, timeout_s: float = DESCRIBE_TIMEOUT_S, host: str | None = None, python: str | None = None
) -> dict:
    """The file's problem and candidates, read in a worker (on ``host`` if named); LabFileError with the reason."""
    tracker = OutcomeTracker("kernel", timeout_s)

    def argv(fd: int) -> list[str]:
        return [*python_module_argv(WORKER_MODULE), CHANNEL_FD_ARG, str(fd), "describe", os.path.abspath(path)]

    if host:
        remote = [CHANNEL_FD_ARG, "{channel_fd}", "describe", "{src}/" + os.path.basename(path)]
        outcome = _supervise_on(host, python, path, remote, None, tracker, timeout_s=timeout_s)
    else:
        outcome = supervise(argv, tracker, env=worker_env(None), timeout_s=timeout_s)
    if tracker.result is not None and tracker.result.get("describe"):
        return tracker.result["describe"]
    if tracker.result is not None and tracker.result.get("status") == "no_gpu":
        raise NoLabThereError(str(tracker.result.get("reason")))
    code = (tracker.error or {}).get("code")
    if host and (code in (ExitCode.REMOTE_FAILED, ExitCode.CONNECTION_LOST) or outcome.status == "could_not_start"):
        raise HostUnusableError(str((tracker.error or {}).get("message") or outcome.message))
    if tracker.error is not None:
        raise LabFileError(str(tracker.error.get("message")))
    raise LabFileError(f"could not read {os.path.basename(path)}: {outcome.message}")


def _supervise_on(
    host: str,
    python: str | None,
    path: str | None,
    args: list[str],
    output_dir: str | None,
    tracker: OutcomeTracker,
    env: dict[str, str] | None = None,
    **kw,
) -> RunOutcome:
    """A kernel worker on ``host``: the candidate file's folder goes there, ``{out}`` comes back."""
    from gpuprof_gui.jobs.remote import remote_run

    job = remote_run.worker_job(
        host,
        WORKER_MODULE,
        args,
        output_dir,
        python=python,
        upload_folder=os.path.dirname(os.path.abspath(path)) if path else None,
        cwd="{src}" if path else None,
        env=env,
        min_version=remote_run.GPU_STACK_MIN_VERSION,
    )
    return remote_run.supervise_remote(job, tracker, on_stdout=kw.pop("on_stdout", lambda _data: None), **kw)


def run_lab(
    spec: LabRunSpec,
    on_record: Callable[[lm.LabRecord], None] | None = None,
    cancel: threading.Event | None = None,
    on_stderr: Callable[[bytes], None] | None = None,
) -> LabOutcome:
    """Run every candidate of ``spec`` at every size, restarting the worker after faults."""
    reason = cupy_missing_reason() if not spec.host else None  # a host's worker says for itself
    if reason is not None:
        return LabOutcome("no_gpu", reason)
    no_such_gpu = gpu_missing_reason(spec.gpu) if not spec.host else None
    if no_such_gpu is not None:
        return LabOutcome("error", no_such_gpu[0].upper() + no_such_gpu[1:] + ".")
    try:
        lab = _LabRun(spec, describe_file(spec.path, host=spec.host, python=spec.python), on_record, cancel)
    except HostUnusableError as exc:
        return LabOutcome("error", str(exc), remote_failure=True)
    except NoLabThereError as exc:
        return LabOutcome("no_gpu", (f"on {spec.host}: " if spec.host else "") + str(exc))
    except LabFileError as exc:
        return LabOutcome("error", str(exc))
    except OSError as exc:  # the output folder could not be made, or an edited source not written there
        return LabOutcome(
            "error", f"The lab run's folder could not be written: {exc.strerror or exc} ({spec.output_dir})."
        )
    remaining, workers = list(lab.names), 0
    while remaining:
        watchdog = _Watchdog(cancel)
        watchdog.arm(STARTUP_TIMEOUT_S)
        tracker = _LabTracker(lab, watchdog)
        tail = bytearray()

        def keep(data: bytes, tail=tail) -> None:
            tail.extend(data)
            del tail[:-STDERR_TAIL_BYTES]
            if on_stderr is not None:
                on_stderr(data)

        names = list(remaining)
        visible = visible_gpu_env(spec.gpu)
        if spec.host:
            args = lab.remote_args(names)
            _supervise_on(
                spec.host,
                spec.python,
                spec.path,
                args,
                lab.output_dir,
                tracker,
                visible,
                cancel=watchdog,
                on_stderr=keep,
            )
        else:
            argv = functools.partial(lab.argv, names=names)
            supervise(argv, tracker, env=worker_env(None) | visible, cancel=watchdog, on_stderr=keep)
        workers += 1
        res = tracker.result or {}
        if res.get("status") == "no_gpu":
            where = f"on {spec.host}: " if spec.host else ""
            return LabOutcome("no_gpu", where + str(res.get("reason")), workers_started=workers)
        if tracker.error is not None:
            return lab.finish("error", str(tracker.error.get("message")), workers)
        started = [n for n in names if any(s[0] == n for s in tracker.done_steps)]
        if tracker.current is not None and tracker.current[0] not in started:
            started.append(tracker.current[0])
        remaining = [n for n in names if n not in started]
        if tracker.returncode == 0 and res.get("status") == "ok":
            break
        if cancel is not None and cancel.is_set():
            if tracker.current:
                lab.fill_unfinished(tracker, tracker.current[0], "cancelled", "cancelled")
            return lab.finish("cancelled", "Cancelled; the worker was stopped.", workers)
        if tracker.current is None:  # died before any candidate: nothing to skip past
            why = describe_exit(tracker.returncode or 0) if not watchdog.expired else "preparing the inputs timed out"
            text = tail.decode(errors="replace").strip().splitlines()
            return lab.finish(
                "error",
                f"The kernel worker failed before any candidate ran: {why}" + (f" ({text[-1]})" if text else ""),
                workers,
            )
        name, size = tracker.current
        if watchdog.expired:
            lab.fill_unfinished(
                tracker,
                name,
                "timed_out",
                f"did not finish within {spec.candidate_timeout_s:g} s at size {size}; the worker was stopped",
            )
        elif tracker.context_lost is not None:
            lab.fill_unfinished(
                tracker,
                name,
                "crashed",
                f"not run: the CUDA context was lost at size {size} ({tracker.context_lost.splitlines()[0]})",
            )
        else:
            lab.fill_unfinished(
                tracker, name, "crashed", f"the worker died at size {size}: {describe_exit(tracker.returncode or 0)}"
            )
    return lab.finish("finished", f"{len(lab.run.records)} results from {workers} worker(s).", workers)


COPY_TIMEOUT_S = 60.0  # a D2D copy measurement takes ~1 s; a minute means something hangs


def measure_copy_gbps(
    device_index: int, timeout_s: float = COPY_TIMEOUT_S, host: str | None = None, python: str | None = None
) -> float | None:
    """Measured device-to-device copy bandwidth of one GPU (GB/s, bytes read + written), or None.

    Runs the kernel worker's ``copy`` verb with only that GPU visible, so the
    CUDA context lives in the worker, never in the caller (on ``host`` if named).
    """
    tracker = OutcomeTracker("kernel", timeout_s)
    if host:
        args = [CHANNEL_FD_ARG, "{channel_fd}", "copy"]
        _supervise_on(host, python, None, args, None, tracker, visible_gpu_env(device_index), timeout_s=timeout_s)
    else:
        if find_spec("cupy") is None:
            return None
        env = worker_env(None) | visible_gpu_env(device_index)
        argv = lambda fd: [*python_module_argv(WORKER_MODULE), CHANNEL_FD_ARG, str(fd), "copy"]  # noqa: E731
        supervise(argv, tracker, env=env, timeout_s=timeout_s, on_stdout=lambda _data: None)
    result = tracker.result or {}
    if result.get("status") != "ok":
        return None
    return (result.get("device") or {}).get("copy_gbps")
