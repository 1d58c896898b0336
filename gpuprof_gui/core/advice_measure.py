"""What a traced GPU run measured for the parts of an offload prediction (pure; no CUDA).

The advisor predicts the offloaded program's time as four parts (:meth:`Advice.time_budget_s`).
This module measures the same four in a *traced run* of the offloaded program — its profile
(cProfile) and its GPU trace (:mod:`gpuprof_gui.core.gpu_trace`) — so that
:mod:`gpuprof_gui.core.advice_check` can set them side by side:

- **kernel**: the kernels whose Python stack passes through an offloaded function (found by
  its name: the GPU program's ``diffuse`` stands for the CPU program's), summed GPU time;
- **copies**: the copies issued from those functions, GPU time and bytes;
- **start-up**: what a run pays once to use the GPU, in three measured pieces:

  1. importing the GPU library: the inclusive time of its package's ``<module>`` in the profile;
  2. CUDA set-up: the CUDA API calls that ended before the offloaded code's first kernel launch,
     other than copies, launches, syncs and events (creating the context, allocating, loading
     the module), as the union of their intervals in the trace;
  3. the first launch's wait: the wait between an offloaded call's last CUDA call and its first
     kernel launch (compiling or loading the kernel), for the first call, less the median of
     the same wait in the later calls.

- **CPU remainder**: the profile's run time less the offloaded functions' inclusive time and
  less the library import (counted in start-up).

What is left of the measured run time, ``D - kernel - copies - CUDA set-up - first launch``
(``D`` the offloaded functions' inclusive time), is **not in the model**: launch overhead, waits,
Python around the kernels. Start-up set-up done outside the offloaded functions is also in the
CPU remainder; it is small (device queries at import) for a program that uses the GPU only
inside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from gpuprof_gui.core.advisor import offload_calls, offload_share, run_time_s
from gpuprof_gui.core.gpu_trace import COPY_KINDS, MEMORY_KINDS, GpuTrace
from gpuprof_gui.core.gpu_trace_summary import covered
from gpuprof_gui.core.model import Profile

GPU_PACKAGES = ("cupy", "numba", "torch", "jax", "pycuda")
"""Packages whose import counts as GPU start-up (their ``PACKAGE/__init__.py`` ``<module>``)."""
NOT_SETUP = re.compile(r"memcpy|memset|launch|synchron|event|streamwait|streamquery", re.IGNORECASE)
"""CUDA API calls that are not set-up: copies (counted as copies), launches, waits and events."""
LAUNCH = re.compile(r"launch", re.IGNORECASE)
NS = 1e-9


@dataclass
class Measured:
    """What the traced run measured; times in seconds, None where the run cannot say."""

    names: list[str]
    found: list[str]  # the names found in the GPU run's profile
    total_s: float | None  # the GPU run's time (None: a trace without its profile)
    offloaded_s: float | None  # D: inclusive time of the offloaded functions
    calls: int  # calls of them; counted in the trace (bursts of launches) without a profile
    kernel_s: float = 0.0
    kernels: int = 0
    kernel_names: dict[str, int] = field(default_factory=dict)
    other_kernels: int = 0  # kernels launched from elsewhere (not counted)
    other_kernel_s: float = 0.0
    copy_s: float = 0.0
    copies: int = 0
    copy_bytes: int = 0
    copy_host: dict[str, list[str]] = field(default_factory=dict)  # "H2D"/"D2H" -> host memory kinds
    import_s: float = 0.0
    imported: list[str] = field(default_factory=list)
    cuda_setup_s: float = 0.0
    first_launch_s: float = 0.0

    @property
    def startup_s(self) -> float:
        return self.import_s + self.cuda_setup_s + self.first_launch_s

    @property
    def cpu_s(self) -> float | None:
        if self.offloaded_s is None or self.total_s is None:
            return None
        return max(0.0, self.total_s - self.offloaded_s - self.import_s)

    @property
    def other_s(self) -> float | None:
        """The offloaded functions' time that is neither kernel, copy nor start-up."""
        cpu = self.cpu_s
        if cpu is None or self.total_s is None:
            return None
        return self.total_s - cpu - self.kernel_s - self.copy_s - self.startup_s

    @property
    def copy_gbps(self) -> float | None:
        return self.copy_bytes / self.copy_s / 1e9 if self.copy_s > 0 else None


def bare_name(function: str) -> str:
    """``diffuse`` from ``diffuse`` or ``heat_cpu.py:diffuse``."""
    return function.rpartition(":")[2] or function


def offloaded_functions(profile: Profile, names: list[str]) -> list[int]:
    """The functions of the GPU run's profile with one of ``names`` (any file: the program differs)."""
    wanted = set(names)
    return [i for i, rec in enumerate(profile.functions) if rec.name in wanted]


