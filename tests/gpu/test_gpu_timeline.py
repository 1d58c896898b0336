"""The GPU timeline on a real GPU: CUPTI's kernels, copies and syncs against a program whose work is known
(tests/data/gpu/gputrace_known.py, its launches bracketed by CUDA events), each tied to its Python line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cupti_support import gpu_or_skip

pytestmark = pytest.mark.gpu

DATA = Path(__file__).resolve().parents[1] / "data" / "gpu"
KNOWN = DATA / "gputrace_known.py"


def _line(marker: str) -> int:
    for number, text in enumerate(KNOWN.read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(marker)


@pytest.fixture(scope="module")
def traced():
    gpu_or_skip()
    sys.path.insert(0, str(DATA))
    try:
        import gputrace_known as known
    finally:
        sys.path.remove(str(DATA))
    from gpuprof_gui.gpu.cupti_trace import GpuTracer

    known.run()  # compile and warm up outside the trace
    with GpuTracer(script=str(KNOWN)) as tracer:
        event_ms = known.run()
    assert tracer.trace is not None
    return known, tracer.trace, event_ms


def test_kernel_count_matches_the_cuda_events(traced):
    known, trace, event_ms = traced
    k = trace.tables["kernels"]
    scale = [i for i in range(trace.count("kernels")) if trace.name(int(k["name"][i])) == "scale"]
    assert len(scale) == len(event_ms) == known.KERNELS
    grid = (known.N + known.BLOCK - 1) // known.BLOCK
    assert all(int(k["grid_x"][i]) == grid and int(k["block_x"][i]) == known.BLOCK for i in scale)
    assert all(int(k["end"][i]) > int(k["start"][i]) for i in scale)


def test_copies_and_memset_are_exact(traced):
    known, trace, _ = traced
    from gpuprof_gui.core.gpu_trace import COPY_KINDS

    c = trace.tables["copies"]
    kinds = [(COPY_KINDS[int(c["kind"][i])], int(c["bytes"][i])) for i in range(trace.count("copies"))]
    assert kinds.count(("H2D", known.COPY_BYTES)) == 1
    assert kinds.count(("D2H", known.COPY_BYTES)) == 2
    m = trace.tables["memsets"]
    assert [int(b) for b in m["bytes"]] == [known.COPY_BYTES]


def test_each_kernel_and_copy_is_tied_to_its_python_line(traced):
    _known, trace, _ = traced
    k, c = trace.tables["kernels"], trace.tables["copies"]
    where = {("kernels", i): trace.stack_frames(int(k["stack"][i])) for i in range(trace.count("kernels"))}
    for i in range(trace.count("kernels")):
        frames = where["kernels", i]
        assert frames and Path(frames[0][0]).name == KNOWN.name
        assert frames[0][1] == _line("launch line") and frames[0][2] == "launch_all"
        assert [f[2] for f in frames[:2]] == ["launch_all", "run"]
    h2d = [trace.stack_frames(int(c["stack"][i]))[0][1] for i in range(trace.count("copies")) if int(c["kind"][i]) == 0]
    assert h2d == [_line("H2D copy line")]
    d2h = sorted(
        trace.stack_frames(int(c["stack"][i]))[0][1] for i in range(trace.count("copies")) if int(c["kind"][i]) == 1
    )
    assert d2h == [_line("D2H copy line"), _line("second D2H copy line")]


def test_summaries_charge_the_launch_line(traced):
    known, trace, _ = traced
    from gpuprof_gui.core.gpu_trace_summary import per_line, summarize

    totals = {(Path(f).name, line): t for (f, line, _fn), t in per_line(trace).items()}
    launch = totals[KNOWN.name, _line("launch line")]
    assert launch.launches == known.KERNELS and launch.kernel_ns > 0
    assert totals[KNOWN.name, _line("H2D copy line")].copy_bytes == known.COPY_BYTES
    s = summarize(trace)
    assert 0 < s["busy_pct"] <= 100 and s["launches"] == trace.count("kernels")


def test_the_command_traces_a_script(tmp_path):
    gpu_or_skip()
    out = tmp_path / "trace.json"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.gpu.cupti_trace", str(KNOWN), "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    from gpuprof_gui.core.gpu_trace import load_gpu_trace

    trace = load_gpu_trace(out)
    names = [trace.name(int(i)) for i in trace.tables["kernels"]["name"]]
    assert names.count("scale") == 10
    assert trace.meta["device"]["name"] and trace.meta["recorded_at"]
