"""`gpuprof advise … --check RUN.prof`: the prediction checked item by item against a traced GPU run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from advice_check_support import gpu_profile, gpu_trace

from gpuprof_gui.core.gpu_trace import save_gpu_trace
from gpuprof_gui.core.serialize import dump_profile
from gpuprof_gui.protocol import GPU_TRACE_SUFFIX

pytestmark = pytest.mark.timeout(180)

REPO = Path(__file__).resolve().parents[2]
SESSION = REPO / "tests" / "data" / "advisor" / "session_heat_h100.json"


def gpuprof(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args], capture_output=True, text=True, env=env, timeout=170
    )


@pytest.fixture
def traced_run(tmp_path) -> Path:
    """The hand-built traced run (10 s; 8 kernels, 8 copies from diffuse) saved as a profile + its trace."""
    path = tmp_path / "gpu_run.json"
    dump_profile(gpu_profile(calls=12), path)
    save_gpu_trace(gpu_trace(calls=12), str(path) + GPU_TRACE_SUFFIX)
    return path


def test_check_puts_every_item_in_the_json(traced_run):
    proc = gpuprof("advise", str(SESSION), "--offload", "diffuse", "--check", str(traced_run), "--json")
    assert proc.returncode == 0, proc.stderr
    check = json.loads(proc.stdout)["check"]
    items = {i["item"]: i for i in check["items"]}
    assert list(items) == ["kernel", "copies", "startup", "cpu", "other"]
    assert items["kernel"]["measured_s"] == pytest.approx(12 * 2 * 0.010) and items["kernel"]["count"] == 24
    assert items["copies"]["bytes"] == 24_000_000 and items["copies"]["measured_s"] == pytest.approx(12 * 0.0045)
    assert items["startup"]["import_s"] == pytest.approx(0.4)
    assert items["cpu"]["measured_s"] == pytest.approx(7.6)
    # no --kernels: no lab, so nothing GPU-side was predicted; the CPU part (1 − p)·T was
    assert items["kernel"]["predicted_s"] is None and items["cpu"]["predicted_s"] > 0
    assert check["total"]["measured_s"] == pytest.approx(10.0)
    assert check["worst"] == "cpu" and check["verdict"].startswith("Biggest contributor to the error: the CPU part")
    assert check["run"]["calls"] == 12 and check["run"]["advised_calls"] == 12


def test_check_prints_the_table(traced_run):
    proc = gpuprof("advise", str(SESSION), "--offload", "diffuse", "--check", str(traced_run))
    assert proc.returncode == 0, proc.stderr
    assert "Checked against the GPU run gpu_run.json" in proc.stdout
    for label in ("Kernels", "Copies", "GPU start-up", "CPU part", "Not in the model", "Whole program"):
        assert f"  {label}" in proc.stdout
    assert "Biggest contributor to the error" in proc.stdout


def test_check_without_a_trace_beside_the_profile_says_so(tmp_path):
    lone = tmp_path / "lone.json"
    dump_profile(gpu_profile(), lone)
    proc = gpuprof("advise", str(SESSION), "--offload", "diffuse", "--check", str(lone), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"has no GPU trace beside it (lone.json{GPU_TRACE_SUFFIX})" in proc.stderr
