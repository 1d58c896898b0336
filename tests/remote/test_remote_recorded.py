"""What the GPU machine recorded through SSH (tests/data/remote/*_h200.json), read as the app reads it.

tests/remote/test_remote_gpu.py made these on an H200 with GPUPROF_RECORD_DIR set: a lab run
through SSH beside the same run made directly, the host's telemetry as it arrived here, and the
copy bandwidth both ways. CI has no GPU: these checks keep the recorded figures and their readers
honest (the replay in the window is in tests/ui/lab/test_remote_replay.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.gpu.trace_io import load_trace

DATA = Path(__file__).resolve().parents[1] / "data" / "remote"


def test_the_lab_run_through_ssh_is_a_complete_correct_run_of_the_host():
    recorded = json.loads((DATA / "remote_lab_h200.json").read_text())
    run = lm.LabRun.from_dict(recorded["remote_results"])
    assert run.host == "gpuhost" and run.device.name == recorded["device"] == "NVIDIA H200"
    assert {r.candidate for r in run.records} == {"cupy", "raw_float4_gridstride"}
    assert all(r.correct and r.status == "ok" and r.size == recorded["size"] for r in run.records)
    medians = {r.candidate: r.median_ms for r in run.records}
    assert medians == recorded["remote_median_ms"]  # the results file and the comparison agree
    for name, remote in medians.items():
        assert 0.85 <= remote / recorded["local_median_ms"][name] <= 1.15, name


def test_the_hosts_telemetry_arrived_at_10_hz_and_saw_the_load():
    trace = load_trace(DATA / "remote_telemetry_h200.json")
    assert trace.meta["synthetic"] is False and trace.meta["host"] == "gpuhost"
    (gpu,) = trace.devices
    assert gpu["name"] == "NVIDIA H200"
    t = gpu["series"]["power_w"][0]
    assert abs(float(np.median(np.diff(t))) - 0.1) < 0.005  # 10 Hz
    assert float(np.nanmax(gpu["series"]["gpu_util_pct"][1])) >= 50  # the lab's kernel loaded it
    rate = json.loads((DATA / "remote_telemetry_rate_h200.json").read_text())
    assert rate["rows_per_s"] >= 9.0 and rate["messages_per_s"] >= 8.0


def test_the_copy_bandwidth_through_ssh_is_the_direct_one():
    copy = json.loads((DATA / "remote_copy_h200.json").read_text())
    assert copy["device"] == "NVIDIA H200"
    assert 0.9 <= copy["remote_gbps"] / copy["local_gbps"] <= 1.1
