"""The gpu/ layer against a FAKE pynvml (monkeypatched into sys.modules): every failure mode, no GPU needed.

The fake follows nvidia-ml-py's calling conventions (NVMLError carrying ``value``,
nvmlDeviceGetSamples returning ``(value_type, [c_nvmlSample_t])`` and raising
NOT_FOUND when nothing is newer); its H100 numbers are datasheet values, not readings.
"""

from __future__ import annotations

import io
import json
import logging
import math
import sys
import time

import pytest
from fake_pynvml_support import (  # noqa: F401 - the names the tests below use
    LIBRARY_NOT_FOUND,
    NOT_FOUND,
    NOT_SUPPORTED,
    FakeGpu,
    FakeNVMLError,
    make_fake_pynvml,
)

from gpuprof_gui.cli import devices as cli_gpu_devices
from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.gpu import gpu_channel, install_hint, nvml, specs
from gpuprof_gui.gpu.telemetry import TelemetrySampler
from gpuprof_gui.gpu.trace_io import load_trace


@pytest.fixture
def fake_nvml(monkeypatch):
    """Factory: install a fake pynvml with the given GPUs; NVML state is reset around each test."""

    # Read the driver's utilisation samples on every tick, so a test's ticks are independent.
    monkeypatch.setattr(gpu_channel, "UTIL_READ_PERIOD_S", 0.0)

    def install(gpus=None, init_error=None, cuda=13000):
        module = make_fake_pynvml([FakeGpu()] if gpus is None else gpus, init_error, cuda)
        monkeypatch.setitem(sys.modules, "pynvml", module)
        nvml.reset_for_tests()
        return module

    yield install
    nvml.reset_for_tests()


# ---- availability and reasons ------------------------------------------------
def test_missing_bindings_gives_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import raises ImportError
    nvml.reset_for_tests()
    try:
        assert nvml.nvml_available() == (False, nvml.REASON_NO_BINDINGS)
        assert nvml.device_count() == 0
        assert specs.device_facts() == {"devices": [], "reason": nvml.REASON_NO_BINDINGS}
    finally:
        nvml.reset_for_tests()


def test_no_driver_library_not_found(fake_nvml):
    fake_nvml(init_error=LIBRARY_NOT_FOUND)
    ok, reason = nvml.nvml_available()
    assert not ok and reason.startswith("No NVIDIA driver was found (libnvidia-ml is missing)")
    assert specs.device_facts() == {"devices": [], "reason": reason}
    assert install_hint.install_hint() is None
    assert install_hint.lab_unavailable_reason() == reason
    sampler = TelemetrySampler()
    assert not sampler.start() and sampler.reason == reason


def test_no_devices(fake_nvml):
    fake_nvml(gpus=[])
    assert nvml.nvml_available() == (False, "The NVIDIA driver reports no GPUs.")
    assert specs.device_facts()["reason"] == "The NVIDIA driver reports no GPUs."


def test_other_init_error_is_a_sentence(fake_nvml):
    fake_nvml(init_error=999)
    ok, reason = nvml.nvml_available()
    assert not ok and reason.startswith("NVML could not start") and reason.endswith(".")


# ---- device facts -------------------------------------------------------------
def test_h100_facts_and_formulas(fake_nvml):
    fake_nvml()
    facts = specs.device_facts()
    assert facts["reason"] is None
    dev = facts["devices"][0]
    assert dev["sm_count"]["value"] == 132 and "16896 / 128" in dev["sm_count"]["formula"]
    assert dev["compute_capability"] == "9.0" and dev["architecture"] == "Hopper"
    assert dev["peak_fp32_gflops"]["value"] == pytest.approx(132 * 128 * 2 * 1.98)
    assert dev["peak_fp32_gflops"]["formula"] == "132 SMs × 128 FP32 cores × 2 (FMA) × 1.980 GHz"
    assert dev["peak_fp64_gflops"]["value"] == pytest.approx(dev["peak_fp32_gflops"]["value"] / 2)
    # The H100 SXM datasheet says 3.35 TB/s of HBM3 bandwidth.
    assert dev["peak_memory_gbps"]["value"] == pytest.approx(3350, rel=0.002)
    assert dev["pcie_max_gbps"]["value"] == pytest.approx(32 * 16 * 128 / 130 / 8)
    assert "128b/130b" in dev["pcie_max_gbps"]["formula"]
    assert dev["memory_total_mib"]["value"] == 81559
    assert dev["cuda_driver_version"] == "13.0" and dev["driver_version"] == "580.159.04"
    assert dev["measured_copy_gbps"] is None
    json.dumps(facts)  # the CLI prints it as is


