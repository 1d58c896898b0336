"""The recorded kernel-lab runs in tests/data/lab (from a real GPU via tools/gpu_suite.py) load and make sense."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpuprof_gui.core.lab_model import load_run

DATA = Path(__file__).resolve().parents[1] / "data" / "lab"
EXAMPLE_RUNS = sorted(DATA.glob("lab_*.json"))
BUNDLED = {"saxpy", "mandelbrot", "matmul", "reduction"}


def test_every_bundled_example_has_a_recording():
    assert {p.stem.removeprefix("lab_") for p in EXAMPLE_RUNS} >= BUNDLED


@pytest.mark.parametrize("path", [p for p in EXAMPLE_RUNS if p.stem != "lab_faults"], ids=lambda p: p.stem)
def test_recorded_example_runs_are_real_and_all_correct(path):
    run = load_run(str(path))
    assert not run.synthetic and run.device.name and run.date[:4].isdigit()
    assert run.device.copy_gbps and run.device.peak_bandwidth_gbps > run.device.copy_gbps * 0.5
    assert run.all_correct, [(r.candidate, r.size, r.error) for r in run.records if not r.correct]
    sizes = {r.size for r in run.records}
    assert {r.candidate for r in run.records} == {c["name"] for c in run.candidates}
    assert {t.size for t in run.transfers} == sizes
    for rec in run.records:
        assert rec.p10_ms <= rec.median_ms <= rec.p90_ms and rec.reps >= 10
        assert rec.start_mono < rec.end_mono and rec.start_wall < rec.end_wall
        assert rec.speedup_vs_cpu and rec.speedup_vs_cpu_with_transfers < rec.speedup_vs_cpu


def test_the_recorded_saxpy_reaches_the_copy_bandwidth():
    run = load_run(str(DATA / "lab_saxpy.json"))
    best = run.best(max(r.size for r in run.records))
    assert best.gbps >= 0.95 * run.device.copy_gbps


def test_recorded_fault_run_keeps_each_failure_state():
    run = load_run(str(DATA / "lab_faults.json"))
    status = {r.candidate: r.status for r in run.records}
    assert status["good"] == status["good_after_crash"] == status["good_after_hang"] == "ok"
    assert status["compile_error"] == "failed" and status["wrong"] == status["nan"] == "wrong"
    assert status["never_finishes"] == "timed_out"
