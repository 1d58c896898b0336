"""Timing on the device with CUDA events, and of the CPU reference.

Only the kernel worker imports this; ``cp`` is the CuPy module it hands in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

# Warm-up by time rather than by count: module load, JIT and clock ramp-up
# settle within a few launches of a long kernel, or thousands of a short one.
WARMUP_S = 0.05
# Timed repetitions aim at this much GPU time: enough samples for stable
# percentiles (a 10 µs kernel gets the MAX_REPS cap, a 30 ms one ~10 reps).
TARGET_TIMING_S = 0.3
MIN_REPS = 10
MAX_REPS = 2000
# Writing twice the L2 size evicts everything a previous repetition left there.
L2_FLUSH_FACTOR = 2
# CPU reference: a few runs, unless one run alone is long.
CPU_MAX_REPS = 5
CPU_BUDGET_S = 2.0


def percentiles_ms(samples_ms: list[float]) -> tuple[float, float, float]:
    """(median, p10, p90) of the samples."""
    arr = np.asarray(samples_ms, dtype=np.float64)
    p10, med, p90 = np.percentile(arr, [10, 50, 90])
    return float(med), float(p10), float(p90)


class L2Flusher:
    """A device buffer of twice the L2 size; writing it evicts the working set."""

    def __init__(self, cp: Any, l2_bytes: int) -> None:
        self.buf = cp.empty(max(1, L2_FLUSH_FACTOR * int(l2_bytes)), dtype=cp.uint8)

    def flush(self) -> None:
        self.buf.fill(0)


def time_on_device(cp: Any, launch: Callable[[], Any], flusher: L2Flusher | None = None) -> dict:
    """Warm up, then time ``launch`` between CUDA events; {median_ms, p10_ms, p90_ms, reps}."""
    device = cp.cuda.Device()
    t0 = time.perf_counter()
    launches = 0
    while launches < 2 or time.perf_counter() - t0 < WARMUP_S:
        launch()
        device.synchronize()
        launches += 1
    start, end = cp.cuda.Event(), cp.cuda.Event()
    if flusher is not None:
        flusher.flush()
    start.record()
    launch()
    end.record()
    end.synchronize()
    estimate_ms = max(cp.cuda.get_elapsed_time(start, end), 1e-3)
    flush_ms = 0.0
    if flusher is not None:
        start.record()
        flusher.flush()
        end.record()
        end.synchronize()
        flush_ms = cp.cuda.get_elapsed_time(start, end)
    reps = int(min(MAX_REPS, max(MIN_REPS, TARGET_TIMING_S * 1e3 / (estimate_ms + flush_ms))))
    starts = [cp.cuda.Event() for _ in range(reps)]
    ends = [cp.cuda.Event() for _ in range(reps)]
    # No synchronisation between repetitions: each start event runs when the
    # previous launch (or flush) has finished, so the pair brackets the kernel.
    for i in range(reps):
        if flusher is not None:
            flusher.flush()
        starts[i].record()
        launch()
        ends[i].record()
    ends[-1].synchronize()
    samples = [cp.cuda.get_elapsed_time(s, e) for s, e in zip(starts, ends, strict=True)]
    median, p10, p90 = percentiles_ms(samples)
    return {"median_ms": median, "p10_ms": p10, "p90_ms": p90, "reps": reps, "l2_flushed": flusher is not None}


def time_on_cpu(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn`` a few times; (its first result, median wall time in ms)."""
    t0 = time.perf_counter()
    result = fn()
    times = [(time.perf_counter() - t0) * 1e3]
    budget_end = time.perf_counter() + CPU_BUDGET_S
    while len(times) < CPU_MAX_REPS and time.perf_counter() + times[0] / 1e3 < budget_end:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return result, float(np.median(times))