def test_sm_count_from_name_table_when_cores_unsupported(fake_nvml):
    fake_nvml(gpus=[FakeGpu(unsupported={"cores"})])
    sm = specs.device_facts()["devices"][0]["sm_count"]
    assert sm["value"] == 132 and "table" in sm["formula"]
    nvml.reset_for_tests()
    fake_nvml(gpus=[FakeGpu(name="NVIDIA Mystery", unsupported={"cores"})])
    dev = specs.device_facts()["devices"][0]
    assert dev["sm_count"]["value"] is None
    assert dev["peak_fp32_gflops"]["value"] is None and "SM count" in dev["peak_fp32_gflops"]["formula"]


def test_not_supported_fields_are_none_and_logged_once(fake_nvml, caplog):
    fake_nvml(gpus=[FakeGpu(unsupported={"bus", "pcie", "cc"})])
    with caplog.at_level(logging.INFO, logger="gpuprof_gui.gpu.nvml"):
        for _ in range(3):
            dev = specs.device_facts()["devices"][0]
    assert dev["peak_memory_gbps"]["value"] is None and dev["peak_memory_gbps"]["formula"].startswith("unknown")
    assert dev["pcie_max_gbps"]["value"] is None and dev["compute_capability"] is None
    assert dev["peak_fp32_gflops"]["value"] is None
    bus_logs = [r for r in caplog.records if "memory bus width" in r.getMessage()]
    assert len(bus_logs) == 1


@pytest.mark.parametrize(("cuda", "extra"), [(13000, "cuda13"), (12080, "cuda12"), (14000, "cuda13")])
def test_install_hint_follows_driver_cuda_major(fake_nvml, monkeypatch, cuda, extra):
    fake_nvml(cuda=cuda)
    monkeypatch.setattr(install_hint.importlib.util, "find_spec", lambda name: None)
    assert install_hint.install_hint() == f"pip install 'gpuprof-gui[{extra}]'"
    assert f"gpuprof-gui[{extra}]" in install_hint.lab_unavailable_reason()


def test_install_hint_old_driver_and_cupy_present(fake_nvml, monkeypatch):
    fake_nvml(cuda=11080)
    monkeypatch.setattr(install_hint.importlib.util, "find_spec", lambda name: None)
    assert install_hint.install_hint() is None
    assert "update the NVIDIA driver" in install_hint.lab_unavailable_reason()
    monkeypatch.setattr(install_hint.importlib.util, "find_spec", lambda name: object())
    assert install_hint.lab_unavailable_reason() is None


# ---- telemetry ------------------------------------------------------------------
def test_driver_samples_bookkeeping(fake_nvml):
    gpu = FakeGpu()
    fake_nvml(gpus=[gpu])
    sampler = TelemetrySampler(hz=10)
    start_us = int(sampler.t0_wall * 1e6)
    # Out of slot order, one from before the sampler started (dropped), 200 ms apart.
    gpu.samples[1] = [(start_us + 400_000, 60), (start_us - 100_000, 99), (start_us + 200_000, 40)]
    sampler.sample_once()
    series = sampler.snapshot()["devices"][0]["series"]
    t, v = series["gpu_util_pct"]
    assert list(v) == [40, 60]
    assert t[1] - t[0] == pytest.approx(0.2, abs=1e-3) and t[0] == pytest.approx(0.2, abs=1e-3)
    sampler.sample_once()  # nothing newer: the fake raises NOT_FOUND, which is not an error
    assert list(sampler.snapshot()["devices"][0]["series"]["gpu_util_pct"][1]) == [40, 60]
    assert (1, start_us + 400_000) in gpu.sample_calls[-2:]  # asked only for what is newer
    gpu.samples[1].append((start_us + 600_000, 80))
    sampler.sample_once()
    assert list(sampler.snapshot()["devices"][0]["series"]["gpu_util_pct"][1]) == [40, 60, 80]
    assert sampler.devices()[0]["util_source"].startswith("driver samples")


