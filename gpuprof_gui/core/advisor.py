"""The offload model: Amdahl's law, transfer cost and break-even points (pure arithmetic).

Notation, used the same way in the CLI report, the advisor panel and the docs:

- ``T``  the program's run time on the CPU (seconds, from the profile);
- ``p``  the share of ``T`` spent in the code to offload (0..1, nested calls once; exact for
         one function, see :func:`offload_share`);
- ``s``  the kernel speed-up: CPU time of the hotspot / GPU time of the kernel;
- ``x``  the transfer share: host<->device copy time over the run / ``T``;
- ``f``  the one-time GPU start-up share (importing CuPy, creating the context, the
         first call's kernel load) / ``T``.

Predicted whole-program speed-up::

    S(s)        = 1 / ((1 - p) + p / s)              (Amdahl)
    S_t(s)      = 1 / ((1 - p) + p / s + x + f)      (with transfers and start-up)
    limit       = 1 / (1 - p)                        (s -> infinity, nothing else)

Break-even: the offload gains nothing once ``p / s + x + f >= p``, i.e. when the
copies per call take longer than ``p * T * (1 - 1/s) / calls`` (minus start-up),
or when the kernel is less than ``p / (p - x - f)`` times faster.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gpuprof_gui.core.lab_model import speedup
from gpuprof_gui.core.numbers import MAX_AMOUNT, optional_number

ADVICE_FORMAT = "gpuprof-advice"
ADVICE_VERSION = 1


def _check_p(p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0 or math.isnan(p):
        raise ValueError(f"p must lie between 0 and 1, not {p!r}")
    return p


def _check_s(s: float) -> float:
    s = float(s)
    if not s > 0:  # also rejects NaN
        raise ValueError(f"the kernel speed-up must be positive, not {s!r}")
    return s


def amdahl_limit(p: float) -> float:
    """1 / (1 - p): the most any speed-up of the offloaded part can give (inf for p = 1)."""
    p = _check_p(p)
    return math.inf if p >= 1.0 else 1.0 / (1.0 - p)


def amdahl_speedup(p: float, s: float, overhead_fraction: float = 0.0) -> float:
    """1 / ((1 - p) + p/s + overhead): whole-program speed-up for a kernel ``s`` times faster.

    ``overhead_fraction`` is added time (transfers, start-up) as a share of the
    original run. ``s`` may be ``inf`` (the offloaded part costs nothing).
    """
    p, s = _check_p(p), _check_s(s)
    if overhead_fraction < 0 or math.isnan(overhead_fraction):
        raise ValueError(f"the overhead share must be >= 0, not {overhead_fraction!r}")
    remaining = (1.0 - p) + (0.0 if math.isinf(s) else p / s) + overhead_fraction
    return math.inf if remaining <= 0 else 1.0 / remaining


def speedup_curve(p: float, s_values: np.ndarray, overhead_fraction: float = 0.0) -> np.ndarray:
    """``amdahl_speedup`` over an array of kernel speed-ups (for the chart)."""
    p = _check_p(p)
    s = np.asarray(s_values, dtype=np.float64)
    with np.errstate(divide="ignore"):
        remaining = (1.0 - p) + p / s + overhead_fraction
        return np.where(remaining > 0, 1.0 / np.maximum(remaining, 1e-300), np.inf)


def transfer_time_s(bytes_per_call: float, gbps: float) -> float:
    """Seconds to move ``bytes_per_call`` at ``gbps`` (1e9 bytes per second)."""
    if bytes_per_call < 0 or not gbps > 0:
        raise ValueError("bytes must be >= 0 and the bandwidth positive")
    return float(bytes_per_call) / (float(gbps) * 1e9)


def break_even_kernel_speedup(p: float, overhead_fraction: float) -> float | None:
    """The kernel speed-up at which the offload starts to pay: p / (p - overhead).

    None when the overhead alone is at least the time offloaded: no kernel, however
    fast, makes the program faster.
    """
    p = _check_p(p)
    if p <= 0 or overhead_fraction >= p:
        return None
    return p / (p - overhead_fraction)


def break_even_transfer_s(p: float, s: float, total_s: float, calls: int, setup_s: float = 0.0) -> float | None:
    """Copy time per call at which the offload gains nothing: (p·T·(1 − 1/s) − setup) / calls.

    None when there is nothing to break even on (no calls, or no gain to eat).
    """
    p, s = _check_p(p), _check_s(s)
    if calls <= 0 or total_s <= 0:
        return None
    gain_s = p * total_s * (1.0 - (0.0 if math.isinf(s) else 1.0 / s)) - setup_s
    return gain_s / calls if gain_s > 0 else None


@dataclass
class Advice:
    """Everything the advisor says about one offload, with the inputs it came from.

    Inputs that need a GPU (``kernel_speedup``, ``transfer_s_per_call``,
    ``setup_s``) are None without one; the outputs that need them are then None too.
    """

    total_s: float  # T
    p: float
    calls: int = 0
    functions: list[str] = field(default_factory=list)
    kernel_speedup: float | None = None  # s, of the best correct candidate
    candidate: str | None = None
    size: int | None = None
    transfer_s_per_call: float | None = None
    bytes_per_call: float | None = None
    transfer_gbps: float | None = None  # bytes_per_call / transfer_s_per_call
    setup_s: float | None = None  # one-time: CuPy import, CUDA context
    candidates: list[dict] = field(default_factory=list)  # name, kernel_speedup, correct
    device: str | None = None
    p_note: str = ""  # how p was found where it is not exact (a union on an estimated call tree)
    needs_gpu: list[str] = field(default_factory=list)  # the GPU-measured inputs that are missing
    no_gpu_reason: str | None = None  # why they are missing, in one sentence
    notes: list[str] = field(default_factory=list)
    assumption: str = ""  # set when the user chose to apply a lab run made for other functions

    def __post_init__(self) -> None:
        self.p = _check_p(self.p)

    # -- derived ---------------------------------------------------------------
    @property
    def amdahl_limit(self) -> float:
        return amdahl_limit(self.p)

    @property
    def transfer_s(self) -> float | None:
        """Copy time over the whole run: calls × per-call time."""
        if self.transfer_s_per_call is None:
            return None
        return self.calls * self.transfer_s_per_call

    @property
    def overhead_fraction(self) -> float | None:
        """(transfers + start-up) / T: what the offload adds."""
        if self.transfer_s is None or self.total_s <= 0:
            return None
        return (self.transfer_s + (self.setup_s or 0.0)) / self.total_s

    @property
    def predicted_speedup(self) -> float | None:
        if self.kernel_speedup is None:
            return None
        return amdahl_speedup(self.p, self.kernel_speedup)

    @property
    def predicted_speedup_with_transfers(self) -> float | None:
        if self.kernel_speedup is None or self.overhead_fraction is None:
            return None
        return amdahl_speedup(self.p, self.kernel_speedup, self.overhead_fraction)

    @property
    def predicted_time_s(self) -> float | None:
        """T / S_t: the predicted run time with the offload, transfers and start-up."""
        with_t = self.predicted_speedup_with_transfers
        return None if not with_t else self.total_s / with_t

    @property
    def break_even_transfer_s_per_call(self) -> float | None:
        if self.kernel_speedup is None:
            return None
        return break_even_transfer_s(self.p, self.kernel_speedup, self.total_s, self.calls, self.setup_s or 0.0)

    @property
    def break_even_bytes_per_call(self) -> float | None:
        limit_s = self.break_even_transfer_s_per_call
        if limit_s is None or not self.transfer_gbps:
            return None
        return limit_s * self.transfer_gbps * 1e9

    @property
    def break_even_kernel_speedup(self) -> float | None:
        if self.overhead_fraction is None:
            return None
        return break_even_kernel_speedup(self.p, self.overhead_fraction)

    def time_budget_s(self) -> dict[str, float | None]:
        """Where the predicted run time goes: kept on the CPU, kernel, copies, start-up."""
        s = self.kernel_speedup
        return {
            "cpu_s": (1.0 - self.p) * self.total_s,
            "kernel_s": None if s is None else self.p * self.total_s / s,
            "transfer_s": self.transfer_s,
            "setup_s": self.setup_s,
        }

    def to_dict(self) -> dict:
        out = {k: _finite_or_none(v) for k, v in asdict(self).items()}
        out.update(
            {
                "format": ADVICE_FORMAT,
                "version": ADVICE_VERSION,
                "transfer_s": self.transfer_s,
                "predicted_speedup": _finite_or_none(self.predicted_speedup),
                "predicted_speedup_with_transfers": _finite_or_none(self.predicted_speedup_with_transfers),
                "amdahl_limit": _finite_or_none(self.amdahl_limit),
                "predicted_time_s": self.predicted_time_s,
                "break_even_transfer_s_per_call": self.break_even_transfer_s_per_call,
                "break_even_bytes_per_call": self.break_even_bytes_per_call,
                "break_even_kernel_speedup": _finite_or_none(self.break_even_kernel_speedup),
            }
        )
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Advice:
        if data.get("format") not in (None, ADVICE_FORMAT):
            raise ValueError("not a gpuprof advice document")
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        # Numbers are checked here, at the door, so no view ever meets NaN, -1 calls or p = 5.
        for name, hi in _ADVICE_NUMBERS.items():
            if name in values:
                checked = optional_number(values[name], f"advice.{name}", 0.0, hi)
                values[name] = int(checked) if name in _WHOLE_NUMBERS and checked is not None else checked
        return cls(**values)


# The advice's numbers: all non-negative; p is a share of the run.
_ADVICE_NUMBERS = {
    "total_s": MAX_AMOUNT,
    "p": 1.0,
    "calls": MAX_AMOUNT,
    "kernel_speedup": MAX_AMOUNT,
    "size": MAX_AMOUNT,
    "transfer_s_per_call": MAX_AMOUNT,
    "bytes_per_call": MAX_AMOUNT,
    "transfer_gbps": MAX_AMOUNT,
    "setup_s": MAX_AMOUNT,
}
_WHOLE_NUMBERS = ("calls", "size")


def _finite_or_none(value):
    """JSON has no infinity: an unbounded figure (p = 1 limit) is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- from a profile and a lab run to an Advice -------------------------------------------


