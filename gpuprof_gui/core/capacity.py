"""Device capacity: the CPU's theoretical peaks, its measured memory bandwidth, and the
side-by-side table of CPU, GPU and the PCIe link, each number with the formula behind it.

Every fact is a *figure*, ``{"value": ..., "unit": ..., "formula": ...}``; ``value``
is None when it could not be found, and the formula then says what is missing.
Reading the CPU needs no privileges (``/proc/cpuinfo``, ``/sys``); nothing here raises.
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
from typing import Any

import numpy as np

# x86 cores since Haswell (Intel) and Zen 2 (AMD) retire two vector FMAs per
# clock; some parts (e.g. Xeon Bronze/Silver with AVX-512, Atom) have one. The
# formula names this assumption so the reader can halve the figure.
FMA_UNITS_PER_CORE = 2
# A copy of 4 × the largest common L3 (4 × 64 MiB) measures DRAM, not cache.
BANDWIDTH_BYTES = 256 * 1024 * 1024
BANDWIDTH_REPEATS = 5


def figure(value: float | int | None, unit: str, formula: str) -> dict[str, Any]:
    """One fact with its unit and how it was obtained."""
    return {"value": value, "unit": unit, "formula": formula}


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def parse_cpuinfo(text: str) -> dict[str, Any]:
    """Model, flags, MHz, threads per core from ``/proc/cpuinfo`` text (first processor)."""
    first: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if first:
                break
            continue
        key, _, value = line.partition(":")
        first.setdefault(key.strip(), value.strip())
    flags = set((first.get("flags") or first.get("Features") or "").split())
    mhz = _float(first.get("cpu MHz"))
    siblings, cores = _int(first.get("siblings")), _int(first.get("cpu cores"))
    threads = siblings // cores if siblings and cores and siblings >= cores else 1
    return {
        "model": first.get("model name") or first.get("Hardware") or first.get("CPU part") or "",
        "flags": flags,
        "mhz": mhz,
        "threads_per_core": max(1, threads),
    }


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    value = _float(text)
    return int(value) if value else None


def simd_bits(flags: set[str], machine: str = "") -> tuple[int | None, str]:
    """Widest vector unit the flags announce: (bits, its name)."""
    for flag, bits, name in (
        ("avx512f", 512, "AVX-512"),
        ("avx2", 256, "AVX2"),
        ("avx", 256, "AVX"),
        ("sse2", 128, "SSE2"),
        ("asimd", 128, "NEON"),
    ):
        if flag in flags:
            return bits, name
    if machine in ("arm64", "aarch64"):
        return 128, "NEON"
    return None, "unknown"


def usable_cores() -> int:
    """Logical CPUs this process may run on (affinity, then the cgroup quota)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _read("/sys/fs/cgroup/cpu.max").split()
    if len(quota) == 2 and quota[0] != "max":
        with contextlib.suppress(ValueError, ZeroDivisionError):
            count = min(count, max(1, int(float(quota[0]) / float(quota[1]) + 0.5)))
    return count


