"""Device facts, measured copy bandwidth and host↔device transfer times.

Only the kernel worker imports this; ``cp`` is the CuPy module it hands in.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from gpuprof_gui.core.lab_model import DeviceFacts, TransferTiming

# cudaDeviceAttr numbers (driver_types.h). The clock fields of cudaDeviceProp
# are gone in CUDA 13, the attributes remain.
_ATTR_CLOCK_KHZ = 13
_ATTR_SM_COUNT = 16
_ATTR_MEMORY_CLOCK_KHZ = 36
_ATTR_BUS_WIDTH_BITS = 37
_ATTR_L2_BYTES = 38
_ATTR_MAX_THREADS_PER_SM = 39
_ATTR_CC_MAJOR = 75
_ATTR_CC_MINOR = 76

# 1 GiB per buffer: far past L2 (50 MB on an H100), long enough (~0.7 ms at
# 3 TB/s) that launch overhead is noise; shrunk when memory is short.
COPY_BUFFER_BYTES = 1 << 30
COPY_REPS = 20
# Host↔device copies: median of several, each synchronised and wall-timed, the
# way a program waiting for its data sees them. Pageable copies wander by
# ±15% from one copy to the next (the driver stages them through its own
# pinned buffers with CPU copies); seven samples after one untimed copy keep
# the median within a few percent run to run.
TRANSFER_REPS = 7
TRANSFER_WARMUP = 1
TRANSFER_ROUNDS = 3

_H2D = 1  # cudaMemcpyHostToDevice
_D2H = 2
_D2D = 3


def _version_words(v: int) -> str:
    return f"{v // 1000}.{(v % 1000) // 10}"


def device_facts(cp: Any) -> DeviceFacts:
    """Name, SMs, clocks, bus, L2 and versions of the current device."""
    rt = cp.cuda.runtime
    dev = cp.cuda.Device().id
    props = rt.getDeviceProperties(dev)

    def attr(code: int, default: int = 0) -> int:
        try:
            return int(rt.deviceGetAttribute(code, dev))
        except Exception:  # noqa: BLE001 - an attribute this runtime does not know
            return default

    name = props.get("name", b"")
    return DeviceFacts(
        name=name.decode() if isinstance(name, bytes) else str(name),
        index=dev,
        compute_capability=f"{attr(_ATTR_CC_MAJOR)}.{attr(_ATTR_CC_MINOR)}",
        sm_count=attr(_ATTR_SM_COUNT),
        clock_mhz=attr(_ATTR_CLOCK_KHZ) / 1e3,
        memory_clock_mhz=attr(_ATTR_MEMORY_CLOCK_KHZ) / 1e3,
        bus_width_bits=attr(_ATTR_BUS_WIDTH_BITS),
        l2_bytes=attr(_ATTR_L2_BYTES),
        total_memory_bytes=int(props.get("totalGlobalMem", 0)),
        max_threads_per_sm=attr(_ATTR_MAX_THREADS_PER_SM),
        warp_size=int(props.get("warpSize", 32)),
        driver_version=_version_words(rt.driverGetVersion()),
        runtime_version=_version_words(rt.runtimeGetVersion()),
        cupy_version=str(cp.__version__),
    )


def measure_copy_gbps(cp: Any) -> float:
    """Device-to-device copy bandwidth (bytes read + written), median of COPY_REPS."""
    samples_ms, nbytes = _timed_device_copies(cp)  # its buffers are gone once it returns
    cp.get_default_memory_pool().free_all_blocks()
    return 2 * nbytes / (float(np.median(samples_ms)) * 1e-3) / 1e9


def _timed_device_copies(cp: Any) -> tuple[list[float], int]:
    """COPY_REPS event-timed copies of one buffer into another; (times in ms, bytes per copy)."""
    free, _total = cp.cuda.runtime.memGetInfo()
    nbytes = int(min(COPY_BUFFER_BYTES, free // 4))
    src = cp.empty(nbytes, dtype=cp.uint8)
    src.fill(1)
    dst = cp.empty_like(src)
    stream = cp.cuda.get_current_stream().ptr

    def copy() -> None:
        cp.cuda.runtime.memcpyAsync(dst.data.ptr, src.data.ptr, nbytes, _D2D, stream)

    for _ in range(3):
        copy()
    samples = []
    for _ in range(COPY_REPS):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        copy()
        end.record()
        end.synchronize()
        samples.append(cp.cuda.get_elapsed_time(start, end))
    return samples, nbytes


def _wall_ms(cp: Any, rounds: list) -> float:
    """Median over every round's timed copies; each round is (copy function, its buffers)."""
    samples = []
    for fn in rounds:
        for _ in range(TRANSFER_WARMUP):
            fn()
        for _ in range(TRANSFER_REPS):
            cp.cuda.Device().synchronize()
            t0 = time.perf_counter()
            fn()
            cp.cuda.Device().synchronize()
            samples.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(samples))


