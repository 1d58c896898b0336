"""Kernel lab on a real GPU: faults, source edits, the command line, device facts.

Skipped cleanly without CuPy or a GPU (conftest); run by tools/gpu_suite.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gpuprof_gui.jobs.lab_runner import LabRunSpec, run_lab

pytestmark = pytest.mark.gpu

REPO = Path(__file__).resolve().parents[2]
FAULTS = REPO / "tests" / "data" / "lab" / "faults.py"
SAXPY = REPO / "resources" / "examples" / "kernels" / "saxpy.py"
# Long enough for the good candidates, short enough for the test: the hung
# kernel is killed after this.
HANG_TIMEOUT_S = 15.0

REQUIRED_FIELDS = (
    "candidate",
    "size",
    "correct",
    "max_rel_err",
    "median_ms",
    "p10_ms",
    "p90_ms",
    "gbps",
    "gflops",
    "pct_of_peak",
    "speedup_vs_cpu",
    "speedup_vs_cpu_with_transfers",
    "error",
)


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory):
    seen = []
    outcome = run_lab(
        LabRunSpec(
            path=str(FAULTS), candidate_timeout_s=HANG_TIMEOUT_S, output_dir=str(tmp_path_factory.mktemp("faults"))
        ),
        on_record=seen.append,
    )
    return outcome, seen


def _by_name(outcome):
    return {r.candidate: r for r in outcome.run.records}


def test_every_fault_is_reported_and_the_good_candidates_still_pass(fault_run):
    outcome, seen = fault_run
    assert outcome.status == "finished", outcome.message
    recs = _by_name(outcome)
    assert [r.candidate for r in seen] == [r.candidate for r in outcome.run.records]
    for good in ("good", "good_after_crash", "good_after_hang"):
        assert recs[good].correct and recs[good].status == "ok", recs[good].error
        assert recs[good].median_ms > 0
    # an illegal address kills the context, a hang gets the worker killed: 3 workers
    assert outcome.workers_started == 3


def test_compile_error_names_the_line(fault_run):
    rec = _by_name(fault_run[0])["compile_error"]
    assert rec.status == "failed" and not rec.correct
    assert "line 4" in rec.error and "undeclared_name" in rec.error


@pytest.mark.parametrize("name, words", [("wrong", "exceeds the tolerance"), ("nan", "NaN"), ("unwritten", "NaN")])
def test_wrong_results_and_nan_fail_the_check(fault_run, name, words):
    rec = _by_name(fault_run[0])[name]
    assert rec.status == "wrong" and not rec.correct
    assert words in rec.error


def test_out_of_memory_is_reported_and_the_worker_goes_on(fault_run):
    recs = _by_name(fault_run[0])
    assert recs["out_of_memory"].status == "failed"
    assert "out of device memory" in recs["out_of_memory"].error
    assert recs["illegal_address"].start_mono is not None  # the same worker went on to it


def test_illegal_address_and_hang(fault_run):
    recs = _by_name(fault_run[0])
    assert recs["illegal_address"].status in ("failed", "crashed")
    assert "illegal" in recs["illegal_address"].error.lower()
    hang = recs["never_finishes"]
    assert hang.status == "timed_out" and f"{HANG_TIMEOUT_S:g} s" in hang.error
    assert hang.end_mono - hang.start_mono >= HANG_TIMEOUT_S * 0.9


def test_edited_source_is_what_runs(tmp_path):
    # The CUDA source of raw_naive, however the call is laid out over lines.
    found = re.search(r'raw_kernel\(\s*"raw_naive",\s*r"""(.*?)"""', SAXPY.read_text(), re.S)
    assert found is not None, "raw_naive's source was not found in saxpy.py"
    assert "a * x[i] + y[i]" in found.group(1)
    broken = found.group(1).replace("a * x[i] + y[i]", "a * x[i] - y[i]")
    outcome = run_lab(
        LabRunSpec(
            path=str(SAXPY),
            sizes=[1 << 16],
            candidates=["raw_naive"],
            source_overrides={"raw_naive": broken},
            output_dir=str(tmp_path),
        )
    )
    (rec,) = outcome.run.records
    assert rec.status == "wrong"
    fixed = broken.replace("a * x[i] - y[i]", "y[i] + x[i] * a")
    outcome = run_lab(
        LabRunSpec(
            path=str(SAXPY),
            sizes=[1 << 16],
            candidates=["raw_naive"],
            source_overrides={"raw_naive": fixed},
            output_dir=str(tmp_path),
        )
    )
    assert outcome.run.records[0].correct


def test_kernels_cli_json_has_every_field(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli.kernels", str(SAXPY), "--size", "65536", "--size", "1000003", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = json.loads(proc.stdout)
    assert {(r["candidate"], r["size"]) for r in records} >= {("raw_float4_gridstride", 1000003)}
    for rec in records:
        assert all(field in rec for field in REQUIRED_FIELDS)
        if rec["status"] == "skipped":  # Numba unusable here: the reason is given
            assert rec["kind"] == "numba" and rec["error"]
            continue
        assert rec["correct"] is True, rec
        assert rec["p10_ms"] <= rec["median_ms"] <= rec["p90_ms"]
        assert rec["start_mono"] < rec["end_mono"]


def test_copy_verb_reports_device_facts():
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.workers.kernel_worker", "copy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "copy_gbps" in proc.stdout and "sm_count" in proc.stdout
