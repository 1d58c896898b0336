"""A FAKE pynvml for tests: nvidia-ml-py's calling conventions, datasheet numbers, no GPU.

Used in-process (monkeypatched into ``sys.modules`` by tests/gpu/test_gpu_fake_nvml.py) and, as
``tests/remote/fake_nvml/pynvml.py``, by the sampler a remote-host test starts on the "host".
It follows nvidia-ml-py's calling conventions (NVMLError carrying ``value``,
nvmlDeviceGetSamples returning ``(value_type, [c_nvmlSample_t])`` and raising
NOT_FOUND when nothing is newer); its H100 numbers are datasheet values, not readings.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field

NOT_SUPPORTED, NOT_FOUND, LIBRARY_NOT_FOUND = 3, 6, 12


class FakeNVMLError(Exception):
    def __init__(self, value: int):
        super().__init__(f"NVML error {value}")
        self.value = value


@dataclass
class FakeGpu:
    name: str = "NVIDIA H100 80GB HBM3"
    cores: int = 16896  # 132 SMs x 128
    cc: tuple = (9, 0)
    max_clocks: dict = field(default_factory=lambda: {1: 1980, 2: 2619})
    clocks: dict = field(default_factory=lambda: {1: 1755, 2: 2619})
    bus_bits: int = 5120
    total_b: int = 81559 * 1024 * 1024
    used_b: int = 512 * 1024 * 1024
    pcie: tuple = (5, 16, 5, 16)  # current gen, width, max gen, width
    power_mw: int = 120_000
    temp_c: int = 34
    samples: dict = field(default_factory=lambda: {1: [], 2: []})  # type -> [(ts_us, value)]
    counters: dict = field(default_factory=lambda: {197: 0, 198: 0})
    counter_ts_us: int = 0
    unsupported: set = field(default_factory=set)
    sample_calls: list = field(default_factory=list)


def make_fake_pynvml(gpus: list[FakeGpu], init_error: int | None = None, cuda: int = 13000) -> types.ModuleType:
    m = types.ModuleType("pynvml")
    m.NVMLError = FakeNVMLError
    m.NVML_CLOCK_SM, m.NVML_CLOCK_MEM, m.NVML_TEMPERATURE_GPU = 1, 2, 0
    m.NVML_GPU_UTILIZATION_SAMPLES, m.NVML_MEMORY_UTILIZATION_SAMPLES = 1, 2
    m.NVML_PCIE_UTIL_TX_BYTES, m.NVML_PCIE_UTIL_RX_BYTES = 0, 1
    m.nvmlMemory_v2 = 0x02000028

    def check(gpu: FakeGpu, what: str):
        if what in gpu.unsupported:
            raise FakeNVMLError(NOT_SUPPORTED)
        return gpu

    def init():
        if init_error is not None:
            raise FakeNVMLError(init_error)

    def samples(gpu, kind, last_us):
        check(gpu, "samples")
        gpu.sample_calls.append((kind, last_us))
        if not any(ts > last_us for ts, _ in gpu.samples[kind]):
            raise FakeNVMLError(NOT_FOUND)
        # The real driver returns its whole circular buffer, in slot order, with empty slots.
        buf = [
            types.SimpleNamespace(timeStamp=ts, sampleValue=types.SimpleNamespace(uiVal=v))
            for ts, v in gpu.samples[kind]
        ] + [types.SimpleNamespace(timeStamp=0, sampleValue=types.SimpleNamespace(uiVal=0))]
        return 1, buf

    def fields(gpu, ids):
        out = []
        for fid in ids:
            supported = f"field{fid}" not in gpu.unsupported
            value = gpu.power_mw if fid == 186 else gpu.counters.get(fid, 0)
            out.append(
                types.SimpleNamespace(
                    fieldId=fid,
                    nvmlReturn=0 if supported else NOT_SUPPORTED,
                    valueType=3,
                    value=types.SimpleNamespace(ullVal=value),
                    timestamp=gpu.counter_ts_us,
                )
            )
        return out

    def memory(gpu, version=None):
        check(gpu, "memory_v2" if version else "memory")
        return types.SimpleNamespace(total=gpu.total_b, used=gpu.used_b, free=gpu.total_b - gpu.used_b)

    m.nvmlInit = init
    m.nvmlDeviceGetCount = lambda: len(gpus)
    m.nvmlDeviceGetHandleByIndex = lambda i: gpus[i]
    m.nvmlSystemGetDriverVersion = lambda: "580.159.04"
    m.nvmlSystemGetCudaDriverVersion = lambda: cuda
    m.nvmlDeviceGetName = lambda g: check(g, "name").name
    m.nvmlDeviceGetUUID = lambda g: "GPU-fake-0000"
    m.nvmlDeviceGetPciInfo = lambda g: types.SimpleNamespace(busId=b"00000000:01:00.0")
    m.nvmlDeviceGetNumGpuCores = lambda g: check(g, "cores").cores
    m.nvmlDeviceGetCudaComputeCapability = lambda g: check(g, "cc").cc
    m.nvmlDeviceGetMaxClockInfo = lambda g, c: check(g, f"max_clock{c}").max_clocks[c]
    m.nvmlDeviceGetClockInfo = lambda g, c: check(g, f"clock{c}").clocks[c]
    m.nvmlDeviceGetMemoryBusWidth = lambda g: check(g, "bus").bus_bits
    m.nvmlDeviceGetMemoryInfo = memory
    m.nvmlDeviceGetCurrPcieLinkGeneration = lambda g: check(g, "pcie").pcie[0]
    m.nvmlDeviceGetCurrPcieLinkWidth = lambda g: check(g, "pcie").pcie[1]
    m.nvmlDeviceGetMaxPcieLinkGeneration = lambda g: check(g, "pcie").pcie[2]
    m.nvmlDeviceGetMaxPcieLinkWidth = lambda g: check(g, "pcie").pcie[3]
    m.nvmlDeviceGetPowerUsage = lambda g: check(g, "power").power_mw
    m.nvmlDeviceGetTemperature = lambda g, s: check(g, "temp").temp_c
    m.nvmlDeviceGetSamples = samples
    m.nvmlDeviceGetFieldValues = fields
    m.nvmlDeviceGetPcieThroughput = lambda g, c: 2000 if c == 1 else 1000  # KB/s (1024 B)
    m.nvmlDeviceGetUtilizationRates = lambda g: types.SimpleNamespace(gpu=77, memory=33)
    return m