def _pinned_like(cp: Any, arr: np.ndarray) -> np.ndarray:
    mem = cp.cuda.alloc_pinned_memory(max(1, arr.nbytes))
    out = np.frombuffer(mem, dtype=arr.dtype, count=arr.size).reshape(arr.shape)
    out[...] = arr
    return out


def time_transfers(cp: Any, size: int, host_inputs: tuple, output_like: np.ndarray) -> TransferTiming:
    """H2D of the array inputs and D2H of the output, from pageable and from pinned memory.

    Each way is timed on TRANSFER_ROUNDS fresh host buffers: how fast a copy
    runs depends on how that buffer's pages are backed, so one buffer is one
    sample of it.
    """
    arrays = [np.ascontiguousarray(a) for a in host_inputs if isinstance(a, np.ndarray)]
    out_like = np.asarray(output_like)
    timing = TransferTiming(size=size, bytes_in=sum(a.nbytes for a in arrays), bytes_out=int(out_like.nbytes))
    _time_transfers_into(cp, timing, arrays, out_like)  # its device buffers are gone once it returns
    cp.get_default_pinned_memory_pool().free_all_blocks()
    return timing


def _time_transfers_into(cp: Any, timing: TransferTiming, arrays: list[np.ndarray], out_like: np.ndarray) -> None:
    """Fill ``timing``'s four copy times, copying between fresh host buffers and one set of device buffers."""
    rt = cp.cuda.runtime
    stream = cp.cuda.get_current_stream().ptr
    dev_in = [cp.empty(a.shape, a.dtype) for a in arrays]
    dev_out = cp.empty(out_like.shape, out_like.dtype)

    def h2d(srcs):
        def copy():
            for d, h in zip(dev_in, srcs, strict=True):
                rt.memcpyAsync(d.data.ptr, h.ctypes.data, h.nbytes, _H2D, stream)

        return copy

    def d2h(dst):
        return lambda: rt.memcpyAsync(dst.ctypes.data, dev_out.data.ptr, dst.nbytes, _D2H, stream)

    if arrays:
        timing.h2d_pageable_ms = _wall_ms(cp, [h2d([a.copy() for a in arrays]) for _ in range(TRANSFER_ROUNDS)])
        timing.h2d_pinned_ms = _wall_ms(
            cp, [h2d([_pinned_like(cp, a) for a in arrays]) for _ in range(TRANSFER_ROUNDS)]
        )
    if out_like.nbytes:
        # np.array(copy=True) touches every page: no first-touch faults in the timing
        timing.d2h_pageable_ms = _wall_ms(
            cp, [d2h(np.array(out_like, copy=True, order="C")) for _ in range(TRANSFER_ROUNDS)]
        )
        timing.d2h_pinned_ms = _wall_ms(cp, [d2h(_pinned_like(cp, out_like)) for _ in range(TRANSFER_ROUNDS)])
