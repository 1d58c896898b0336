"""Kernel-lab results: records, device peaks and the metrics derived from them.

Pure Python: the kernel worker fills these in from measurements, the CLI and
the window read them back from the results JSON (live or recorded).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from gpuprof_gui.core.numbers import number

RESULTS_FORMAT = "gpuprof-lab-results"
RESULTS_VERSION = 1

# FP32 / FP64 lanes per SM by compute capability (CUDA C Programming Guide,
# "Arithmetic Instructions" throughput table). One lane retires one FMA =
# 2 FLOP per clock.
_FP32_LANES_PER_SM = {
    (6, 0): 64,
    (6, 1): 128,
    (7, 0): 64,
    (7, 5): 64,
    (8, 0): 64,
    (8, 6): 128,
    (8, 7): 128,
    (8, 9): 128,
    (9, 0): 128,
    (10, 0): 128,
    (12, 0): 128,
}
_FP64_LANES_PER_SM = {
    (6, 0): 32,
    (6, 1): 4,
    (7, 0): 32,
    (7, 5): 2,
    (8, 0): 32,
    (8, 6): 2,
    (8, 7): 2,
    (8, 9): 2,
    (9, 0): 64,
    (10, 0): 64,
    (12, 0): 2,
}
_DEFAULT_FP32_LANES = 128  # unknown newer chips: the common consumer/datacenter figure
_DEFAULT_FP64_LANES = 2

STATUSES = ("ok", "wrong", "failed", "skipped", "timed_out", "crashed", "cancelled")

# The kernel worker's own exit statuses beyond protocol.ExitCode: the parent
# starts a fresh worker after CONTEXT_LOST and reports NO_GPU as the reason.
WORKER_EXIT_CONTEXT_LOST = 120  # a sticky CUDA error (illegal address...) killed the context
WORKER_EXIT_NO_GPU = 121  # no CuPy, no driver or no device

# `progress` phases the kernel worker sends, in order of a run.
PHASE_DEVICE = "device"  # {"device": DeviceFacts dict}
PHASE_REFERENCE = "reference"  # {"size": n}: CPU reference and transfers for one size
PHASE_TRANSFER = "transfer"  # {"transfer": TransferTiming dict}
PHASE_CANDIDATE = "candidate"  # {"candidate": name, "size": n}: a candidate step begins
PHASE_RECORD = "record"  # {"record": LabRecord dict}
PHASE_CONTEXT_LOST = "context_lost"  # {"candidate": name, "error": str}


@dataclass
class DeviceFacts:
    """What the worker read from the device (theoretical peaks computed from it)."""

    name: str = ""
    index: int = 0
    compute_capability: str = ""
    sm_count: int = 0
    clock_mhz: float = 0.0  # peak SM clock
    memory_clock_mhz: float = 0.0
    bus_width_bits: int = 0
    l2_bytes: int = 0
    total_memory_bytes: int = 0
    max_threads_per_sm: int = 0
    warp_size: int = 32
    driver_version: str = ""
    runtime_version: str = ""
    cupy_version: str = ""
    copy_gbps: float | None = None  # measured device-to-device copy (bytes read + written)
    # Measured in the worker: importing CuPy and creating the CUDA context, the
    # one-time cost a script pays before its first kernel (the advisor's start-up).
    startup_ms: float | None = None

    @property
    def cc_tuple(self) -> tuple[int, int]:
        major, _, minor = self.compute_capability.partition(".")
        return (int(major or 0), int(minor or 0))

    @property
    def peak_bandwidth_gbps(self) -> float:
        """DDR: two transfers per memory clock over the whole bus."""
        return 2.0 * self.memory_clock_mhz * 1e6 * self.bus_width_bits / 8 / 1e9

    def peak_gflops(self, dtype: str = "float32") -> float:
        table, default = (
            (_FP64_LANES_PER_SM, _DEFAULT_FP64_LANES)
            if dtype == "float64"
            else (_FP32_LANES_PER_SM, _DEFAULT_FP32_LANES)
        )
        lanes = table.get(self.cc_tuple, default)
        return 2.0 * lanes * self.sm_count * self.clock_mhz * 1e6 / 1e9

    def to_dict(self) -> dict:
        out = asdict(self)
        out["peak_bandwidth_gbps"] = self.peak_bandwidth_gbps
        out["peak_fp32_gflops"] = self.peak_gflops("float32")
        out["peak_fp64_gflops"] = self.peak_gflops("float64")
        return out

    @classmethod
    def from_dict(cls, data: dict) -> DeviceFacts:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class LabRecord:
    """One candidate at one size: correctness, timing and what follows from them."""

    candidate: str
    size: int
    kind: str = ""
    status: str = "ok"  # one of STATUSES
    correct: bool = False
    max_rel_err: float | None = None
    rtol: float | None = None
    median_ms: float | None = None
    p10_ms: float | None = None
    p90_ms: float | None = None
    reps: int = 0
    l2_flushed: bool = False
    flops: float = 0.0
    bytes_moved: float = 0.0
    gbps: float | None = None
    gflops: float | None = None
    pct_of_peak: float | None = None
    pct_of_copy_bw: float | None = None
    cpu_ms: float | None = None
    h2d_ms: float | None = None  # inputs to the device, pageable memory
    d2h_ms: float | None = None  # output back, pageable memory
    speedup_vs_cpu: float | None = None
    speedup_vs_cpu_with_transfers: float | None = None
    compile_ms: float | None = None
    first_call_ms: float | None = None  # wall time of the first (checked) call, lazy loading included
    error: str | None = None
    seed: int | None = None
    start_mono: float | None = None  # time.monotonic() in the worker: the telemetry timeline
    end_mono: float | None = None
    start_wall: float | None = None  # time.time()
    end_wall: float | None = None

    def to_dict(self) -> dict:
        return {k: _json_number(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> LabRecord:
        return cls(**_checked_fields(cls, data, exempt=("seed",)))


_NON_FINITE_TEXT = ("inf", "-inf", "nan")  # how _json_number writes a non-finite result


def _checked_fields(cls: Any, data: dict, exempt: tuple[str, ...] = ()) -> dict:
    """The known fields of ``data``, each number checked: finite (or written as "inf"/"nan" text, which
    is how a non-finite result is saved), not negative, not past MAX_AMOUNT; ValueError naming the field."""
    out = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        numeric = str(f.type).split(" |")[0] in ("int", "float")
        if numeric and f.name not in exempt and value is not None and value not in _NON_FINITE_TEXT:
            value = number(value, f"'{f.name}'")
            value = int(value) if str(f.type).startswith("int") else value
        out[f.name] = value
    return out


def _json_number(value: Any) -> Any:
    """JSON has no inf/NaN: an infinite error (NaN output) is written as a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def gbps(bytes_moved: float, ms: float | None) -> float | None:
    """Bytes per second in GB/s (1e9), for a time in milliseconds."""
    if not ms or ms <= 0 or not bytes_moved:
        return None
    return bytes_moved / (ms * 1e-3) / 1e9