def find_offload_functions(profile, text: str) -> list[int]:
    """Functions named ``text`` (or ``FILE:NAME``, FILE a path suffix). LookupError says why not."""
    text = text.strip()
    file_part, sep, name = text.rpartition(":")
    if not sep or not name or name.isdigit():
        file_part, name = "", text
    hits = [
        i
        for i, rec in enumerate(profile.functions)
        if rec.name == name and (not file_part or rec.file.endswith(file_part))
    ]
    if not hits:
        names = sorted({rec.name for rec in profile.functions})
        contains = [n for n in names if name.casefold() in n.casefold()]
        # Typos too ("difuse" -> "diffuse"), not only names that contain what was typed.
        close = difflib.get_close_matches(name, names, n=8, cutoff=0.75)
        near = list(dict.fromkeys(close + contains))
        hint = f"; similar names: {', '.join(near[:8])}" if near else ""
        raise LookupError(f"no function named {text!r} in the profile{hint}")
    files = {profile.functions[i].file for i in hits}
    if len(files) > 1:
        places = ", ".join(sorted(f"{profile.functions[i].location}" for i in hits))
        raise LookupError(f"{text!r} names functions in several files ({places}); write FILE:{name} to pick one")
    return hits


def run_time_s(profile) -> float:
    """T in seconds: the run's profiled time for cProfile (pstats' total), the wall time when the unit is samples."""
    from gpuprof_gui.core.selection import run_total_s

    if profile.unit == "s":
        return run_total_s(profile)
    return float(profile.wall_s or 0.0)


