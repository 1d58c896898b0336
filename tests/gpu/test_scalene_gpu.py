"""Scalene's GPU mode through the app on a real GPU: a small CuPy program, profiled as the window and
``gpuprof profile --profiler scalene`` do, shows the GPU busy on the lines that launch its kernels.

Needs CuPy, a GPU and Scalene in the Python that runs the tests (skipped otherwise). Scalene 2.4.0 on
an H200 (driver 580, no per-process accounting) gave this script GPU 5-7 % and 864-4,192 MB on the
launching line and 0 % elsewhere; its ``"gpu"`` key was false with ``--cpu-only``.
"""

from __future__ import annotations

import json
import sys

import pytest

from gpuprof_gui.core.importers.scalene_import import import_scalene
from gpuprof_gui.jobs.runner import RunSpec, run_profile

pytestmark = pytest.mark.gpu

CUPY_SCRIPT = """import time

import cupy as cp

x = cp.random.random((8192, 8192), dtype=cp.float32)


def step():
    return float(cp.matmul(x, x).sum())


t0 = time.perf_counter()
while time.perf_counter() - t0 < 4.0:
    step()
"""
LAUNCH_LINE = 9  # float(cp.matmul(x, x).sum()): launches the kernels and waits for the sum


def test_scalene_shows_the_gpu_busy_on_the_kernel_launching_lines(tmp_path):
    pytest.importorskip("scalene", reason="Scalene is not installed in this Python")
    script = tmp_path / "matmul_loop.py"
    script.write_text(CUPY_SCRIPT)
    outcome = run_profile(RunSpec(str(script), profiler="scalene", output_dir=str(tmp_path / "out"), timeout_s=300))
    assert outcome.ok, outcome.message
    with open(outcome.profile_path, encoding="utf-8") as fh:
        raw = json.load(fh)
    assert raw.get("gpu") is True, "Scalene did not sample the GPU (its GPU mode was off or found no GPU)"
    profile = import_scalene(raw)
    (lines,) = [v for k, v in profile.lines.items() if k.endswith("matmul_loop.py")]
    (step,) = [r for r in profile.functions if r.name == "step"]
    seen = {ln: (r.gpu_pct, r.gpu_mem_mb, r.cpu_pct) for ln, r in sorted(lines.items())}
    print(f"Scalene GPU per line on {sys.platform}: {seen}; step: GPU {step.gpu_pct} %, {step.gpu_mem_mb} MB")
    assert lines[LAUNCH_LINE].gpu_pct > 0, seen
    assert step.gpu_pct is not None and step.gpu_pct > 0
    cpu_only = run_profile(
        RunSpec(str(script), profiler="scalene", scalene_cpu_only=True, output_dir=str(tmp_path / "cpu"), timeout_s=300)
    )
    assert cpu_only.ok, cpu_only.message
    with open(cpu_only.profile_path, encoding="utf-8") as fh:
        again = import_scalene(json.load(fh))
    assert all(r.gpu_pct is None for r in again.functions)  # CPU only: no GPU figures claimed
