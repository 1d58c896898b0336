"""Lab arithmetic: device peaks, derived metrics, relative error, results round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.lab import relative_error

# The H100 SXM the issue quotes: 132 SMs at 1980 MHz, HBM3 at 2619 MHz on a 5120-bit bus.
H100 = lm.DeviceFacts(
    name="NVIDIA H100 80GB HBM3",
    compute_capability="9.0",
    sm_count=132,
    clock_mhz=1980,
    memory_clock_mhz=2619,
    bus_width_bits=5120,
    l2_bytes=50 * 2**20,
    copy_gbps=2940.0,
)


def test_theoretical_peaks_from_device_attributes():
    assert H100.peak_bandwidth_gbps == pytest.approx(3352.3, rel=1e-4)  # "3.35 TB/s"
    assert H100.peak_gflops("float32") == pytest.approx(66_908, rel=1e-4)  # 132*128*2*1.98 GHz
    assert H100.peak_gflops("float64") == pytest.approx(33_454, rel=1e-4)
    ampere_consumer = lm.DeviceFacts(compute_capability="8.6", sm_count=82, clock_mhz=1695)
    assert ampere_consumer.peak_gflops("float32") == pytest.approx(35_581, rel=1e-4)


def test_derived_metrics_of_a_memory_bound_kernel():
    n = 1 << 27  # SAXPY: 12 bytes and 2 FLOPs per element
    rec = lm.LabRecord(
        candidate="saxpy",
        size=n,
        median_ms=0.55,
        flops=2 * n,
        bytes_moved=12 * n,
        cpu_ms=110.0,
        h2d_ms=120.0,
        d2h_ms=60.0,
    )
    lm.derive_metrics(rec, H100)
    assert rec.gbps == pytest.approx(12 * n / 0.55e-3 / 1e9)
    assert rec.gflops == pytest.approx(2 * n / 0.55e-3 / 1e9)
    # memory is the floor here: 12n bytes at 3352 GB/s
    assert rec.pct_of_peak == pytest.approx(100 * (12 * n / 3352.3e9 * 1e3) / 0.55, rel=1e-3)
    assert rec.pct_of_copy_bw == pytest.approx(100 * rec.gbps / 2940.0)
    assert rec.speedup_vs_cpu == pytest.approx(200.0)
    assert rec.speedup_vs_cpu_with_transfers == pytest.approx(110.0 / (0.55 + 180.0))


def test_compute_bound_floor_and_missing_numbers():
    n = 4096
    floor = lm.roofline_floor_ms(2 * n**3, 12 * n * n, H100.peak_gflops(), H100.peak_bandwidth_gbps)
    assert floor == pytest.approx(2 * n**3 / 66_908e9 * 1e3, rel=1e-3)
    rec = lm.derive_metrics(lm.LabRecord(candidate="x", size=1, status="failed"), H100)
    assert rec.gbps is rec.gflops is rec.pct_of_peak is rec.speedup_vs_cpu is None


def test_relative_error_in_float64():
    ref = np.array([1.0, 2.0, 4.0], dtype=np.float32)
    assert relative_error(ref, ref) == 0.0
    assert relative_error(np.array([1.0, 2.0, 4.4], np.float32), ref) == pytest.approx(0.1, rel=1e-6)
    assert relative_error(np.array([1.0, np.nan, 4.0]), ref) == math.inf
    l2 = relative_error(np.array([1.0, 2.0, 5.0]), ref, "l2")
    assert l2 == pytest.approx(1.0 / np.linalg.norm([1, 2, 4]))
    assert relative_error(np.array([0, 3], np.int32), np.array([0, 3], np.int32)) == 0.0
    with pytest.raises(ValueError):
        relative_error(np.zeros(3), np.zeros(4))


def test_results_round_trip_keeps_infinite_errors(tmp_path):
    run = lm.LabRun(
        problem={"name": "p"},
        device=H100,
        date="2026-01-01T00:00:00+00:00",
        records=[
            lm.LabRecord(candidate="a", size=4, correct=True, median_ms=1.0),
            lm.LabRecord(candidate="b", size=4, max_rel_err=math.inf, status="wrong", error="NaN"),
        ],
        transfers=[lm.TransferTiming(size=4, bytes_in=8e9, bytes_out=4e9, h2d_pinned_ms=150.0)],
    )
    path = tmp_path / "r.json"
    lm.save_run(run, str(path))
    back = lm.load_run(str(path))
    assert back.device.name == H100.name and back.device.peak_bandwidth_gbps == H100.peak_bandwidth_gbps
    assert back.records[1].max_rel_err == "inf" and not back.all_correct
    assert back.best().candidate == "a"
    assert back.transfers[0].bandwidths_gbps()["h2d_pinned_gbps"] == pytest.approx(8e9 / 0.15 / 1e9)
    with pytest.raises(ValueError):
        lm.LabRun.from_dict({"format": "something else"})


@pytest.mark.parametrize(
    "content, words",
    [(None, "no such file"), ("{", "not valid JSON"), ('{"format": "other"}', "not a gpuprof lab results file")],
)
def test_load_run_says_why_in_plain_words(tmp_path, content, words):
    from gpuprof_gui.core.lab_model import load_run

    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=words) as err:
        load_run(str(path))
    assert "Errno" not in str(err.value)