def offload_share(profile, funcs: list[int]):
    """p for offloading ``funcs`` as a :class:`~gpuprof_gui.core.selection.Share`.

    One function: its exact cumulative time over the run's. Several: their
    union, nested calls once; on an estimated call tree (cProfile) bounded by
    the exact totals, with a note that says so (kept in :attr:`Advice.p_note`).
    """
    from gpuprof_gui.core.selection import function_share

    return function_share(profile, funcs)


def profile_inputs(profile, funcs: list[int]) -> tuple[float, float, int]:
    """(T, p, calls) for offloading ``funcs``: p as :func:`offload_share` finds it."""
    p = offload_share(profile, funcs).fraction
    return run_time_s(profile), p, offload_calls(profile, funcs)


def offload_calls(profile, funcs: list[int]) -> int:
    """Calls of ``funcs`` per run (0 where the profiler does not count calls)."""
    return sum(int(profile.functions[f].calls or 0) for f in funcs if f >= 0)


def first_call_extra_ms(lab_run, candidate: str) -> float:
    """How much longer the candidate's first call took than a timed one (compile, module load)."""
    extras = [
        r.first_call_ms - r.median_ms
        for r in lab_run.records
        if r.candidate == candidate and r.first_call_ms is not None and r.median_ms
    ]
    return max([0.0, *extras])


