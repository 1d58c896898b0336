"""`gpuprof diff a.prof b.prof` with B's GPU trace beside it: the before/after block, in text and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gpu_move_case import MiB, write_runs

REPO_ROOT = Path(__file__).resolve().parents[2]
H200 = REPO_ROOT / "tests" / "data" / "gpu"

pytestmark = pytest.mark.timeout(240)


def gpuprof(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args], capture_output=True, text=True, env=env, timeout=200
    )


def test_json_has_the_gpu_block_when_bs_trace_is_beside_it(tmp_path):
    a, b = write_runs(tmp_path)
    res = gpuprof("diff", str(a), str(b), "--json")
    assert res.returncode == 0, res.stderr
    gpu = json.loads(res.stdout)["gpu"]
    assert gpu["device"] == "Synthetic GPU"
    diffuse = gpu["functions"][0]
    assert (diffuse["name"], diffuse["moved"], diffuse["copies"], diffuse["copy_bytes"]) == (
        "diffuse",
        True,
        2,
        8 * MiB,
    )
    assert diffuse["cpu_before_s"] == pytest.approx(6.0) and diffuse["cpu_after_s"] == pytest.approx(0.6)
    assert diffuse["kernel_s"] == pytest.approx(600e-6) and diffuse["sync_s"] == pytest.approx(50e-6)
    totals = gpu["totals"]
    assert totals["moved_before_s"] == pytest.approx(6.0) and totals["cpu_share_after"] == pytest.approx(5 / 5.6)
    assert gpu["sentences"][0].startswith("diffuse: 6.00 s on the CPU became 600 µs of GPU kernels")


def test_text_ends_with_the_table_totals_and_sentences(tmp_path):
    a, b = write_runs(tmp_path)
    res = gpuprof("diff", str(a), str(b))
    assert res.returncode == 0, res.stderr
    block = res.stdout.split("Moved to the GPU: B's GPU trace (Synthetic GPU)\n", 1)[1].splitlines()
    assert block[0].startswith("Run 10.0 s → 5.60 s; moved 6.00 s of CPU time")
    assert block[1].split() == [
        "function",
        "CPU",
        "before",
        "CPU",
        "after",
        "GPU",
        "kernels",
        "copies",
        "bytes",
        "sync",
    ]
    assert block[3].split() == ["diffuse", "(moved)", "6.00", "s", "600", "ms", "600", "µs", "3.00", "ms", "8.00",
                                "MiB", "50.0", "µs"]  # fmt: skip
    assert "89.3% of the GPU run is still CPU work: summarize 3.00 s" in res.stdout


def test_without_a_trace_there_is_no_gpu_block(tmp_path):
    a, b = write_runs(tmp_path)
    os.remove(str(b) + ".gpu-trace.json")
    res = gpuprof("diff", str(a), str(b), "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["gpu"] is None
    assert "Moved to the GPU" not in gpuprof("diff", str(a), str(b)).stdout


def test_a_damaged_trace_is_said_and_the_diff_still_runs(tmp_path):
    a, b = write_runs(tmp_path)
    Path(str(b) + ".gpu-trace.json").write_text("{not json", encoding="utf-8")
    res = gpuprof("diff", str(a), str(b), "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["gpu"] is None
    assert "GPU trace could not be read" in res.stderr


def test_the_recorded_h200_runs_give_the_block_in_json():
    """heat_cpu.py and heat_gpu.py (traced) recorded on one H200 machine."""
    cpu, gpu = H200 / "run_heat_cpu_h200" / "profile.prof", H200 / "run_heat_gpu_h200" / "profile.prof"
    res = gpuprof("diff", str(cpu), str(gpu), "--json", "--top", "3")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    block = doc["gpu"]
    first = block["functions"][0]
    assert (first["name"], first["moved"], block["device"]) == ("diffuse", True, "NVIDIA H200")
    assert first["file"].endswith("heat_gpu.py") and first["before_file"].endswith("heat_cpu.py")
    assert first["kernel_s"] > 0 and first["copy_bytes"] > 0 and first["cpu_before_s"] > first["cpu_after_s"]
    assert (
        block["totals"]["run_before_s"] == doc["a"]["total_s"] and block["totals"]["run_after_s"] == doc["b"]["total_s"]
    )
    assert block["sentences"][0].startswith("diffuse: ")