def test_driver_samples_are_read_in_batches(fake_nvml, monkeypatch):
    gpu = FakeGpu()
    fake_nvml(gpus=[gpu])
    monkeypatch.setattr(gpu_channel, "UTIL_READ_PERIOD_S", 60.0)
    sampler = TelemetrySampler(hz=10)
    start_us = int(sampler.t0_wall * 1e6)
    gpu.samples[1] = [(start_us + 1000, 10)]
    for _ in range(5):
        sampler.sample_once()
    assert len(gpu.sample_calls) == 2  # one read of each kind in the period, not one per tick
    assert len(sampler.snapshot()["devices"][0]["series"]["power_w"][0]) == 5


def test_utilisation_falls_back_to_polled_rates(fake_nvml):
    fake_nvml(gpus=[FakeGpu(unsupported={"samples"})])
    sampler = TelemetrySampler()
    sampler.sample_once()
    sampler.sample_once()
    series = sampler.snapshot()["devices"][0]["series"]
    assert list(series["gpu_util_pct"][1]) == [77, 77] and list(series["mem_util_pct"][1]) == [33, 33]
    assert "polled" in sampler.devices()[0]["util_source"]


def test_polled_metrics_power_and_pcie_counters(fake_nvml):
    gpu = FakeGpu()
    fake_nvml(gpus=[gpu])
    sampler = TelemetrySampler()
    for step in range(3):
        gpu.counter_ts_us = 1_000_000 + step * 100_000  # 0.1 s apart
        gpu.counters = {197: step * 1_000_000, 198: step * 5_000_000}  # tx 10 MB/s, rx 50 MB/s
        sampler.sample_once()
    s = sampler.snapshot()["devices"][0]["series"]
    assert list(s["power_w"][1]) == [120.0] * 3
    assert s["pcie_rx_mbps"][1][1:].tolist() == pytest.approx([50.0, 50.0])
    assert s["pcie_tx_mbps"][1][1:].tolist() == pytest.approx([10.0, 10.0])
    assert s["memory_used_mib"][1][0] == 512 and s["sm_clock_mhz"][1][0] == 1755
    assert s["temperature_c"][1][0] == 34


def test_pcie_counter_going_backwards_is_no_reading_not_a_negative_rate(fake_nvml):
    gpu = FakeGpu()
    fake_nvml(gpus=[gpu])
    sampler = TelemetrySampler()
    totals = [0, 5_000_000, 3_000_000, 8_000_000]  # the third read returns an older total
    for step, total in enumerate(totals):
        gpu.counter_ts_us = 1_000_000 + step * 100_000
        gpu.counters = {197: total, 198: total}
        sampler.sample_once()
    rx = sampler.snapshot()["devices"][0]["series"]["pcie_rx_mbps"][1]
    assert rx[1] == pytest.approx(50.0)
    assert math.isnan(rx[2])  # never a negative rate
    assert rx[3] == pytest.approx(50.0)


def test_fallbacks_for_old_drivers(fake_nvml):
    gpu = FakeGpu(unsupported={"field186", "field197", "field198", "memory_v2", "temp"})
    fake_nvml(gpus=[gpu])
    sampler = TelemetrySampler()
    sampler.sample_once()
    s = sampler.snapshot()["devices"][0]["series"]
    assert s["power_w"][1][0] == 120.0  # nvmlDeviceGetPowerUsage
    assert s["pcie_rx_mbps"][1][0] == pytest.approx(2000 * 1024 / 1e6)
    assert s["memory_used_mib"][1][0] == 512  # v1 memory info
    assert s["temperature_c"][1][0] != s["temperature_c"][1][0]  # NaN, not a raise


