"""The gpu/ layer on a real GPU: NVML facts, sampling rates, agreement with nvidia-smi, a recorded trace.

``nvml`` tests need only the driver; ``gpu`` tests (conftest) also need CuPy,
used here only in a child process that puts load on the GPU.  Set
GPUPROF_GPU_OUT to a folder to keep the recorded trace and the measured
figures (the device run script copies the trace to tests/data/gpu/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.gpu import nvml, specs
from gpuprof_gui.gpu.telemetry import TelemetrySampler
from gpuprof_gui.gpu.trace_io import load_trace

_AVAILABLE, _REASON = nvml.nvml_available()
# Also marked gpu so that the team's `pytest -m gpu` run on the GPU machine includes them.
needs_nvml = [pytest.mark.gpu, pytest.mark.skipif(not _AVAILABLE, reason=f"nvml test: {_REASON}")]


def _nvml(test):
    for mark in needs_nvml:
        test = mark(test)
    return test


LOAD_SCRIPT = Path(__file__).resolve().parents[1] / "data" / "gpu" / "cupy_load.py"
RECORD_S = 20.0  # the issue asks for ~20 s of telemetry under load


def _out_dir(tmp_path: Path) -> Path:
    out = os.environ.get("GPUPROF_GPU_OUT")
    return Path(out) if out else tmp_path


def _record(out: Path, name: str, value) -> None:
    path = out / "gpu_figures.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2))


@_nvml
def test_h100_facts_are_sane():
    facts = specs.device_facts()
    assert facts["reason"] is None and facts["devices"]
    for dev in facts["devices"]:
        assert dev["uuid"] and dev["driver_version"] and dev["cuda_driver_version"]
        if "H100" not in dev["name"]:
            continue
        assert dev["sm_count"]["value"] == (114 if "PCIe" in dev["name"] else 132)
        assert 78_000 <= dev["memory_total_mib"]["value"] <= 82_000
        assert 50_000 <= dev["peak_fp32_gflops"]["value"] <= 70_000
        assert dev["pcie_max"] == {"generation": 5, "width": 16}
        if "HBM3" in dev["name"]:  # SXM: 3.35 TB/s on the datasheet
            assert dev["peak_memory_gbps"]["value"] == pytest.approx(3350, rel=0.01)


@_nvml
def test_sampler_rates(tmp_path):
    sampler = TelemetrySampler(hz=10)
    sampler.start()
    time.sleep(4.0)
    sampler.stop()
    series = sampler.snapshot()["devices"][0]["series"]
    t, power = series["power_w"]
    polled_hz = (len(t) - 1) / (t[-1] - t[0])
    assert polled_hz >= 9.5 and np.isfinite(power).all() and np.isfinite(series["sm_clock_mhz"][1]).all()
    ut, _uv = series["gpu_util_pct"]
    intervals = np.diff(ut)
    figures = {
        "polled_hz": polled_hz,
        "polled_interval_median_s": float(np.median(np.diff(t))),
        "util_samples": len(ut),
        "util_source": sampler.devices()[0]["util_source"],
        "util_interval_median_s": float(np.median(intervals)) if len(intervals) else None,
    }
    _record(_out_dir(tmp_path), "sampler_rates", figures)
    assert len(ut) >= 5
    # The driver's own periods: 1/6 s to 1 s. Finer would mean we invented samples.
    assert 1 / 6 - 0.01 <= np.median(intervals) <= 1.0


def _smi_now(fields: list[str]) -> dict[str, float]:
    raw = subprocess.run(
        ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits", "-i", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    return {f: float(x) for f, x in zip(fields, raw.strip().split(","), strict=True)}


@_nvml
@pytest.mark.skipif(shutil.which("nvidia-smi") is None, reason="nvidia-smi not found")
def test_agrees_with_nvidia_smi(tmp_path):
    smi_fields = ["power.draw.instant", "memory.used", "clocks.sm", "clocks.mem", "temperature.gpu"]
    ours = ["power_w", "memory_used_mib", "sm_clock_mhz", "mem_clock_mhz", "temperature_c"]
    # Readings right before and right after nvidia-smi's bracket the moment it read.
    sampler = TelemetrySampler(hz=10)
    try:
        _smi_now(smi_fields)
    except subprocess.CalledProcessError:  # older nvidia-smi: no instant power field
        smi_fields[0] = "power.draw"
    sampler.sample_once()
    smi = _smi_now(smi_fields)
    sampler.sample_once()
    series = sampler.snapshot()["devices"][0]["series"]
    tolerance = {
        "power_w": 25.0,
        "memory_used_mib": 64.0,
        "sm_clock_mhz": 100.0,
        "mem_clock_mhz": 10.0,
        "temperature_c": 2.0,
    }
    compared = {}
    for smi_name, metric in zip(smi_fields, ours, strict=True):
        values = series[metric][1]
        gap = 0.0 if values.min() <= smi[smi_name] <= values.max() else float(np.min(np.abs(values - smi[smi_name])))
        compared[metric] = {"nvidia_smi": smi[smi_name], "nvml": values.tolist(), "gap": gap}
    _record(_out_dir(tmp_path), "nvidia_smi_agreement", compared)
    for metric, entry in compared.items():
        assert entry["gap"] <= tolerance[metric], (metric, entry)


@pytest.mark.gpu
@pytest.mark.slow
def test_record_trace_under_cupy_load(tmp_path):
    """~20 s at 10 Hz: idle, a compute phase, a transfer phase, idle; phases become run bands."""
    out = _out_dir(tmp_path)
    sampler = TelemetrySampler(hz=10)
    assert sampler.start()
    sampler.mark_begin("idle before")
    time.sleep(2.0)
    proc = subprocess.Popen(
        [sys.executable, str(LOAD_SCRIPT), "--compute-s", "8", "--transfer-s", "6"], stdout=subprocess.PIPE, text=True
    )
    for line in proc.stdout:  # the child announces each phase as it starts
        if line.startswith("phase "):
            sampler.mark_begin(line.split(" ", 1)[1].strip())
        elif line.startswith("done"):
            sampler.mark_begin("idle after")
    assert proc.wait(timeout=60) == 0
    time.sleep(max(0.0, RECORD_S - (time.monotonic() - sampler.t0)))
    sampler.mark_end()
    sampler.stop()
    path = out / "telemetry_h100.json"
    sampler.save_trace(str(path))
    trace = load_trace(path)
    labels = [b["label"] for b in trace.bands]
    assert labels == ["idle before", "compute: elementwise float32", "transfer: host<->device", "idle after"]
    series = trace.devices[0]["series"]
    bands = {b["label"]: (b["t_begin"], b["t_end"]) for b in trace.bands}

    def during(metric, label):
        t, v = series[metric]
        lo, hi = bands[label]
        return v[(t >= lo) & (t <= hi)]

    assert np.nanmax(during("gpu_util_pct", "compute: elementwise float32")) >= 50
    assert np.nanmean(during("power_w", "compute: elementwise float32")) > np.nanmean(during("power_w", "idle before"))
    transfer_rx = during("pcie_rx_mbps", "transfer: host<->device")
    _record(
        out,
        "recording",
        {
            "duration_s": trace.duration_s,
            "compute_util_max_pct": float(np.nanmax(during("gpu_util_pct", "compute: elementwise float32"))),
            "compute_power_mean_w": float(np.nanmean(during("power_w", "compute: elementwise float32"))),
            "idle_power_mean_w": float(np.nanmean(during("power_w", "idle before"))),
            "transfer_rx_max_mbps": float(np.nanmax(transfer_rx)) if np.isfinite(transfer_rx).any() else None,
        },
    )
    if np.isfinite(transfer_rx).any():
        assert np.nanmax(transfer_rx) > 1000  # pageable copies run at several GB/s
