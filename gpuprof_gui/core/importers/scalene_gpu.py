"""Scalene's GPU figures (``scalene run --gpu`` on a machine with an NVIDIA GPU) for functions and lines.

Scalene samples the GPU through NVML at each CPU sample and charges the reading to the line that ran:
a line's ``n_gpu_percent`` is the GPU's mean utilisation over the time sampled on that line (device-wide
unless the driver's per-process accounting is on), not a share of the run; ``n_gpu_peak_memory_mb``
the most GPU memory the process held then. So a function's figure is not the sum of its lines: it is
Scalene's own function summary, which weighs the lines by their sampled time; for a function the
summary does not list (module-level code, a class body) the mean of its lines weighed by their CPU
share, the nearest weight the file keeps. When Scalene did not sample the GPU (``"gpu": false``: no
GPU, or ``--cpu-only``) every GPU figure is left out (None), not zero.
"""

from __future__ import annotations

from gpuprof_gui.core.model import FunctionRecord, LineRecord
from gpuprof_gui.core.numbers import MAX_MB, number

GPU_MEM_KEY = "n_gpu_peak_memory_mb"


def gpu_measured(obj: dict) -> bool:
    """Whether Scalene sampled a GPU in this run."""
    return obj.get("gpu") is True


def gpu_mem_mb(record: dict, where: str) -> float:
    value = record.get(GPU_MEM_KEY)
    return 0.0 if value is None else max(number(value, f"'{GPU_MEM_KEY}' {where}", -MAX_MB, MAX_MB), 0.0)


def apply_gpu(
    measured: bool,
    records: list[FunctionRecord],
    lines: dict[str, dict[int, LineRecord]],
    owner_of_line: dict[tuple[str, int], int],
    summary: dict[int, tuple[float, float]],
) -> None:
    """Set each function's ``gpu_pct``/``gpu_mem_mb`` (see the module's docstring).

    ``owner_of_line``: (file, line) -> function id; ``summary``: function id -> (GPU %, GPU MB) from
    Scalene's function summary.
    """
    if not measured:
        for rec in records:
            rec.gpu_pct = rec.gpu_mem_mb = None
        for by_line in lines.values():
            for line in by_line.values():
                line.gpu_pct = line.gpu_mem_mb = 0.0
        return
    weighed: dict[int, list[float]] = {}  # function -> [sum of GPU % x weight, sum of weights, max MB, max %]
    for file, by_line in lines.items():
        for lineno, line in by_line.items():
            idx = owner_of_line.get((file, lineno), -1)
            if idx < 0:
                continue
            acc = weighed.setdefault(idx, [0.0, 0.0, 0.0, 0.0])
            acc[0] += line.gpu_pct * line.cpu_pct
            acc[1] += line.cpu_pct
            acc[2] = max(acc[2], line.gpu_mem_mb)
            acc[3] = max(acc[3], line.gpu_pct)
    for idx, rec in enumerate(records):
        if idx in summary:
            rec.gpu_pct, rec.gpu_mem_mb = summary[idx]
        elif idx in weighed:
            total, weight, mem, top = weighed[idx]
            rec.gpu_pct, rec.gpu_mem_mb = (total / weight if weight > 0 else top), mem
        else:
            rec.gpu_pct, rec.gpu_mem_mb = 0.0, 0.0
