"""Traced runs made by the app itself on a real GPU (`gpuprof profile --gpu-trace`): the bundled GPU
example's kernels and copies counted exactly and tied to its lines, the profile of the same run free
of the tracer, telemetry beside it, NVTX ranges on the CPU thread, and a third-party program."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from cupti_support import gpu_or_skip

from gpuprof_gui.core.gpu_trace import gpu_trace_beside
from gpuprof_gui.core.gpu_trace_summary import per_line
from gpuprof_gui.gpu.trace_io import load_trace
from gpuprof_gui.protocol import GPU_TELEMETRY_SUFFIX

pytestmark = [pytest.mark.gpu, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
HEAT = REPO / "resources" / "examples" / "offload" / "heat_gpu.py"
DATA = REPO / "tests" / "data" / "gpu"


def traced_run(tmp_path: Path, script: Path, *args: str) -> tuple[dict, Path]:
    out = tmp_path / "run.prof"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    res = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "profile", "--gpu-trace", str(script), "--output", str(out),
         "--json", "--", *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=280,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout), out


def test_the_bundled_gpu_example_traced_through_the_app(tmp_path):
    gpu_or_skip()
    steps, grid = 3, 1024
    doc, prof = traced_run(tmp_path, HEAT, "--steps", str(steps), "--grid", str(grid))
    trace, why = gpu_trace_beside(prof)
    assert trace is not None, why
    kernels = Counter(trace.name(int(i)) for i in trace.tables["kernels"]["name"])
    assert kernels["jacobi"] == steps * 20, kernels  # heat_cpu.SWEEPS sweeps per step
    copies = trace.tables["copies"]
    assert sorted(copies["bytes"].tolist()) == [grid * grid * 4] * (2 * steps)
    lines = per_line(trace)
    launched = {(Path(f).name, line): t.launches for (f, line, _fn), t in lines.items() if t.launches}
    assert launched.get(("heat_stencil.py", 33)) == steps * 20, launched
    notes = " ".join(doc["notes"])
    assert "GPU trace: 60 kernel launches" in notes and "tracing took" in notes
    assert "removed or replaced the profiler" not in notes, notes  # Python 3.12's cProfile is sys.monitoring's
    names = {h["name"] for h in doc["hotspots"]}
    assert "diffuse" in names and "_on_api" not in names
    assert not any("cupti_trace" in (h["file"] or "") for h in doc["hotspots"])
    assert doc["gpu"]["launches"] == trace.count("kernels") and doc["gpu_trace_path"]
    telemetry = load_trace(str(prof) + GPU_TELEMETRY_SUFFIX)
    assert telemetry.meta["t0_monotonic"] is not None and telemetry.devices
    assert trace.meta["device"]["name"] and trace.meta["synthetic"] is False


def test_nvtx_ranges_the_program_marks_are_on_the_trace(tmp_path):
    gpu_or_skip()
    pytest.importorskip("nvtx", reason="needs the nvtx package")
    _doc, prof = traced_run(tmp_path, DATA / "nvtx_ranges.py")
    trace, why = gpu_trace_beside(prof)
    assert trace is not None, why
    ranges = Counter(trace.name(int(i)) for i in trace.tables["markers"]["name"])
    assert ranges["step"] == 3 and ranges["prepare"] == 1, ranges
    m = trace.tables["markers"]
    assert ((m["end"] - m["start"]) > 0).all()


def test_a_third_party_gpu_library_program_is_tied_to_the_users_lines(tmp_path):
    gpu_or_skip()
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch has no CUDA here")
    _doc, prof = traced_run(tmp_path, DATA / "torch_mlp.py", "--steps", "10")
    trace, why = gpu_trace_beside(prof)
    assert trace is not None, why
    lines = per_line(trace)
    mine = {line: t for (f, line, _fn), t in lines.items() if Path(f).name == "torch_mlp.py"}
    assert sum(t.launches for t in mine.values()) == trace.count("kernels"), "a kernel with no line"
    src = (DATA / "torch_mlp.py").read_text().splitlines()

    def line_of(text: str) -> int:
        return next(i for i, t in enumerate(src, 1) if text in t)

    assert mine[line_of("loss.item()")].copies >= 10  # .item() copies the loss back every step
    # PyTorch launches the backward pass from its own thread: charged to the line that waits for it.
    assert mine[line_of("loss.backward()")].launches > mine[line_of("model(x)")].launches
