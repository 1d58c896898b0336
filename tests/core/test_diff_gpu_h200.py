"""Before and after a move to the GPU on real runs: heat_cpu.py and heat_gpu.py (the bundled pair) at their
default size on one H200 machine, heat_gpu.py traced on the GPU (tests/data/gpu/run_heat_*_h200/).

Every figure is checked against what the files themselves say (the profiles' per-function totals, the
trace's own sums), not against numbers copied here."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpuprof_gui.core.diff_gpu import before_after
from gpuprof_gui.core.fmt import format_time
from gpuprof_gui.core.gpu_trace import gpu_trace_beside
from gpuprof_gui.core.gpu_trace_summary import summarize
from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.core.selection import run_total_s

DATA = Path(__file__).resolve().parents[1] / "data" / "gpu"
CPU_RUN = DATA / "run_heat_cpu_h200" / "profile.prof"
GPU_RUN = DATA / "run_heat_gpu_h200" / "profile.prof"


@pytest.fixture(scope="module")
def runs():
    a = load_profile(CPU_RUN, trusted=True)  # recorded by the project: trusted
    b = load_profile(GPU_RUN, trusted=True)
    trace, problem = gpu_trace_beside(GPU_RUN)
    assert trace is not None, problem
    return a, b, trace


def _function(profile, name: str, file_end: str):
    (rec,) = [f for f in profile.functions if f.name == name and f.file.endswith(file_end)]
    return rec


def test_diffuse_moved_with_every_kernel_and_copy_of_the_run(runs):
    a, b, trace = runs
    result = before_after(a, b, trace)
    first = result["functions"][0]
    assert (first["name"], first["moved"]) == ("diffuse", True)
    assert first["file"].endswith("heat_gpu.py") and first["before_file"].endswith("heat_cpu.py")
    assert first["cpu_before_s"] == _function(a, "diffuse", "heat_cpu.py").total_s
    assert first["cpu_after_s"] == _function(b, "diffuse", "heat_gpu.py").total_s
    # heat_gpu.diffuse copies in, sweeps (all the kernels) and copies out: the whole trace's GPU work.
    figures = summarize(trace)
    assert first["kernel_s"] == pytest.approx(figures["kernel_sum_ns"] * 1e-9, rel=1e-12)
    assert first["launches"] == figures["launches"] > 0
    assert first["copies"] == figures["copies"] > 0 and first["copy_bytes"] == figures["copy_bytes"]
    assert first["copy_s"] > 0
    sweeps = next(r for r in result["functions"] if r["name"] == "sweeps_on_device")
    assert not sweeps["moved"] and sweeps["cpu_before_s"] is None and sweeps["kernel_s"] == first["kernel_s"]
    assert result["device"] == "NVIDIA H200"


def test_the_totals_and_the_first_sentence_come_from_the_runs(runs):
    a, b, trace = runs
    result = before_after(a, b, trace)
    t, first = result["totals"], result["functions"][0]
    assert t["run_before_s"] == run_total_s(a) and t["run_after_s"] == run_total_s(b)
    assert t["moved_before_s"] == first["cpu_before_s"] and t["moved_after_s"] == first["cpu_after_s"]
    assert t["cpu_after_s"] == pytest.approx(run_total_s(b) - first["cpu_after_s"])
    assert t["cpu_share_after"] == pytest.approx(t["cpu_after_s"] / run_total_s(b))
    # Measured: the GPU run is several times faster, and most of what is left of it is CPU work.
    assert t["speedup"] > 2 and t["cpu_share_after"] > 0.5
    assert result["sentences"][0].startswith(
        f"diffuse: {format_time(first['cpu_before_s'])} on the CPU became "
        f"{format_time(first['kernel_s'])} of GPU kernels plus {format_time(first['copy_s'])} of copies"
    )
    assert any(s.startswith("The run took") and "faster" in s for s in result["sentences"])
