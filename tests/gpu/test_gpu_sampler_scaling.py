"""One sampler, many GPUs: the costly NVML reads are spaced out with the GPU count, the rows are not.

Against the fake pynvml (calls counted, clock driven by the test). The CPU figure for 1 and 8 GPUs
is measured on a real GPU by ``benchmarks/telemetry_cost.py --channels 1,8`` (docs/benchmarks.md).
"""

from __future__ import annotations

import sys

import pytest
from fake_pynvml_support import FakeGpu, make_fake_pynvml

from gpuprof_gui.gpu import gpu_channel, nvml
from gpuprof_gui.gpu import telemetry as telemetry_module
from gpuprof_gui.gpu.telemetry import TelemetrySampler


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1.8e9 + self.now


@pytest.fixture
def gpus(monkeypatch):
    def install(n: int):
        fakes = [FakeGpu() for _ in range(n)]
        module = make_fake_pynvml(fakes)
        calls: list[tuple[int, tuple]] = []
        fields = module.nvmlDeviceGetFieldValues

        def counted(gpu, ids):
            calls.append((next(i for i, f in enumerate(fakes) if f is gpu), tuple(ids)))
            return fields(gpu, ids)

        module.nvmlDeviceGetFieldValues = counted
        monkeypatch.setitem(sys.modules, "pynvml", module)
        nvml.reset_for_tests()
        clock = Clock()
        monkeypatch.setattr(telemetry_module, "time", clock)
        return fakes, calls, clock

    yield install
    nvml.reset_for_tests()


def _run(sampler: TelemetrySampler, clock: Clock, fakes, ticks: int, hz: float = 10.0) -> None:
    for _tick in range(ticks):
        for gpu in fakes:  # the counters grow 1 MB per tick, a steady 10 MB/s at 10 Hz
            gpu.counters[198] += 1_000_000
            gpu.counter_ts_us = int(clock.time() * 1e6)
        sampler.sample_once()
        clock.now += 1 / hz


def test_one_gpu_reads_its_pcie_counters_every_tick(gpus):
    fakes, calls, clock = gpus(1)
    sampler = TelemetrySampler(10)
    _run(sampler, clock, fakes, 20)
    assert sum(1 for _g, ids in calls if 198 in ids) == 20
    assert sampler._channels[0].util_period_s == gpu_channel.UTIL_READ_PERIOD_S


def test_eight_gpus_read_the_costly_counters_less_often_but_every_row_still_comes(gpus):
    fakes, calls, clock = gpus(8)
    sampler = TelemetrySampler(10)
    _run(sampler, clock, fakes, 50)  # 5 s
    per_gpu = [sum(1 for g, ids in calls if g == i and 198 in ids) for i in range(8)]
    assert all(6 <= n <= 8 for n in per_gpu), per_gpu  # about every 0.75 s (8 ticks), not every 0.1 s
    assert sampler._channels[0].util_period_s == 7.0
    snap = sampler.snapshot()
    for dev in snap["devices"]:
        t, rx = dev["series"]["pcie_rx_mbps"]
        assert len(t) == 50  # 10 rows a second for every GPU, as with one
        assert rx[-1] == pytest.approx(10.0)  # the rate over the last interval, held until the next read


def test_devices_and_monitor_give_every_gpu_its_own_figures(monkeypatch, tmp_path):
    """A workstation with two different GPUs: each has its own facts, rows and curves (issue 15, point 1)."""
    import io
    import json

    from gpuprof_gui.cli import devices as cli_devices
    from gpuprof_gui.gpu.trace_io import load_trace
    from gpuprof_gui.jobs import lab_runner

    a100 = FakeGpu(name="NVIDIA A100-SXM4-80GB", cores=6912, cc=(8, 0), power_mw=90_000)
    monkeypatch.setitem(sys.modules, "pynvml", make_fake_pynvml([FakeGpu(), a100]))
    nvml.reset_for_tests()
    measured = []
    monkeypatch.setattr(lab_runner, "measure_copy_gbps", lambda i, **kw: measured.append(i) or 1000.0 * (i + 1))
    out = io.StringIO()
    assert cli_devices.run_devices(True, out=out) == 0
    facts = json.loads(out.getvalue())["devices"]
    assert [d["name"] for d in facts] == ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB"]
    assert [d["sm_count"]["value"] for d in facts] == [132, 108]
    assert measured == [0, 1] and [d["measured_copy_gbps"]["value"] for d in facts] == [1000.0, 2000.0]
    lines = io.StringIO()
    assert cli_devices.run_monitor(0.4, 20, True, str(tmp_path / "t.json"), out=lines) == 0
    rows = [json.loads(line) for line in lines.getvalue().splitlines() if '"sample"' in line]
    assert {r["gpu"]: r["power_w"] for r in rows} == {0: 120.0, 1: 90.0}
    assert [d["name"] for d in load_trace(tmp_path / "t.json").devices] == [facts[0]["name"], facts[1]["name"]]
    nvml.reset_for_tests()
