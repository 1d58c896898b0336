"""`gpuprof advise` without a GPU (as CI runs it), CPU capacity, and the bundled offload pair.

On a GPU machine the same command is checked against reality by tests/gpu/test_advisor_gpu.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpuprof_gui.core import capacity as cap

pytestmark = pytest.mark.timeout(180)

REPO = Path(__file__).resolve().parents[2]
PAIR = REPO / "resources" / "examples" / "offload"
SMALL = ["--", "--steps", "3", "--grid", "384"]  # the pair's own options: a run of well under a second


def gpuprof(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args], capture_output=True, text=True, env=full_env, timeout=170
    )


def _no_gpu_here() -> bool:
    from gpuprof_gui.jobs.lab_runner import cupy_missing_reason

    return cupy_missing_reason() is not None


needs_no_gpu = pytest.mark.skipif(not _no_gpu_here(), reason="checks the no-GPU answer; this machine has a GPU")


@needs_no_gpu
def test_advise_json_without_gpu_reports_p_and_limit_and_names_what_needs_a_gpu(tmp_path):
    session = tmp_path / "session.json"
    proc = gpuprof(
        "advise",
        str(PAIR / "heat_cpu.py"),
        "--offload",
        "diffuse",
        "--kernels",
        str(PAIR / "heat_kernels.py"),
        "--json",
        "--save",
        str(session),
        *SMALL,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert 0.0 < doc["p"] < 1.0 and doc["calls"] == 3  # small grid: numpy import weighs in, p varies
    assert doc["amdahl_limit"] == pytest.approx(1 / (1 - doc["p"]))
    for key in ("kernel_speedup", "transfer_s", "predicted_speedup", "predicted_speedup_with_transfers"):
        assert key in doc and doc[key] is None
    assert len(doc["needs_gpu"]) == 3 and doc["no_gpu_reason"]
    assert doc["capacity"]["cpu"]["logical_cores"]["value"] >= 1
    assert "CPU: 3 steps" in proc.stderr  # the script's own output goes to stderr with --json
    from gpuprof_gui.core.advice_session import load_session

    saved = load_session(str(session))
    assert saved.lab is None and saved.advice.p == pytest.approx(doc["p"])
    assert saved.profile is not None and any(f.name == "diffuse" for f in saved.profile.functions)


@needs_no_gpu
def test_advise_report_explains_each_number():
    proc = gpuprof(
        "advise", str(PAIR / "heat_cpu.py"), "--offload", "diffuse", "--kernels", str(PAIR / "heat_kernels.py"), *SMALL
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "p = time in hotspot / run time" in out and "limit = 1 / (1 − p)" in out
    assert "Amdahl's law" in out and "Needs a GPU" in out and "kernel speed-up" in out


def test_advise_unknown_function_is_a_usage_error():
    proc = gpuprof("advise", str(PAIR / "heat_cpu.py"), "--offload", "difuse", *SMALL)
    assert proc.returncode == 2
    assert "no function named 'difuse'" in proc.stderr


def test_advise_missing_kernels_file_is_a_usage_error_before_any_run(tmp_path):
    proc = gpuprof(
        "advise", str(PAIR / "heat_cpu.py"), "--offload", "diffuse", "--kernels", str(tmp_path / "nope.py"), *SMALL
    )
    assert proc.returncode == 2 and "no such candidate file" in proc.stderr
    assert "profiling" not in proc.stderr


def test_advise_script_that_crashes_gives_no_profile_status(tmp_script):
    script = tmp_script('import sys\nsys.exit("boom")\n', "crash.py")
    proc = gpuprof("advise", str(script), "--offload", "main")
    assert proc.returncode in (2, 3), proc.stderr  # 2: <module> has no 'main'; 3: no profile at all
    assert "gpuprof advise:" in proc.stderr


def test_advise_requires_offload():
    proc = gpuprof("advise", str(PAIR / "heat_cpu.py"))
    assert proc.returncode == 2 and "--offload" in proc.stderr


# -- the bundled pair ---------------------------------------------------------------------------
def test_cpu_program_runs_and_gpu_program_says_what_it_needs():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cpu = subprocess.run(
        [sys.executable, str(PAIR / "heat_cpu.py"), "--steps", "2", "--grid", "256"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert cpu.returncode == 0 and cpu.stdout.startswith("CPU: 2 steps"), cpu.stderr
    if _no_gpu_here():
        gpu = subprocess.run(
            [sys.executable, str(PAIR / "heat_gpu.py")], capture_output=True, text=True, env=env, timeout=60
        )
        assert gpu.returncode != 0
        assert "heat_gpu.py needs CuPy and an NVIDIA GPU" in gpu.stderr
        assert "Traceback" not in gpu.stderr


def test_candidate_file_imports_its_reference_from_the_program_beside_it():
    from gpuprof_gui.lab import load_lab_file

    before = list(sys.path)
    lab = load_lab_file(str(PAIR / "heat_kernels.py"))
    assert sys.path == before  # the file's folder was on the path only while it loaded
    assert lab.problem.reference.__name__ == "diffuse"
    assert [c.name for c in lab.candidates] == ["raw_jacobi", "cupy_slicing"]
    import numpy as np

    field = np.zeros((8, 8), dtype=np.float32)
    field[4, 4] = 1.0
    out = lab.problem.reference(field, sweeps=1)
    assert out[4, 4] == pytest.approx(0.2) and out[3, 4] == pytest.approx(0.2)  # 1 - 4α, α
    assert out.sum() == pytest.approx(1.0)  # heat is conserved away from the border


# -- CPU capacity --------------------------------------------------------------------------------
X86 = """processor\t: 0
model name\t: Example CPU 9000
cpu MHz\t\t: 3000.000
siblings\t: 16
cpu cores\t: 8
flags\t\t: fpu sse2 avx avx2 fma