def library_import_s(profile: Profile) -> tuple[float, list[str]]:
    """Seconds spent importing GPU libraries (their package ``<module>``), and which."""
    seconds, found = 0.0, []
    for rec in profile.functions:
        if rec.name != "<module>":
            continue
        parts = rec.file.replace("\\", "/").split("/")
        if len(parts) >= 2 and parts[-1] == "__init__.py" and parts[-2] in GPU_PACKAGES:
            seconds += max(rec.total_s, 0.0)
            found.append(parts[-2])
    return seconds, sorted(set(found))


def offloaded_stacks(trace: GpuTrace, names: list[str]) -> np.ndarray:
    """A mask over ``trace.stacks`` (index -1 last, always False): stacks through an offloaded function."""
    wanted = set(names)
    frames = {i for i, f in enumerate(trace.frames) if f[2] in wanted}
    mask = np.zeros(len(trace.stacks) + 1, dtype=bool)
    for i, stack in enumerate(trace.stacks):
        mask[i] = any(f in frames for f in stack)
    return mask


def measure(profile: Profile | None, trace: GpuTrace, functions: list[str]) -> Measured:
    """Measure the four parts of the prediction in a traced run (see the module's docstring).

    Without the run's profile (a trace alone) the CPU part and the run time are unknown, and the
    calls are counted in the trace: each call's first launch after a copy or an allocation.
    """
    names = list(dict.fromkeys(bare_name(f) for f in functions))
    mask = offloaded_stacks(trace, names)
    if profile is None:
        api = trace.tables["api"]
        bursts = _launch_waits(trace, mask[api["stack"]])
        m = Measured(names, [], None, None, len(bursts))
    else:
        funcs = offloaded_functions(profile, names)
        total = run_time_s(profile)
        offloaded = offload_share(profile, funcs).fraction * total if funcs else None
        found = sorted({profile.functions[f].name for f in funcs})
        m = Measured(names, found, total, offloaded, offload_calls(profile, funcs))
        m.import_s, m.imported = library_import_s(profile)
    k = trace.tables["kernels"]
    ours = mask[k["stack"]]
    dur = (k["end"] - k["start"]).astype(np.float64)
    m.kernel_s, m.kernels = float(dur[ours].sum()) * NS, int(ours.sum())
    m.other_kernel_s, m.other_kernels = float(dur[~ours].sum()) * NS, int((~ours).sum())
    for i in np.unique(k["name"][ours]):
        m.kernel_names[trace.name(int(i))] = int((k["name"][ours] == i).sum())
    c = trace.tables["copies"]
    mine = mask[c["stack"]]
    m.copy_s = float((c["end"] - c["start"])[mine].sum()) * NS
    m.copies, m.copy_bytes = int(mine.sum()), int(c["bytes"][mine].sum())
    for direction, host in (("H2D", "src"), ("D2H", "dst")):
        sel = mine & (c["kind"] == COPY_KINDS.index(direction))
        m.copy_host[direction] = sorted({MEMORY_KINDS[int(x)] for x in c[host][sel]})
    if m.kernels:
        m.cuda_setup_s, m.first_launch_s = _startup_in_trace(
            trace, mask, int(k["corr"][ours][0]), int(k["start"][ours][0])
        )
    return m


def _startup_in_trace(trace: GpuTrace, mask: np.ndarray, first_corr: int, first_start: int) -> tuple[float, float]:
    """(CUDA set-up, first launch's extra wait) in seconds, as the module's docstring says."""
    api = trace.tables["api"]
    launch_rows = np.flatnonzero(api["corr"] == first_corr)
    launch_at = int(api["start"][launch_rows[0]]) if len(launch_rows) else first_start
    setup = ~_by_name(trace, NOT_SETUP)[api["name"]] & (api["end"] <= launch_at)
    setup_ns = covered(api["start"][setup], api["end"][setup])
    waits = _launch_waits(trace, mask[api["stack"]])
    if not waits or waits[0][1] > launch_at:
        return setup_ns * NS, 0.0
    (w0, w1), later = waits[0], [b - a for a, b in waits[1:]]
    # Only the first call's wait beyond a later call's is start-up; a set-up call inside it counts once.
    extra = max(0, (w1 - w0) - int(np.median(later) if later else 0))
    union = covered(np.append(api["start"][setup], w0), np.append(api["end"][setup], w0 + extra))
    return setup_ns * NS, (union - setup_ns) * NS


def _by_name(trace: GpuTrace, pattern: re.Pattern[str]) -> np.ndarray:
    """Whether each interned name matches, indexable by a ``name`` column (index -1, no name: False)."""
    return np.asarray([bool(pattern.search(n)) for n in trace.names] + [False], dtype=bool)


def _launch_waits(trace: GpuTrace, ours: np.ndarray) -> list[tuple[int, int]]:
    """(end of the call before, start of the launch) for each offloaded call's first launch: a launch
    whose previous offloaded CUDA call was not a launch (a copy in, an allocation)."""
    api = trace.tables["api"]
    rows = np.flatnonzero(ours)
    launch = _by_name(trace, LAUNCH)[api["name"][rows]]
    first = np.flatnonzero(launch[1:] & ~launch[:-1]) + 1
    return [(int(api["end"][rows[i - 1]]), int(api["start"][rows[i]])) for i in first]
