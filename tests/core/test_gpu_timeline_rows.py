"""The GPU timeline's rows, level of detail, highlights and telemetry alignment (no Qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core.gpu_timeline import KERNEL, SYNC, Row, event_at, pixel_edges, row_lod, timeline_rows, trace_span
from gpuprof_gui.core.gpu_timeline_marks import (
    describe_event,
    idle_marks,
    launch_overhead_ns,
    on_trace_axis,
    stall_marks,
    summary_figures,
    telemetry_offset_ns,
)
from gpuprof_gui.core.gpu_trace import load_gpu_trace
from gpuprof_gui.core.gpu_trace_summary import covered, summarize

DATA = Path(__file__).resolve().parents[1] / "data" / "gpu"
HEAT = DATA / "gputrace_heat_h200.json"
KNOWN = DATA / "gputrace_known_h200.json"


def _row(start, end, cat=None) -> Row:
    start, end = np.asarray(start, np.int64), np.asarray(end, np.int64)
    cats = np.zeros(len(start), np.int8) if cat is None else np.asarray(cat, np.int8)
    return Row("r", "stream", 1, start, end, cats, np.arange(len(start)))


def _brute(row: Row, t0: int, t1: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per column: events whose visible part starts there, and the union of the events inside it."""
    edges = pixel_edges(t0, t1, width)
    counts, busy = np.zeros(width, np.int64), np.zeros(width, np.int64)
    for s, e in zip(row.start, row.end, strict=True):
        if s < t1 and (e > t0 or (s >= t0)):
            col = min(width - 1, max(0, int(np.searchsorted(edges, max(s, t0), side="right")) - 1))
            counts[col] += 1
    for c in range(width):
        a, b = edges[c], edges[c + 1]
        s, e = np.maximum(row.start, a), np.minimum(row.end, b)
        keep = e > s
        busy[c] = covered(s[keep], e[keep])
    return counts, busy


@pytest.mark.parametrize("seed", range(6))
def test_lod_conserves_counts_and_busy_time_exactly(seed):
    rng = np.random.default_rng(seed)
    n = 300
    start = np.sort(rng.integers(0, 100_000, n))
    end = start + rng.choice([0, 1, 7, 50, 400, 9000], n)
    row = _row(start, end, rng.integers(0, 3, n))
    for t0, t1, width in ((0, 110_000, 97), (12_345, 40_000, 50), (-500, 200_000, 13), (50_000, 50_300, 300)):
        lod = row_lod(row, t0, t1, width)
        counts, busy = _brute(row, t0, t1, width)
        assert lod.column_count.tolist() == counts.tolist()
        assert lod.column_busy_ns.tolist() == busy.tolist()
        # every visible event is drawn once: alone when a pixel wide, else in its column's merged rect
        assert len(lod.wide_start) + int(lod.narrow_count.sum()) == int(counts.sum())
        assert lod.rect_count <= len(lod.wide_start) + width
        assert ((lod.wide_end - lod.wide_start) >= 0).all()


def test_a_million_event_row_draws_as_at_most_its_width_plus_its_wide_events():
    n = 1_000_000
    start = np.arange(n, dtype=np.int64) * 10
    row = _row(start, start + 5)
    lod = row_lod(row, 0, n * 10, 1920)
    assert lod.rect_count <= 1920 and int(lod.column_count.sum()) == n
    assert int(lod.column_busy_ns.sum()) == 5 * n


def test_real_trace_rows_and_busy_time_match_the_summary():
    trace = load_gpu_trace(KNOWN)
    rows = timeline_rows(trace)
    assert [r.kind for r in rows] == ["thread", "stream"]
    stream = rows[1]
    assert stream.label == "GPU stream 7" and len(stream) == 10 + 3 + 1
    assert len(stream.waits) == 5  # its own syncs and the two that wait on no one stream
    assert len(rows[0]) == trace.count("api")
    lo, hi = trace_span(trace)
    lod = row_lod(stream, lo, hi, 800)
    assert int(lod.column_busy_ns.sum()) == summarize(trace)["busy_ns"]
    assert int(lod.column_count.sum()) == len(stream)
    k = trace.tables["kernels"]
    pos = event_at(stream, float(k["start"][2] + 1), 0.0)
    assert stream.cat[pos] == KERNEL and stream.index[pos] == 2


def test_gaps_and_stalls_name_the_line_that_caused_them():
    trace = load_gpu_trace(KNOWN)
    gaps, stalls = idle_marks(trace), stall_marks(trace)
    assert gaps[0].duration == summarize(trace)["gaps"][0]["duration_ns"]
    assert gaps[0].frame == ("tests/data/gpu/gputrace_known.py", 51, "run")  # the launch that ended it
    assert stalls[0].frame[1] == 57 and "pageable" in stalls[0].what and stalls[0].duration > 90_000_000
    assert any("stream sync" in s.what and s.frame[1] == 55 for s in stalls)
    assert all(s.duration >= 100_000 for s in stalls)


def test_tooltip_text_and_summary_figures():
    trace = load_gpu_trace(KNOWN)
    text = describe_event(trace, KERNEL, 0)
    assert "Kernel scale" in text and "grid 262144×1×1, block 256×1×1" in text
    assert "gputrace_known.py:42 in launch_all" in text
    assert "Sync (stream)" in describe_event(trace, SYNC, 2)
    calls, ns = launch_overhead_ns(trace)
    assert calls == 10 and 0 < ns < 1_000_000
    figures = summary_figures(trace)
    assert figures["launch_calls"] == 10 and figures["busy_ns"] + figures["idle_ns"] == figures["window_ns"]


def test_telemetry_sample_times_land_on_the_trace_axis():
    trace = load_gpu_trace(HEAT)
    trace.meta["clock"]["monotonic_ns"] = 5_000_000_000  # the trace's t=0 at monotonic 5.0 s
    offset = telemetry_offset_ns(4.5, trace)  # telemetry's t=0 half a second earlier
    assert offset == -500_000_000
    assert on_trace_axis(np.array([0.5, 0.75]), offset).tolist() == [0.0, 250_000_000.0]
    assert telemetry_offset_ns(None, trace) is None
    del trace.meta["clock"]["monotonic_ns"]
    assert telemetry_offset_ns(4.5, trace) is None