processor\t: 1
model name\t: ignored
"""
ARM = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm
CPU part\t: 0xd0c
"""


def test_parse_cpuinfo_and_simd():
    info = cap.parse_cpuinfo(X86)
    assert info["model"] == "Example CPU 9000" and info["mhz"] == 3000.0 and info["threads_per_core"] == 2
    assert cap.simd_bits(info["flags"]) == (256, "AVX2")
    assert cap.simd_bits(cap.parse_cpuinfo(ARM)["flags"]) == (128, "NEON")
    assert cap.simd_bits(set()) == (None, "unknown")


def test_cpu_peak_formula(monkeypatch):
    monkeypatch.setattr(cap, "usable_cores", lambda: 16)
    monkeypatch.setattr(cap, "_read", lambda path: "")  # no cpufreq: the cpuinfo clock is used
    facts = cap.cpu_facts(X86)
    assert facts["cores"]["value"] == 8  # 16 threads, 2 per core
    fp32 = facts["peak_fp32_gflops"]
    assert fp32["value"] == pytest.approx(8 * 3.0 * 8 * 2 * cap.FMA_UNITS_PER_CORE)
    assert "8 cores × 3.00 GHz × 8 FP32 lanes (256-bit AVX2)" in fp32["formula"]
    assert facts["peak_fp64_gflops"]["value"] == pytest.approx(fp32["value"] / 2)


def test_cpu_without_simd_flags_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(cap, "_read", lambda path: "")
    monkeypatch.setattr(cap.platform, "machine", lambda: "riscv64")
    facts = cap.cpu_facts("processor\t: 0\n")
    assert facts["peak_fp32_gflops"]["value"] is None
    assert facts["peak_fp32_gflops"]["formula"].startswith("unknown")


def test_measured_host_copy_is_positive_and_says_how():
    fig = cap.measure_copy_gbps(nbytes=8 * 2**20, repeats=2)
    assert fig["value"] > 0.1 and "NumPy copy of 8 MiB" in fig["formula"]


def test_capacity_rows_side_by_side():
    cpu = {"peak_fp32_gflops": cap.figure(100.0, "GFLOP/s", "a"), "measured_copy_gbps": cap.figure(20.0, "GB/s", "b")}
    gpu = {"peak_fp32_gflops": cap.figure(60000.0, "GFLOP/s", "c")}
    rows = cap.capacity_rows(cpu, gpu, cap.link_figures(None))
    first = rows[0]
    assert first["quantity"] == "Peak FP32" and first["ratio"] == pytest.approx(600.0)
    link_rows = [r for r in rows if r["link"] is not None]
    assert len(link_rows) == 3 and all(r["link"]["value"] is None for r in link_rows)
    assert "needs a GPU" in link_rows[1]["link"]["formula"]


def test_advise_broken_candidate_file_is_a_usage_error_even_without_a_gpu(tmp_path):
    broken = tmp_path / "broken_kernels.py"
    broken.write_text("from gpuprof_gui.lab import Problem\nproblem = Problem(name='x',\n")
    proc = gpuprof("advise", str(PAIR / "heat_cpu.py"), "--offload", "diffuse", "--kernels", str(broken), *SMALL)
    assert proc.returncode == 2, proc.stderr
    assert "broken_kernels.py line 2: syntax error" in proc.stderr and "profiling" not in proc.stderr


def test_advise_on_a_script_that_fails_says_so_and_exits_1(tmp_script):
    script = tmp_script("def diffuse():\n    return sum(range(10000))\n\ndiffuse()\nraise SystemExit(4)\n", "fails.py")
    proc = gpuprof("advise", str(script), "--offload", "diffuse", "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["run"]["status"] == "script_error" and doc["run"]["exit_code"] == 4
    assert any("did not finish normally" in note for note in doc["notes"])
    typo = gpuprof("advise", str(script), "--offload", "difuse")
    assert typo.returncode == 2
    assert "similar names: diffuse" in typo.stderr and "did not finish normally" in typo.stderr


@pytest.mark.parametrize(
    "option, value", [("--calls", "-3"), ("--bytes-per-call", "-5"), ("--bytes-per-call", "nan"), ("--size", "2.5")]
)
def test_advise_refuses_negative_or_malformed_numbers_before_running(option, value):
    proc = gpuprof("advise", str(PAIR / "heat_cpu.py"), "--offload", "diffuse", option, value, *SMALL)
    assert proc.returncode == 2 and option in proc.stderr and "profiling" not in proc.stderr