def test_bands_and_cursor(fake_nvml):
    fake_nvml()
    sampler = TelemetrySampler()
    sampler.mark_begin("naive")
    sampler.sample_once()
    sampler.mark_begin("tiled")  # closes "naive"
    sampler.sample_once()
    snap = sampler.snapshot()
    assert [b["label"] for b in snap["bands"]] == ["naive", "tiled"]
    assert snap["bands"][0]["t_end"] is not None and snap["bands"][1]["t_end"] is None
    sampler.mark_end()
    assert sampler.snapshot()["bands"][1]["t_end"] >= snap["bands"][1]["t_begin"]
    again = sampler.snapshot(snap["cursor"])
    assert len(again["devices"][0]["series"]["power_w"][0]) == 0
    sampler.sample_once()
    newer = sampler.snapshot(snap["cursor"])
    assert len(newer["devices"][0]["series"]["power_w"][0]) == 1


def test_sampler_thread_rate(fake_nvml):
    fake_nvml()
    sampler = TelemetrySampler(hz=50)
    assert sampler.start()
    time.sleep(0.5)
    sampler.stop()
    rows = len(sampler.snapshot()["devices"][0]["series"]["power_w"][0])
    assert 15 <= rows <= 30  # 50 Hz for 0.5 s, with scheduling slack


# ---- command line ---------------------------------------------------------------
def test_devices_json_and_text(fake_nvml, capsys):
    fake_nvml()
    buf = io.StringIO()
    assert cli_gpu_devices.run_devices(True, out=buf) == 0
    data = json.loads(buf.getvalue())
    assert data["reason"] is None and data["devices"][0]["sm_count"]["value"] == 132
    text = io.StringIO()
    assert cli_gpu_devices.run_devices(False, out=text) == 0
    assert "66.9 TFLOP/s" in text.getvalue() and "× 2 (FMA)" in text.getvalue()


def test_devices_without_driver(fake_nvml):
    fake_nvml(init_error=LIBRARY_NOT_FOUND)
    buf = io.StringIO()
    assert cli_gpu_devices.run_devices(True, out=buf) == 0
    data = json.loads(buf.getvalue())
    assert data["devices"] == [] and data["reason"].startswith("No NVIDIA driver")
    assert cli_gpu_devices.run_monitor(0.1, 10, True, None, out=io.StringIO()) == ExitStatus.UNAVAILABLE


def test_monitor_json_lines_and_trace(fake_nvml, tmp_path):
    fake_nvml()
    trace_path = tmp_path / "trace.json"
    out = io.StringIO()
    assert cli_gpu_devices.run_monitor(0.5, 20, True, str(trace_path), out=out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    samples = [r for r in rows if r["type"] == "sample"]
    assert len(samples) >= 5 and samples[0]["power_w"] == 120.0
    times = [r["t_s"] for r in samples]
    assert times == sorted(times) and len(set(times)) == len(times)  # no row printed twice
    trace = load_trace(trace_path)
    assert trace.meta["synthetic"] is False and trace.devices[0]["name"] == "NVIDIA H100 80GB HBM3"
    assert len(trace.devices[0]["series"]["power_w"][0]) >= len(samples)


def test_packaged_app_points_at_a_python_with_cupy(monkeypatch):
    """In the frozen app the hint is about GPUPROF_PYTHON, not pip-installing gpuprof-gui."""
    from gpuprof_gui.gpu import install_hint

    monkeypatch.setattr(install_hint.nvml, "nvml_available", lambda: (True, None))
    monkeypatch.setattr(install_hint, "cupy_installed", lambda: False)
    monkeypatch.setattr(install_hint, "cuda_driver_major", lambda: 12)
    monkeypatch.setattr(install_hint.sys, "frozen", True, raising=False)
    reason = install_hint.lab_unavailable_reason()
    assert "GPUPROF_PYTHON" in reason and "cupy-cuda12x" in reason and "gpuprof-gui[" not in reason
