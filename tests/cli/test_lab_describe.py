"""Candidate files without a GPU: loading, describing (in the worker), errors, the CLI's exit 3."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gpuprof_gui.jobs.lab_runner import describe_file
from gpuprof_gui.lab import LabFileError, load_lab_file
from gpuprof_gui.workers.kernel_worker_build import format_compile_log

REPO = Path(__file__).resolve().parents[2]
KERNELS = REPO / "resources" / "examples" / "kernels"
EXAMPLES = sorted(p for p in KERNELS.glob("*.py") if not p.name.startswith("_"))


def test_the_four_bundled_examples_are_there():
    assert {p.stem for p in EXAMPLES} == {"saxpy", "mandelbrot", "matmul", "reduction"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_declares_at_least_three_candidates_and_a_working_reference(path):
    import numpy as np

    lab = load_lab_file(str(path))
    assert len(lab.candidates) >= 3
    assert any(c.kind == "raw" for c in lab.candidates)
    size = lab.problem.default_sizes[0]
    inputs = lab.problem.make_inputs(size, np.random.default_rng(0))
    assert not any(isinstance(a, np.ndarray) and not a.any() for a in inputs)  # never all zeros
    ref = np.asarray(lab.problem.reference(*inputs))
    flops, nbytes = lab.problem.work(size, ref)
    assert flops > 0 and nbytes > 0


def test_describe_runs_in_the_worker_without_cupy():
    info = describe_file(str(KERNELS / "saxpy.py"))
    kinds = {c["name"]: c["kind"] for c in info["candidates"]}
    assert kinds["raw_float4_gridstride"] == "raw" and kinds["numba"] == "numba"
    assert kinds["elementwise"] == "elementwise" and kinds["cupy"] == "cupy"
    raw = next(c for c in info["candidates"] if c["name"] == "raw_float4_gridstride")
    assert "__global__ void saxpy4gs" in raw["source"] and raw["editable"]
    assert raw["line"] > 1
    assert info["problem"]["name"] == "SAXPY" and info["problem"]["default_sizes"]


def test_bad_candidate_files_say_why(tmp_path):
    cases = {
        "noproblem.py": ("x = 1\n", "no `problem"),
        "syntax.py": ("problem = (\n", "line 1"),
        "dupes.py": (
            textwrap.dedent("""
            import numpy as np
            from gpuprof_gui.lab import Problem, elementwise
            problem = Problem(name="p", make_inputs=lambda n, rng: (), reference=lambda: 0)
            a = elementwise("same", "float32 x", "float32 y", "y = x")
            b = elementwise("same", "float32 x", "float32 y", "y = x")
            """),
            "unique",
        ),
    }
    for name, (text, words) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(LabFileError, match=words):
            load_lab_file(str(path))
        with pytest.raises(LabFileError, match=words):
            describe_file(str(path))
    with pytest.raises(LabFileError, match="no such"):
        load_lab_file(str(tmp_path / "missing.py"))


def test_nvrtc_log_becomes_line_numbered_messages():
    log = (
        '/tmp/tmpab12/7f3e.cu(4): error: identifier "undeclared_name" is undefined\n'
        "      if (i < n) out[i] = a * x[i] + undeclared_name;\n"
        "                                      ^\n\n"
        '1 error detected in the compilation of "/tmp/tmpab12/7f3e.cu".\n'
    )
    text = format_compile_log(log)
    assert text.splitlines()[0] == 'line 4: error: identifier "undeclared_name" is undefined'
    assert "/tmp/" not in text
    assert text.splitlines()[-1] == "1 error detected in the compilation of the candidate's source."


def _run_kernels_cli(env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli.kernels", str(KERNELS / "saxpy.py"), "--output-dir", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kernels_cli_exits_4_with_one_line_without_cupy(tmp_path):
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy is installed here")
    except ImportError:
        pass
    proc = _run_kernels_cli({}, tmp_path)
    assert proc.returncode == 4  # ExitStatus.UNAVAILABLE
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    # What is missing first: the driver, a GPU, or CuPy (then with the pip command).
    from gpuprof_gui.gpu.install_hint import lab_unavailable_reason

    reason = lab_unavailable_reason()
    assert reason and reason in lines[0]
    assert "driver" in reason or "GPU" in reason or "pip install" in reason
    assert proc.stdout == ""


FAKE_CUPY_WITHOUT_DRIVER = '''
"""Stands in for CuPy on a machine without a driver: imports, then fails its first device call."""
class CUDARuntimeError(RuntimeError):
    pass
class _Runtime:
    @staticmethod
    def getDeviceCount():
        raise CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")
class cuda:
    runtime = _Runtime
'''


def test_the_worker_reports_a_missing_driver_and_the_cli_exits_4(tmp_path):
    # CuPy is found (so the parent's cheap check passes) but there is no
    # driver: the worker's own report must reach the user.
    fake = tmp_path / "site" / "cupy"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(FAKE_CUPY_WITHOUT_DRIVER)
    path = os.pathsep.join([str(tmp_path / "site"), str(REPO), os.environ.get("PYTHONPATH", "")])
    proc = _run_kernels_cli({"PYTHONPATH": path}, tmp_path / "out")
    assert proc.returncode == 4, proc.stderr  # ExitStatus.UNAVAILABLE
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no usable NVIDIA driver" in lines[0]
