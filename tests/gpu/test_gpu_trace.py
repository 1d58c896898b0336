"""Ring buffers, snapshot cursors and telemetry traces (save, load, version check, replay); no GPU needed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.gpu.ring import RingBuffer
from gpuprof_gui.gpu.telemetry import HISTORY_S, MAX_HZ, POLLED_CAPACITY
from gpuprof_gui.gpu.trace_io import TRACE_VERSION, Trace, TraceFormatError, TraceReplay, load_trace, save_trace

RECORDED = Path(__file__).resolve().parents[1] / "data" / "gpu" / "telemetry_h100.json"


def test_capacity_holds_ten_minutes_at_max_rate():
    assert POLLED_CAPACITY == HISTORY_S * MAX_HZ >= 600 * 10


def test_ring_wraps_and_keeps_order():
    ring = RingBuffer(5, 2)
    for i in range(12):
        ring.append(float(i), (i, -i))
    t, v = ring.ordered()
    assert t.tolist() == [7, 8, 9, 10, 11] and v[:, 1].tolist() == [-7, -8, -9, -10, -11]
    assert len(ring) == 5 and ring.last_time() == 11
    # `since` across the wrap point (the oldest rows sit at the end of the array)
    assert ring.ordered(since=8.0)[0].tolist() == [9, 10, 11]
    assert ring.ordered(since=6.0)[0].tolist() == [7, 8, 9, 10, 11]
    assert ring.ordered(since=10.5)[0].tolist() == [11]
    assert ring.ordered(since=11.0)[0].tolist() == []
    t, _ = ring.ordered()
    t[0] = 99.0  # a copy: the reader cannot corrupt the buffer
    assert ring.ordered()[0][0] == 7


def test_ring_before_wrap_and_since():
    ring = RingBuffer(10, 1)
    for i in range(4):
        ring.append(i * 0.1, (i,))
    assert ring.ordered(since=0.15)[1][:, 0].tolist() == [2, 3]


def _trace_data() -> dict:
    t = np.array([0.1, 0.2, 0.3, 0.4])
    return {
        "synthetic": True,
        "note": "synthetic: made up for the round-trip test",
        "recorded_at": "2026-01-01T00:00:00+00:00",
        "host": "test",
        "driver_version": "0",
        "sample_hz": 10.0,
        "t0_wall": 1.0e9,
        "devices": [
            {
                "index": 0,
                "name": "Synthetic GPU",
                "uuid": "GPU-x",
                "util_source": "test",
                "series": {
                    "power_w": (t, np.array([100.0, math.nan, 300.0, 400.0])),
                    "gpu_util_pct": (np.array([0.25]), np.array([50.0])),
                },
            }
        ],
        "bands": [
            {"label": "a", "t_begin": 0.05, "t_end": 0.25, "wall_begin": 0, "wall_end": 0},
            {"label": "b", "t_begin": 0.3, "t_end": 0.45, "wall_begin": 0, "wall_end": 0},
        ],
    }


def test_trace_round_trip(tmp_path):
    path = tmp_path / "t.json"
    save_trace(_trace_data(), path)
    raw = json.loads(path.read_text())
    assert raw["format"] == "gpuprof-telemetry-trace" and raw["version"] == TRACE_VERSION
    assert raw["devices"][0]["series"]["power_w"]["v"][1] is None  # NaN is null in JSON
    trace = load_trace(path)
    t, v = trace.devices[0]["series"]["power_w"]
    assert t.tolist() == [0.1, 0.2, 0.3, 0.4] and np.isnan(v[1]) and v[3] == 400
    assert trace.meta["synthetic"] is True and trace.duration_s == pytest.approx(0.45)
    part = trace.snapshot(since=0.1, until_s=0.3)
    assert part["devices"][0]["series"]["power_w"][0].tolist() == [0.2, 0.3]
    assert [b["label"] for b in part["bands"]] == ["a", "b"] and part["bands"][1]["t_end"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": TRACE_VERSION + 1}, "Update gpuprof"),
        ({"format": "something-else"}, "not a gpuprof telemetry trace"),
        ({"devices": [{"series": {"power_w": {"t": [1, 2], "v": [1]}}}]}, "damaged"),
    ],
)
def test_trace_version_and_format_checks(tmp_path, change, message):
    path = tmp_path / "t.json"
    save_trace(_trace_data(), path)
    raw = json.loads(path.read_text()) | change
    path.write_text(json.dumps(raw))
    with pytest.raises(TraceFormatError, match=message):
        load_trace(path)


def test_not_json_is_a_format_error(tmp_path):
    path = tmp_path / "t.json"
    path.write_bytes(b"\x00\xffnot json")
    with pytest.raises(TraceFormatError):
        load_trace(path)


def test_replay_advances_with_the_clock(tmp_path):
    save_trace(_trace_data(), tmp_path / "t.json")
    now = [100.0]
    replay = TraceReplay(load_trace(tmp_path / "t.json"), speed=2.0, clock=lambda: now[0])
    now[0] += 0.125  # 0.25 s of trace at double speed
    first = replay.snapshot()
    assert first["devices"][0]["series"]["power_w"][0].tolist() == [0.1, 0.2]
    now[0] += 1.0
    rest = replay.snapshot(first["cursor"])
    assert rest["devices"][0]["series"]["power_w"][0].tolist() == [0.3, 0.4]
    assert rest["devices"][0]["series"]["gpu_util_pct"][0].tolist() == []  # seen in the first read
    assert replay.finished


@pytest.mark.skipif(not RECORDED.exists(), reason="no recorded trace checked in yet")
def test_recorded_h100_trace_loads():
    trace = load_trace(RECORDED)
    assert trace.meta["synthetic"] is False and trace.meta["recorded_at"]
    dev = trace.devices[0]
    assert "H100" in dev["name"]
    assert trace.duration_s >= 15
    t, _v = dev["series"]["power_w"]
    assert np.all(np.diff(t) > 0) and len(t) >= 10 * 15
    assert next(b["label"] for b in trace.bands) == "idle before"
    assert isinstance(trace, Trace)


def test_recorded_h100_device_facts_format():
    """The device facts recorded on a real H100 keep the JSON shape and print as the text table."""
    from gpuprof_gui.cli.devices import format_device

    facts = json.loads((RECORDED.parent / "devices_h100.json").read_text())
    assert facts["reason"] is None
    dev = facts["devices"][0]
    assert dev["sm_count"]["value"] == 132 and dev["measured_copy_gbps"] is None
    text = format_device(dev)
    assert "66.9 TFLOP/s" in text and "3,352.3 GB/s" in text and "63.0 GB/s" in text