def lab_inputs(lab_run, size: int | None = None) -> dict:
    """What the lab measured at ``size`` (default: the largest size with a correct candidate).

    Keys: kernel_speedup, candidate, size, transfer_s_per_call, bytes_per_call,
    transfer_gbps, setup_s, candidates, device; missing measurements are None.
    """
    ok = [r for r in lab_run.records if r.correct and r.median_ms and r.cpu_ms]
    if size is None and ok:
        size = max(r.size for r in ok)
    at_size = [r for r in ok if r.size == size]
    out: dict[str, Any] = {
        "kernel_speedup": None,
        "candidate": None,
        "size": size,
        "transfer_s_per_call": None,
        "bytes_per_call": None,
        "transfer_gbps": None,
        "setup_s": None,
        "candidates": [],
        "device": lab_run.device.name or None,
    }
    startup_ms = getattr(lab_run.device, "startup_ms", None)
    out["setup_s"] = startup_ms / 1e3 if startup_ms else None
    if not at_size:
        return out
    best = min(at_size, key=lambda r: r.median_ms)
    out.update(kernel_speedup=speedup(best.cpu_ms, best.median_ms), candidate=best.candidate)
    if startup_ms:
        out["setup_s"] = (startup_ms + first_call_extra_ms(lab_run, best.candidate)) / 1e3
    out["candidates"] = [
        {
            "name": r.candidate,
            "kernel_speedup": speedup(r.cpu_ms, r.median_ms),
            "kernel_ms": r.median_ms,
            "cpu_ms": r.cpu_ms,
        }
        for r in sorted(at_size, key=lambda r: r.median_ms)
    ]
    timing = next((t for t in lab_run.transfers if t.size == size), None)
    if timing is not None and timing.h2d_pageable_ms is not None and timing.d2h_pageable_ms is not None:
        # Pageable: a script's NumPy arrays are ordinary (not pinned) host memory.
        seconds = (timing.h2d_pageable_ms + timing.d2h_pageable_ms) / 1e3
        nbytes = float(timing.bytes_in + timing.bytes_out)
        out.update(
            transfer_s_per_call=seconds,
            bytes_per_call=nbytes,
            transfer_gbps=nbytes / seconds / 1e9 if seconds > 0 else None,
        )
    return out
