"""GPU traces recorded on a real GPU (tests/data/gpu/gputrace_*_h200.json) replay without one: the format,
its checks against malformed and hostile files, and the summaries (busy %, idle gaps, per line and function)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core.gpu_trace import (
    COPY_KINDS,
    GPU_TRACE_VERSION,
    GpuTraceBuilder,
    GpuTraceFormatError,
    gpu_trace_to_json,
    load_gpu_trace,
    save_gpu_trace,
)
from gpuprof_gui.core.gpu_trace_summary import merged, per_function, per_line, summarize

DATA = Path(__file__).resolve().parents[1] / "data" / "gpu"
HEAT = DATA / "gputrace_heat_h200.json"
KNOWN = DATA / "gputrace_known_h200.json"
KNOWN_SCRIPT = DATA / "gputrace_known.py"
MiB = 1 << 20


def _line(marker: str) -> int:
    lines = KNOWN_SCRIPT.read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith(f"# {marker}"))


def _kernel_names(trace) -> list[str]:
    return [trace.name(int(i)) for i in trace.tables["kernels"]["name"]]


def _copies(trace) -> list[tuple[str, int]]:
    c = trace.tables["copies"]
    return [(COPY_KINDS[int(k)], int(b)) for k, b in zip(c["kind"], c["bytes"], strict=True)]


def test_recorded_traces_say_where_and_when():
    for path in (HEAT, KNOWN):
        assert path.stat().st_size < 2 * MiB
        meta = load_gpu_trace(path).meta
        assert meta["device"]["name"] == "NVIDIA H200" and meta["device"]["compute_capability"] == "9.0"
        assert meta["recorded_at"].startswith("2026-") and meta["synthetic"] is False
        assert meta["driver_version"] and meta["cuda_version"] == "13.0" and meta["cupti_version"]
        clock = meta["clock"]
        assert clock["cupti_end_ns"] - clock["cupti_ns"] == meta["duration_ns"] > 0
        assert clock["perf_end_ns"] > clock["perf_ns"]


def test_heat_example_trace_holds_its_sweeps_and_copies():
    """heat_gpu.py --steps 3 --grid 1024: 3 steps × 20 Jacobi sweeps, a 4 MiB field in and out per step."""
    trace = load_gpu_trace(HEAT)
    assert _kernel_names(trace) == ["jacobi"] * 60
    assert sorted(_copies(trace)) == [("D2H", 4 * MiB)] * 3 + [("H2D", 4 * MiB)] * 3
    k = trace.tables["kernels"]
    assert set(k["grid_x"].tolist()) == {32} and set(k["grid_y"].tolist()) == {128}
    assert set(k["block_x"].tolist()) == {32} and set(k["block_y"].tolist()) == {8}
    assert (np.diff(k["start"]) >= 0).all() and (k["end"] > k["start"]).all()


def test_heat_summary_adds_up():
    trace = load_gpu_trace(HEAT)
    s = summarize(trace)
    assert s["launches"] == 60 and s["copies"] == 6 and s["copy_bytes"] == 24 * MiB
    assert s["copies_by_kind"] == {"H2D": {"count": 3, "bytes": 12 * MiB}, "D2H": {"count": 3, "bytes": 12 * MiB}}
    assert s["busy_ns"] == s["kernel_ns"] + s["copy_ns"] - s["overlap_ns"]
    assert s["idle_ns"] == s["window_ns"] - s["busy_ns"] > 0
    assert 0 < s["busy_pct"] < 5  # a 1024² plate: the GPU waits on the CPU's statistics nearly all the time
    assert s["kernel_sum_ns"] >= s["kernel_ns"] > 0
    gaps = [g["duration_ns"] for g in s["gaps"]]
    assert gaps == sorted(gaps, reverse=True) and sum(gaps) <= s["idle_ns"]
    # The longest stalls end where a step copies its field in: heat_gpu.py's diffuse, line 26
    after = trace.stack_frames(s["gaps"][0]["after"])
    assert (Path(after[0][0]).name, after[0][1], after[0][2]) == ("heat_gpu.py", 26, "diffuse")


def test_heat_totals_per_line_and_function():
    trace = load_gpu_trace(HEAT)
    lines = {(Path(f).name, n): t for (f, n, _fn), t in per_line(trace).items()}
    assert lines["heat_stencil.py", 33].launches == 60 and lines["heat_stencil.py", 33].kernels == {"jacobi": 60}
    assert lines["heat_gpu.py", 26].copies == 3 and lines["heat_gpu.py", 26].copy_bytes == 12 * MiB
    assert lines["heat_gpu.py", 27].copies == 3 and lines["heat_gpu.py", 27].copy_bytes == 12 * MiB
    kernel_total = int((trace.tables["kernels"]["end"] - trace.tables["kernels"]["start"]).sum())
    assert sum(t.kernel_ns for t in lines.values()) == kernel_total
    own = {fn: t for (_f, fn), t in per_function(trace).items()}
    assert own["sweeps_on_device"].launches == 60 and own["diffuse"].launches == 0
    inclusive = {fn: t for (_f, fn), t in per_function(trace, inclusive=True).items()}
    assert inclusive["diffuse"].launches == 60 and inclusive["simulate"].copy_bytes == 24 * MiB


def test_known_program_trace_matches_what_it_does():
    """gputrace_known.py: 10 launches of scale, one 256 MiB copy in, a 256 MiB memset, two copies out."""
    trace = load_gpu_trace(KNOWN)
    assert _kernel_names(trace) == ["scale"] * 10
    assert sorted(_copies(trace)) == [("D2H", 256 * MiB)] * 2 + [("H2D", 256 * MiB)]
    assert trace.tables["memsets"]["bytes"].tolist() == [256 * MiB]
    lines = {(Path(f).name, n, fn): t for (f, n, fn), t in per_line(trace).items()}
    assert lines["gputrace_known.py", _line("launch line"), "launch_all"].launches == 10
    assert lines["gputrace_known.py", _line("H2D copy line"), "run"].copy_bytes == 256 * MiB
    assert lines["gputrace_known.py", _line("D2H copy line"), "run"].copy_bytes == 256 * MiB
    assert lines["gputrace_known.py", _line("sync line"), "run"].sync_ns > 0
    assert lines["gputrace_known.py", _line("memset line"), "run"].memset_ns > 0


def test_save_and_load_give_the_same_trace(tmp_path):
    trace = load_gpu_trace(HEAT)
    save_gpu_trace(trace, tmp_path / "again.json")
    again = load_gpu_trace(tmp_path / "again.json")
    assert gpu_trace_to_json(again) == gpu_trace_to_json(trace)


def test_builder_orders_rows_and_interns_names_and_stacks():
    b = GpuTraceBuilder()
    here = (("a.py", 3, "f"), ("a.py", 9, "main"))
    b.add("kernels", name=b.name("k"), start=50, end=60, stack=b.stack(here))
    b.add("kernels", name=b.name("k"), start=10, end=20, stack=b.stack(here))
    b.add("api", name=b.name("cuLaunchKernel"), start=5, end=8)
    trace = b.build({})
    assert trace.tables["kernels"]["start"].tolist() == [10, 50]
    assert trace.names == ["k", "cuLaunchKernel"] and trace.stacks == [(0, 1)]
    assert trace.tables["api"]["stack"].tolist() == [-1] and trace.stack_frames(-1) == []


def test_union_of_intervals():
    s, e = merged(np.array([0, 5, 2, 20]), np.array([3, 8, 4, 25]))
    assert s.tolist() == [0, 5, 20] and e.tolist() == [4, 8, 25]


def test_an_empty_trace_summarises_to_zero():
    s = summarize(GpuTraceBuilder().build({}))
    assert s["window_ns"] == s["busy_ns"] == s["launches"] == 0 and s["busy_pct"] == 0.0 and s["gaps"] == []


def _raw() -> dict:
    return json.loads(HEAT.read_text())


def _set(path: str, value):
    def change(raw):
        *parents, last = path.split(".")
        node = raw
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        return raw

    return change


BAD = [
    ("a list", lambda raw: [raw], "not a gpuprof GPU trace"),
    ("another format", _set("format", "gpuprof-telemetry-trace"), "not a gpuprof GPU trace"),
    ("a later version", _set("version", GPU_TRACE_VERSION + 1), "reads version 1. Update gpuprof"),
    ("version as text", _set("version", "1"), "format version '1'"),
    ("NaN time", _set("kernels.start.0", float("nan")), "kernels start holds nan, not a whole number"),
    ("float time", _set("kernels.end.3", 1.5), "kernels end holds 1.5"),
    ("negative time", _set("copies.start.0", -5), "copies start 0 is -5, not a whole number from 0"),
    ("time past range", _set("api.end.0", 2 * 10**18), "api end 0 is 2000000000000000000"),
    ("huge integer", _set("kernels.start.1", 10**40), "too large"),
    ("boolean", _set("kernels.stream.0", True), "holds True"),
    ("text number", _set("copies.bytes.0", "4194304"), "holds '4194304'"),
    ("ends before it starts", _set("kernels.end.0", 0), "kernels 0 ends before it starts"),
    ("short column", lambda raw: raw["kernels"]["corr"].pop() and raw, "kernels columns differ in length"),
    ("missing column", lambda raw: raw["copies"].pop("bytes") and raw, "copies bytes is not a list"),
    ("table not a record", _set("syncs", [1, 2]), "syncs table is not a record"),
    ("name out of range", _set("kernels.name.0", 10**6), "kernels name 0 is 1000000"),
    ("stack out of range", _set("kernels.stack.0", 999), "kernels stack 0 is 999"),
    ("unknown copy kind", _set("copies.kind.0", 9), "copies kind 0 is 9, not a whole number from 0 to 5"),
    ("frame line negative", _set("frames.0.1", -3), "frame 0 line is -3"),
    ("frame not a triple", _set("frames.0", "heat.py:3"), "frame 0 is not [file, line, function]"),
    ("stack frame missing", _set("stacks.0.0", 99), "stack 0 frame is 99"),
    ("stack too deep", _set("stacks.0", [0] * 65), "stack 0 has 65 frames"),
    ("empty stack", _set("stacks.0", []), "stack 0 has 0 frames"),
    ("name not text", _set("names.0", 5), "name 0 is 5, not text"),
    ("synthetic as text", _set("synthetic", "no"), "synthetic flag is not true or false"),
    ("clock as text", _set("clock.cupti_ns", "soon"), "its clock cupti_ns is 'soon'"),
    ("device not a record", _set("device", "H200"), "its device is not a record"),
    ("duration infinite", _set("duration_ns", float("inf")), "its duration_ns is inf"),
]


@pytest.mark.parametrize(("case", "change", "words"), BAD, ids=[b[0] for b in BAD])
def test_malformed_traces_are_refused_with_a_plain_sentence(tmp_path, case, change, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(change(copy.deepcopy(_raw()))))
    with pytest.raises(GpuTraceFormatError) as err:
        load_gpu_trace(path)
    message = str(err.value)
    assert message.startswith(str(path)) and words in message, message
    assert "Traceback" not in message and len(message) < 400


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b"\x00\x01binary", "not"),
        (b'{"format": "gpuprof-gpu-trace", "version": 1,', "not valid JSON"),
        ("é".encode("latin-1"), "not UTF-8"),
    ],
    ids=["deep", "binary", "truncated", "not utf-8"],
)
def test_hostile_files_are_refused(tmp_path, content, words):
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    with pytest.raises(GpuTraceFormatError) as err:
        load_gpu_trace(path)
    assert words in str(err.value) and str(path) in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(GpuTraceFormatError, match="Cannot read the GPU trace"):
        load_gpu_trace(tmp_path / "absent.json")


def test_unknown_fields_are_dropped_and_long_names_cut(tmp_path):
    raw = _raw()
    raw["surprise"] = {"x": float("nan")}
    raw["names"][0] = "k" * 10_000
    raw["host"] = "h" * 1000
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(raw))
    trace = load_gpu_trace(path)
    assert "surprise" not in trace.meta
    assert len(trace.names[0]) == 4096 and trace.names[0].endswith("…") and len(trace.meta["host"]) == 200