def gflops(flops: float, ms: float | None) -> float | None:
    if not ms or ms <= 0 or not flops:
        return None
    return flops / (ms * 1e-3) / 1e9


def roofline_floor_ms(flops: float, bytes_moved: float, peak_gflops: float, peak_gbps: float) -> float | None:
    """The least time the device could take: the larger of compute time and memory time."""
    times = []
    if flops and peak_gflops > 0:
        times.append(flops / (peak_gflops * 1e9) * 1e3)
    if bytes_moved and peak_gbps > 0:
        times.append(bytes_moved / (peak_gbps * 1e9) * 1e3)
    return max(times) if times else None


def pct_of_peak(
    median_ms: float | None, flops: float, bytes_moved: float, peak_gflops: float, peak_gbps: float
) -> float | None:
    """Measured time against the roofline floor, in percent (100 = at the ceiling)."""
    floor = roofline_floor_ms(flops, bytes_moved, peak_gflops, peak_gbps)
    if floor is None or not median_ms or median_ms <= 0:
        return None
    return 100.0 * floor / median_ms


def speedup(cpu_ms: float | None, gpu_ms: float | None) -> float | None:
    if not cpu_ms or not gpu_ms or gpu_ms <= 0:
        return None
    return cpu_ms / gpu_ms


def derive_metrics(rec: LabRecord, device: DeviceFacts, flops_dtype: str = "float32") -> LabRecord:
    """Fill the derived fields of ``rec`` from its raw measurements and the device peaks."""
    rec.gbps = gbps(rec.bytes_moved, rec.median_ms)
    rec.gflops = gflops(rec.flops, rec.median_ms)
    rec.pct_of_peak = pct_of_peak(
        rec.median_ms, rec.flops, rec.bytes_moved, device.peak_gflops(flops_dtype), device.peak_bandwidth_gbps
    )
    rec.pct_of_copy_bw = 100.0 * rec.gbps / device.copy_gbps if rec.gbps and device.copy_gbps else None
    rec.speedup_vs_cpu = speedup(rec.cpu_ms, rec.median_ms)
    with_transfers = rec.median_ms + (rec.h2d_ms or 0.0) + (rec.d2h_ms or 0.0) if rec.median_ms else None
    rec.speedup_vs_cpu_with_transfers = speedup(rec.cpu_ms, with_transfers)
    return rec


