"""The GPU side of a traced profile run ("Trace GPU", ``gpuprof profile --gpu-trace``).

Around the script's cProfile run, :class:`GpuTraceRun` records every kernel, copy, memset,
synchronisation and CUDA API call through CUPTI (:mod:`gpuprof_gui.gpu.cupti_trace`) and samples the
GPU's telemetry, then writes both beside the profile (``<profile>.gpu-trace.json`` and
``<profile>.gpu-telemetry.json``). Tracing that cannot start (no CUPTI bindings, no driver, no GPU)
never stops the run: the profile is made as usual and a note says what is missing and how to get it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any

from gpuprof_gui.protocol import GPU_TELEMETRY_SUFFIX, GPU_TRACE_SUFFIX

NOT_TRACED_NOTE = "The GPU was not traced: {why}"
OTHER_PYTHON = (
    "the GPU tracer runs in the app's own Python and this run used another ({problem}); choose the app's "
    "Python for a traced run, with CuPy and cupti-python installed in it."
)
TRACE_NOTE = (
    "GPU trace: {kernels} kernel launches, {copies} copies, {syncs} synchronisations, "
    "{api} CUDA API calls; tracing took {cost:.2f} s outside the script ({phases})."
)
CPROFILE_SEES_THREADS = sys.version_info >= (3, 12)
"""From 3.12 cProfile is a sys.monitoring tool, and sys.monitoring reports every thread's calls."""
THREADS_312_NOTE = (
    "{count} CUDA calls came from threads running no Python of the program's (a library's own, such as "
    "PyTorch's backward pass); they are charged to the line the program waited in. From Python 3.12 "
    "cProfile records every thread, and the tracer's callback on those threads can put the CPU profile's "
    "call paths and inclusive times around them out (the GPU trace is not affected): for the CPU side of "
    "such a program, profile it with py-spy too."
)
TELEMETRY_STOP_S = 10.0
"""How long the telemetry sampler may take to write its trace and end."""
TELEMETRY_HZ = 20.0
"""Telemetry rate during a traced run: twice the lab's, so a run of a few seconds still shows a shape."""


class GpuTraceRun:
    """Starts tracing before the script and writes the trace after it."""

    def __init__(self, script: str, args: list[str], profile_path: str) -> None:
        self.script = script
        self.args = args
        self.profile_path = profile_path
        self.tracer: Any = None
        self.sampler: Any = None
        self.notes: list[str] = []
        self.trace_path: str | None = None
        self.cost_s = 0.0
        self.phases: dict[str, float] = {}
        """Seconds of each step of the tracing outside the script, for the note (and the overhead benchmark)."""

    def _phase(self, name: str, t0: float) -> float:
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - t0
        return now

    def start(self) -> None:
        """Begin tracing; where it cannot, a note says why (the run goes on untraced)."""
        t0 = time.perf_counter()
        try:
            from gpuprof_gui.gpu.cupti_trace import GpuTracer, GpuTraceUnavailableError
        except ImportError as exc:  # another Python than the app's: only the profile worker is there
            self.notes.append(NOT_TRACED_NOTE.format(why=OTHER_PYTHON.format(problem=exc)))
            return
        t = self._phase("loading the tracer", t0)
        tracer = GpuTracer(script=self.script, argv=self.args)
        try:
            tracer.__enter__()
        except GpuTraceUnavailableError as exc:
            self.notes.append(NOT_TRACED_NOTE.format(why=str(exc)))
            return
        t = self._phase("starting CUPTI", t)
        self.tracer = tracer
        self._start_telemetry()
        self._phase("starting telemetry", t)
        self.cost_s += time.perf_counter() - t0

    def _start_telemetry(self) -> None:
        """Sample telemetry in a process of its own (see gpu/telemetry_process.py) that writes beside the profile."""
        import subprocess

        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH", "")]))
        try:
            # Not waited for: the sampler starts NVML (0.1-0.4 s) while the script starts.
            self.sampler = subprocess.Popen(
                [sys.executable, "-m", "gpuprof_gui.gpu.telemetry_process", self.profile_path + GPU_TELEMETRY_SUFFIX,
                 "--hz", str(TELEMETRY_HZ)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True,
            )  # fmt: skip
        except OSError as exc:
            self.notes.append(f"No GPU telemetry beside the trace: {exc}")

    def _stop_telemetry(self, child: Any) -> None:
        try:  # closing its input is the sampler's cue to write its trace and end
            _, problem = child.communicate(timeout=TELEMETRY_STOP_S)
            problem = (problem or "").strip()
        except Exception:  # noqa: BLE001 - a sampler that will not end loses only its telemetry
            child.kill()
            child.wait()
            self.notes.append("The GPU telemetry could not be written: its sampler did not end.")
            return
        if child.returncode != 0:
            why = problem.splitlines()[-1] if problem else f"its sampler exited with status {child.returncode}"
            self.notes.append(f"No GPU telemetry beside the trace: {why}")

    def stop(self) -> None:
        """End tracing (idempotent) and write the trace and telemetry beside the profile."""
        tracer, self.tracer = self.tracer, None
        if tracer is None:
            return
        t0 = time.perf_counter()
        sampler, self.sampler = self.sampler, None
        if sampler is not None:
            self._stop_telemetry(sampler)
        t = self._phase("stopping telemetry", t0)
        try:
            tracer.__exit__(None, None, None)
            trace = tracer.trace
            t = self._phase("collecting the records", t)
            from gpuprof_gui.core.gpu_trace import save_gpu_trace

            path = self.profile_path + GPU_TRACE_SUFFIX
            save_gpu_trace(trace, path)
            self.trace_path = path
            t = self._phase("writing the trace", t)
        except Exception as exc:  # noqa: BLE001 - the profile must still be reported
            self.notes.append(
                NOT_TRACED_NOTE.format(why=f"the trace could not be written ({type(exc).__name__}: {exc}).")
            )
            return
        self.cost_s += time.perf_counter() - t0
        frameless = getattr(tracer, "frameless_calls", 0)
        if frameless and CPROFILE_SEES_THREADS:
            self.notes.append(THREADS_312_NOTE.format(count=frameless))
        self.notes.append(
            TRACE_NOTE.format(
                kernels=trace.count("kernels"),
                copies=trace.count("copies"),
                syncs=trace.count("syncs"),
                api=trace.count("api"),
                cost=self.cost_s,
                phases=", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.phases.items()),
            )
        )

    def forget_in_child(self) -> None:
        """A forked child is not the traced run: it writes nothing (and leaves the sampler's pipe alone)."""
        self.tracer = None
        self.sampler = None


def remove_stale(profile_path: str) -> None:
    """A run folder reused for an untraced run must not keep an older run's trace."""
    for suffix in (GPU_TRACE_SUFFIX, GPU_TELEMETRY_SUFFIX):
        with contextlib.suppress(OSError):
            os.unlink(profile_path + suffix)
