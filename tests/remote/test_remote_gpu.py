"""The lab, telemetry, device facts and a GPU-traced profile on a real GPU host through SSH.

Run on the GPU machine (``pytest -m gpu tests/remote``) against the real sshd of these tests on
127.0.0.1 there: the "host" is the GPU machine itself, so each remote figure is checked against
the same measurement made locally, side by side in one run. With ``GPUPROF_RECORD_DIR`` set, what
the GPU produced is written there too (device name and date inside), to be kept as fixtures.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gpuprof_gui.gpu.specs import device_facts
from gpuprof_gui.jobs.lab_runner import LabRunSpec, measure_copy_gbps, run_lab
from gpuprof_gui.jobs.remote.remote_telemetry import RemoteTelemetry, host_facts
from gpuprof_gui.jobs.runner import RunSpec, run_profile
from gpuprof_gui.protocol import GPU_TRACE_SUFFIX

pytestmark = pytest.mark.gpu

REPO_ROOT = Path(__file__).resolve().parents[2]
SAXPY = REPO_ROOT / "resources" / "examples" / "kernels" / "saxpy.py"
FAULTS = REPO_ROOT / "tests" / "data" / "lab" / "faults.py"
CUPY_LOAD = REPO_ROOT / "tests" / "data" / "gpu" / "cupy_load.py"
SIZE = 1 << 24


def _host_python(tmp_path: Path) -> str:
    """The host's Python: this one, with this process's PYTHONPATH (where carried wheels such as CUPTI's are)."""
    wrapper = tmp_path / "python-here"
    path = os.environ.get("PYTHONPATH", "")
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{path}" exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def _record(name: str, data: dict) -> None:
    folder = os.environ.get("GPUPROF_RECORD_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, default=str)


def _medians(outcome) -> dict[str, float]:
    return {r.candidate: r.median_ms for r in outcome.run.records if r.status == "ok"}


def test_the_lab_through_ssh_measures_what_it_measures_here(sshd, tmp_path):
    python = _host_python(tmp_path)
    names = ["cupy", "raw_float4_gridstride"]
    remote = run_lab(
        LabRunSpec(
            str(SAXPY), sizes=[SIZE], candidates=names, host=sshd.alias, python=python, output_dir=str(tmp_path / "r")
        )
    )
    local = run_lab(LabRunSpec(str(SAXPY), sizes=[SIZE], candidates=names, output_dir=str(tmp_path / "l")))
    assert remote.status == "finished", remote.message
    assert all(r.correct for r in remote.run.records), [r.error for r in remote.run.records]
    assert remote.run.host == sshd.alias and remote.run.device.name == local.run.device.name
    there, here = _medians(remote), _medians(local)
    assert set(there) == set(names)
    ratios = {n: there[n] / here[n] for n in names}
    _record(
        "remote_lab.json",
        {
            "device": local.run.device.name,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": socket.gethostname(),
            "size": SIZE,
            "remote_median_ms": there,
            "local_median_ms": here,
            "ratio": ratios,
            "remote_results": remote.run.to_dict(),
        },
    )
    # The same GPU timed by CUDA events in a worker: where the worker was started from changes nothing.
    for name, ratio in ratios.items():
        assert 0.85 <= ratio <= 1.15, (name, there[name], here[name])


def test_a_kernel_that_kills_the_context_on_the_host_is_survived(sshd, tmp_path):
    outcome = run_lab(
        LabRunSpec(
            str(FAULTS),
            candidates=["good", "illegal_address", "good_after_crash"],
            host=sshd.alias,
            python=_host_python(tmp_path),
            output_dir=str(tmp_path),
        )
    )
    assert outcome.status == "finished", outcome.message
    recs = {r.candidate: r for r in outcome.run.records}
    assert recs["good"].correct and recs["good_after_crash"].correct
    assert recs["illegal_address"].status in ("failed", "crashed")
    assert "illegal" in recs["illegal_address"].error.lower()


def test_device_facts_and_copy_bandwidth_of_the_host_match_the_local_ones(sshd, tmp_path):
    python = _host_python(tmp_path)
    there = host_facts(sshd.alias, python)
    here = device_facts()
    assert there["reason"] is None, there
    keys = ("name", "uuid")
    assert [{k: d[k] for k in keys} for d in there["devices"]] == [{k: d[k] for k in keys} for d in here["devices"]]
    remote_gbps = measure_copy_gbps(0, host=sshd.alias, python=python)
    local_gbps = measure_copy_gbps(0)
    assert remote_gbps and local_gbps
    _record(
        "remote_copy.json", {"device": here["devices"][0]["name"], "remote_gbps": remote_gbps, "local_gbps": local_gbps}
    )
    assert 0.9 <= remote_gbps / local_gbps <= 1.1, (remote_gbps, local_gbps)


def test_telemetry_through_ssh_keeps_10_hz_and_sees_the_load(sshd, tmp_path):
    python = _host_python(tmp_path)
    source = RemoteTelemetry(sshd.alias, hz=10, python=python)
    source.start()
    try:
        assert source.wait_live(120), source.reason
        time.sleep(2.0)
        before = source.snapshot()
        t_start, received_start = time.monotonic(), source.received
        outcome = run_lab(
            LabRunSpec(
                str(SAXPY),
                sizes=[1 << 26],
                candidates=["cupy"],
                host=sshd.alias,
                python=python,
                output_dir=str(tmp_path),
            )
        )
        time.sleep(1.5)  # the driver's utilisation samples come up to a second late
        elapsed = time.monotonic() - t_start
        messages_per_s = (source.received - received_start) / elapsed
        after = source.snapshot(before["cursor"])
        trace = source.trace_dict()
    finally:
        source.stop()
    assert outcome.status == "finished", outcome.message
    gpu0 = after["devices"][0]["series"]
    t = gpu0["power_w"][0]
    rows_per_s = (len(t) - 1) / (t[-1] - t[0])
    busy = gpu0["gpu_util_pct"][1]
    from gpuprof_gui.gpu.trace_io import save_trace

    save_trace(trace, tmp_path / "remote_telemetry.json")
    _record(
        "remote_telemetry_rate.json",
        {
            "device": after["devices"][0]["name"],
            "rows_per_s": rows_per_s,
            "messages_per_s": messages_per_s,
            "max_gpu_util_pct": float(max(busy)) if len(busy) else None,
            "intervals_ms_median": statistics.median((t[1:] - t[:-1]) * 1e3) if len(t) > 2 else None,
        },
    )
    if os.environ.get("GPUPROF_RECORD_DIR"):
        save_trace(trace, Path(os.environ["GPUPROF_RECORD_DIR"]) / "remote_telemetry_trace.json")
    assert rows_per_s >= 9.0, rows_per_s  # 10 Hz sampled there arrives here at 10 Hz
    assert messages_per_s >= 8.0, messages_per_s
    assert len(busy) and max(busy) >= 50, list(busy)  # the lab's kernel loaded the GPU it reports


def test_a_gpu_traced_profile_on_the_host_brings_its_trace_back(sshd, tmp_path):
    outcome = run_profile(
        RunSpec(
            str(CUPY_LOAD),
            args=["--compute-s", "2", "--transfer-s", "1"],
            host=sshd.alias,
            python=_host_python(tmp_path),
            gpu_trace=True,
            output_dir=str(tmp_path / "run"),
            timeout_s=300,
        )
    )
    assert outcome.status == "finished", outcome.message
    traces = list((tmp_path / "run").glob(f"*{GPU_TRACE_SUFFIX}"))
    assert traces, sorted(os.listdir(tmp_path / "run"))
    from gpuprof_gui.core.gpu_trace import load_gpu_trace

    trace = load_gpu_trace(str(traces[0]))
    assert trace.count("kernels") > 0, "the trace came back without a kernel"