@dataclass
class TransferTiming:
    """Host↔device copies of one size's inputs and output (median of repetitions)."""

    size: int
    bytes_in: int
    bytes_out: int
    h2d_pageable_ms: float | None = None
    h2d_pinned_ms: float | None = None
    d2h_pageable_ms: float | None = None
    d2h_pinned_ms: float | None = None

    def bandwidths_gbps(self) -> dict[str, float | None]:
        return {
            "h2d_pageable_gbps": gbps(self.bytes_in, self.h2d_pageable_ms),
            "h2d_pinned_gbps": gbps(self.bytes_in, self.h2d_pinned_ms),
            "d2h_pageable_gbps": gbps(self.bytes_out, self.d2h_pageable_ms),
            "d2h_pinned_gbps": gbps(self.bytes_out, self.d2h_pinned_ms),
        }

    def to_dict(self) -> dict:
        return {**asdict(self), **self.bandwidths_gbps()}

    @classmethod
    def from_dict(cls, data: dict) -> TransferTiming:
        return cls(**_checked_fields(cls, data))


@dataclass
class LabRun:
    """One lab run: a candidate file on one device, every record and transfer timing."""

    problem: dict = field(default_factory=dict)
    candidates: list[dict] = field(default_factory=list)
    device: DeviceFacts = field(default_factory=DeviceFacts)
    records: list[LabRecord] = field(default_factory=list)
    transfers: list[TransferTiming] = field(default_factory=list)
    file: str = ""
    host: str = ""
    date: str = ""  # ISO 8601, UTC
    started_wall: float | None = None
    ended_wall: float | None = None
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False  # True only for made-up data; recorded runs say False
    gpu: int | None = None  # the GPU picked, as NVML numbers the host's GPUs; None: CUDA's default, GPU 0

    def best(self, size: int | None = None) -> LabRecord | None:
        """The fastest correct record (at ``size``, or over all sizes)."""
        ok = [r for r in self.records if r.correct and r.median_ms and (size is None or r.size == size)]
        return min(ok, key=lambda r: r.median_ms or math.inf) if ok else None  # every r in ok has a time

    @property
    def all_correct(self) -> bool:
        """Every candidate that ran is correct (skipped ones, e.g. Numba missing, do not count)."""
        ran = [r for r in self.records if r.status != "skipped"]
        return bool(ran) and all(r.correct for r in ran)

    @property
    def skipped(self) -> list[LabRecord]:
        return [r for r in self.records if r.status == "skipped"]

    def to_dict(self) -> dict:
        return {
            "format": RESULTS_FORMAT,
            "version": RESULTS_VERSION,
            "synthetic": self.synthetic,
            "file": self.file,
            "host": self.host,
            "gpu": self.gpu,
            "date": self.date,
            "started_wall": self.started_wall,
            "ended_wall": self.ended_wall,
            "device": self.device.to_dict(),
            "problem": self.problem,
            "candidates": self.candidates,
            "notes": list(self.notes),
            "transfers": [t.to_dict() for t in self.transfers],
            "records": [r.to_dict() for r in self.records],
        }

    @classmethod
    def from_dict(cls, data: dict) -> LabRun:
        if data.get("format") != RESULTS_FORMAT:
            raise ValueError("not a gpuprof lab results file")
        if int(data.get("version", 0)) > RESULTS_VERSION:
            raise ValueError(
                f"lab results version {data.get('version')} is newer than this program understands ({RESULTS_VERSION})"
            )
        return cls(
            problem=dict(data.get("problem") or {}),
            candidates=list(data.get("candidates") or []),
            device=DeviceFacts.from_dict(data.get("device") or {}),
            records=[LabRecord.from_dict(r) for r in data.get("records") or []],
            transfers=[TransferTiming.from_dict(t) for t in data.get("transfers") or []],
            file=data.get("file", ""),
            host=data.get("host", ""),
            date=data.get("date", ""),
            started_wall=data.get("started_wall"),
            ended_wall=data.get("ended_wall"),
            notes=list(data.get("notes") or []),
            synthetic=bool(data.get("synthetic")),
            gpu=_gpu_index(data.get("gpu")),
        )


def _gpu_index(value: Any) -> int | None:
    """The results' GPU number (absent in files from before GPUs could be picked); ValueError when not one."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1023:
        raise ValueError(f"'gpu' is {value!r}, not a GPU number")
    return value


def save_run(run: LabRun, path: str) -> None:
    """Write the results atomically (a run killed mid-save keeps the previous file)."""
    from gpuprof_gui.core.atomic import write_json

    write_json(path, run.to_dict(), indent=1)


def load_run(path: str) -> LabRun:
    """Read lab results; ValueError with a plain reason (missing file, not JSON, not lab results)."""
    from gpuprof_gui.core.atomic import read_json

    return LabRun.from_dict(read_json(path, "a lab results file"))
