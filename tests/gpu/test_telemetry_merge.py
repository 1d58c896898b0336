"""Several telemetry sources as one snapshot: positions, labels, one time axis (no GPU, no SSH)."""

from __future__ import annotations

import time

import numpy as np

from gpuprof_gui.gpu.telemetry_merge import LOCAL_LABEL, MergedTelemetry
from gpuprof_gui.gpu.telemetry_rings import TelemetryRings
from gpuprof_gui.gpu.trace_io import load_trace, save_trace

NOW = time.time()


def _rings(t0_wall: float, gpus: int, power: float) -> TelemetryRings:
    rings = TelemetryRings(10)
    rings.t0_wall = t0_wall
    for index in range(gpus):
        rings.add_device({"index": index, "name": f"GPU model {index}", "uuid": f"u{index}", "util_source": "polled"})
        for k in range(5):  # 0.0 .. 0.4 s after the source's start
            rings.append_polled(index, rings.t0 + k / 10, [0.0, power + index] + [0.0] * 5)
    return rings


def test_every_gpu_of_every_source_gets_a_position_and_a_label():
    here, there = _rings(NOW, 2, 100.0), _rings(NOW + 2.5, 1, 300.0)
    merged = MergedTelemetry([(None, here), ("alice@lab1", there)])
    snap = merged.snapshot()
    assert [d["index"] for d in snap["devices"]] == [0, 1, 2]
    assert [d["host_index"] for d in snap["devices"]] == [0, 1, 0]
    assert [d["label"] for d in snap["devices"]] == [
        f"{LOCAL_LABEL} · GPU 0",
        f"{LOCAL_LABEL} · GPU 1",
        "alice@lab1 · GPU 0",
    ]
    # On one axis: the second host started 2.5 s after the first, so its samples are 2.5 s later.
    t_here = snap["devices"][0]["series"]["power_w"][0]
    t_there = snap["devices"][2]["series"]["power_w"][0]
    assert np.allclose(t_there - t_here, 2.5)
    assert snap["devices"][2]["series"]["power_w"][1][0] == 300.0


def test_the_cursor_returns_only_what_is_new_per_source():
    here, there = _rings(NOW, 1, 100.0), _rings(NOW, 1, 300.0)
    merged = MergedTelemetry([("a", here), ("b", there)])
    first = merged.snapshot()
    there.append_polled(0, there.t0 + 0.5, [0.0, 301.0] + [0.0] * 5)
    again = merged.snapshot(first["cursor"])
    assert [len(d["series"]["power_w"][0]) for d in again["devices"]] == [0, 1]
    assert again["devices"][1]["series"]["power_w"][1][0] == 301.0


def test_a_single_local_source_is_not_labelled():
    snap = MergedTelemetry([(None, _rings(NOW, 1, 100.0))]).snapshot()
    assert "label" not in snap["devices"][0] and "host" not in snap["devices"][0]


def test_a_merged_trace_starts_at_zero_and_replays_with_its_labels(tmp_path):
    behind = _rings(NOW - 1.0, 1, 100.0)  # a host whose clock is a second behind
    merged = MergedTelemetry([("a", _rings(NOW, 1, 50.0))])
    merged.sources.append(("b", behind))
    path = tmp_path / "t.json"
    save_trace(merged.trace_dict(), path)
    trace = load_trace(path)
    assert [d["label"] for d in trace.devices] == ["a · GPU 0", "b · GPU 0"]
    assert min(float(d["series"]["power_w"][0][0]) for d in trace.devices) == 0.0