def max_clock_mhz(info_mhz: float | None) -> tuple[float | None, str]:
    khz = _float(_read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").strip())
    if khz:
        return khz / 1e3, "cpufreq cpuinfo_max_freq"
    if info_mhz:
        return info_mhz, "/proc/cpuinfo 'cpu MHz' (current clock; no cpufreq maximum here)"
    return None, "unknown: no cpufreq and no 'cpu MHz'"


def cpu_facts(cpuinfo_text: str | None = None) -> dict[str, Any]:
    """The CPU's figures: cores, clock, SIMD width and the FP32/FP64 peaks they give."""
    info = parse_cpuinfo(_read("/proc/cpuinfo") if cpuinfo_text is None else cpuinfo_text)
    machine = platform.machine()
    logical = usable_cores()
    physical = max(1, logical // info["threads_per_core"])
    mhz, clock_src = max_clock_mhz(info["mhz"])
    bits, simd_name = simd_bits(info["flags"], machine)
    fma = "fma" in info["flags"] or simd_name == "NEON"
    facts: dict[str, Any] = {
        "name": info["model"] or platform.processor() or machine or "CPU",
        "logical_cores": figure(logical, "threads", "os.sched_getaffinity (and the cgroup CPU quota)"),
        "cores": figure(physical, "cores", f"{logical} threads ÷ {info['threads_per_core']} per core"),
        "clock_mhz": figure(mhz, "MHz", clock_src),
        "simd_bits": figure(bits, "bit", f"widest vector flag in /proc/cpuinfo: {simd_name}"),
    }
    for dtype, lane_bits in (("fp32", 32), ("fp64", 64)):
        key = f"peak_{dtype}_gflops"
        if bits is None or mhz is None:
            facts[key] = figure(None, "GFLOP/s", "unknown: " + ("SIMD width" if bits is None else "clock"))
            continue
        lanes = bits // lane_bits
        units = FMA_UNITS_PER_CORE if fma else 1
        per_clock = lanes * 2 * units if fma else lanes * units
        value = physical * mhz / 1e3 * per_clock
        fma_text = f"× 2 (FMA) × {units} FMA units" if fma else "(no FMA: 1 FLOP per lane)"
        facts[key] = figure(
            value,
            "GFLOP/s",
            f"{physical} cores × {mhz / 1e3:.2f} GHz × {lanes} {dtype.upper()} lanes "
            f"({bits}-bit {simd_name}) {fma_text}",
        )
        facts[f"peak_{dtype}_gflops_one_core"] = figure(
            value / physical,
            "GFLOP/s",
            f"peak {dtype.upper()} / {physical} cores (NumPy's element-wise loops use one core)",
        )
    facts["measured_copy_gbps"] = figure(None, "GB/s", "not measured yet")
    return facts


def measure_copy_gbps(nbytes: int = BANDWIDTH_BYTES, repeats: int = BANDWIDTH_REPEATS) -> dict[str, Any]:
    """Host memory bandwidth as NumPy sees it: best of ``repeats`` copies, bytes read + written."""
    n = max(1, nbytes // 8)
    try:
        src = np.ones(n, dtype=np.float64)
        dst = np.empty_like(src)
    except MemoryError:
        return figure(None, "GB/s", f"not measured: no room for 2 × {nbytes / 2**20:.0f} MiB")
    np.copyto(dst, src)  # first touch maps the pages; not timed
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    moved = 2 * src.nbytes
    return figure(
        moved / best / 1e9,
        "GB/s",
        f"measured: NumPy copy of {src.nbytes / 2**20:.0f} MiB, 2 × bytes / best of {repeats} "
        f"({best * 1e3:.1f} ms), one thread",
    )


def gpu_figures_from_lab(device: dict[str, Any]) -> dict[str, Any]:
    """GPU figures from the lab's device facts (a recorded run: no NVML needed)."""
    sm, clock = device.get("sm_count"), device.get("clock_mhz")
    bus, mem_clock = device.get("bus_width_bits"), device.get("memory_clock_mhz")
    facts = {"name": device.get("name") or "GPU"}
    for dtype in ("fp32", "fp64"):
        value = device.get(f"peak_{dtype}_gflops")
        # The lane count is the compute capability's table row; recover it for the formula.
        lanes = round(value * 1e3 / (2 * sm * clock)) if value and sm and clock else "?"
        facts[f"peak_{dtype}_gflops"] = figure(
            value or None,
            "GFLOP/s",
            f"{sm} SMs × {lanes} {dtype.upper()} lanes per SM (CC {device.get('compute_capability')}) "
            f"× 2 (FMA) × {(clock or 0) / 1e3:.3f} GHz",
        )
    facts["peak_memory_gbps"] = figure(
        device.get("peak_bandwidth_gbps") or None, "GB/s", f"{bus} bit / 8 × {mem_clock} MHz × 2 (double data rate)"
    )
    facts["measured_copy_gbps"] = figure(
        device.get("copy_gbps"), "GB/s", "measured: device-to-device copy, 2 × bytes / time (CUDA events)"
    )
    return facts


def link_figures(transfer: dict[str, Any] | None, pcie_max: dict[str, Any] | None = None) -> dict[str, Any]:
    """Host↔device figures: the PCIe theoretical rate (NVML) and the lab's measured copies."""
    facts = {"pcie_max_gbps": pcie_max or figure(None, "GB/s", "unknown: needs NVML on the GPU machine")}
    t = transfer or {}
    for key, words in (
        ("h2d_pageable_gbps", "host→device, pageable"),
        ("h2d_pinned_gbps", "host→device, pinned"),
        ("d2h_pageable_gbps", "device→host, pageable"),
        ("d2h_pinned_gbps", "device→host, pinned"),
    ):
        nbytes = t.get("bytes_in" if key.startswith("h2d") else "bytes_out") or 0
        facts[key] = figure(
            t.get(key),
            "GB/s",
            f"measured: {words}, {nbytes / 2**20:.0f} MiB / median time"
            if t.get(key)
            else "not measured (needs a GPU)",
        )
    return facts


CAPACITY_ROWS = (
    ("Peak FP32", "peak_fp32_gflops"),
    ("Peak FP64", "peak_fp64_gflops"),
    ("Memory bandwidth, theoretical", "peak_memory_gbps"),
    ("Memory bandwidth, measured copy", "measured_copy_gbps"),
)


def capacity_rows(
    cpu: dict[str, Any] | None, gpu: dict[str, Any] | None, link: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Rows of the side-by-side table: ``{"quantity", "cpu", "gpu", "link", "ratio"}``.

    Cells are figures or None (not applicable); ``ratio`` is GPU / CPU where both are known.
    """
    rows = []
    for label, key in CAPACITY_ROWS:
        c = (cpu or {}).get(key) or (
            figure(None, "GB/s", "not reported by the operating system") if key == "peak_memory_gbps" else None
        )
        g = (gpu or {}).get(key)
        ratio = g["value"] / c["value"] if c and g and c.get("value") and g.get("value") else None
        rows.append({"quantity": label, "cpu": c, "gpu": g, "link": None, "ratio": ratio})
    for label, key in (
        ("PCIe link, theoretical (per direction)", "pcie_max_gbps"),
        ("Host→device copy, measured", "h2d_pageable_gbps"),
        ("Device→host copy, measured", "d2h_pageable_gbps"),
    ):
        rows.append({"quantity": label, "cpu": None, "gpu": None, "link": (link or {}).get(key), "ratio": None})
    return rows
