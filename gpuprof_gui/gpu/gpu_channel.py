"""One GPU's readings for the telemetry sampler: polled metrics and the driver's utilisation samples."""

from __future__ import annotations

import math
from typing import Any

from gpuprof_gui.gpu import nvml

# Metrics polled at the sampler's rate, in ring-buffer column order.
POLLED_METRICS = (
    "memory_used_mib",
    "power_w",
    "sm_clock_mhz",
    "mem_clock_mhz",
    "temperature_c",
    "pcie_rx_mbps",
    "pcie_tx_mbps",
)
# Metrics from the driver's own time-stamped samples (nvmlDeviceGetSamples).
UTIL_METRICS = ("gpu_util_pct", "mem_util_pct")

METRIC_INFO = {  # label and unit for the UI and the text monitor
    "gpu_util_pct": ("GPU utilisation", "%"),
    "mem_util_pct": ("Memory controller utilisation", "%"),
    "memory_used_mib": ("Memory used", "MiB"),
    "power_w": ("Power", "W"),
    "sm_clock_mhz": ("SM clock", "MHz"),
    "mem_clock_mhz": ("Memory clock", "MHz"),
    "temperature_c": ("Temperature", "°C"),
    "pcie_rx_mbps": ("PCIe host→GPU", "MB/s"),
    "pcie_tx_mbps": ("PCIe GPU→host", "MB/s"),
}

# nvmlDeviceGetPcieThroughput blocks for its own 20 ms measuring window, so the
# fallback (for drivers without the PCIe byte counters) is read only twice a
# second: two counters x 20 ms at 10 Hz would stall the sampler 40% of the time.
PCIE_THROUGHPUT_PERIOD_S = 0.5
NVML_PCIE_THROUGHPUT_UNIT_B = 1024  # NVML reports KB/s in units of 1024 bytes (nvidia-smi dmon divides by 1024)

# pynvml's nvmlDeviceGetSamples costs ~2.2 ms of CPU per call on an H100 (measured,
# driver 580), even when nothing is new; two calls (GPU and memory) every 100 ms
# tick came to 6.7% of a core. The driver keeps its time-stamped samples in a
# buffer (~200 ms apart), so fetching them once a second loses none and invents
# none; with one driver ask per fetch (nvml.driver_samples) that is about
# 2 x 1.1 ms / s = 0.2% of a core. The utilisation plot lags by up to 1 s.
# The polled fallback (nvmlDeviceGetUtilizationRates, ~0.9 ms) is a 1/6-1 s
# average, so reading it faster would only repeat it: same period.
UTIL_READ_PERIOD_S = 1.0
# Both scale with the GPUs one sampler reads, so 8 GPUs cost about what 1 does (<= 2% of a core):
# on an H200 the PCIe byte counters cost 0.31 ms a read and a utilisation fetch 2 x 2.4 ms
# (benchmarks/telemetry_cost.py --breakdown). With n GPUs the counters are read every n ticks (at
# most every PCIE_COUNTER_MAX_PERIOD_S; the rate is over that interval and holds until the next
# read) and the utilisation samples fetched every n - 1 s, 1 s at least (at most UTIL_MAX_READ_PERIOD_S:
# the driver's buffer holds more than that of its ~6 samples a second, so none is lost; the plot's
# utilisation lags by as much). Measured on an H200 read 8 times over: 9.8% of a core unspaced.
PCIE_COUNTER_MAX_PERIOD_S = 1.0
UTIL_MAX_READ_PERIOD_S = 8.0

_FI_POWER_INSTANT = 186  # NVML_FI_DEV_POWER_INSTANT
_FI_PCIE_TX_BYTES = 197  # NVML_FI_DEV_PCIE_COUNT_TX_BYTES (GPU transmits: device→host)
_FI_PCIE_RX_BYTES = 198  # NVML_FI_DEV_PCIE_COUNT_RX_BYTES (GPU receives: host→device)
_VALUE_FIELDS = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}
_MIB = 1024 * 1024
NAN = math.nan


def value_of(union: Any, value_type: int) -> float:
    """The number in an NVML value union, by its NVML_VALUE_TYPE."""
    field = _VALUE_FIELDS.get(value_type)
    value = getattr(union, field, None) if field else None
    return float(value) if isinstance(value, (int, float)) else NAN


class GpuChannel:
    """Reads one GPU; keeps the bookkeeping (last driver sample seen, PCIe counters, fallbacks)."""

    def __init__(self, index: int, handle: Any, start_wall_s: float) -> None:
        self.index = index
        self.handle = handle
        self.name = nvml.query("nvmlDeviceGetName", handle, kind="name") or f"GPU {index}"
        self.uuid = nvml.query("nvmlDeviceGetUUID", handle, kind="UUID")
        # Driver samples older than the sampler's start belong to someone else's story.
        start_us = int(start_wall_s * 1e6)
        self.last_seen_us = dict.fromkeys(UTIL_METRICS, start_us)
        self.util_source = "driver samples (nvmlDeviceGetSamples)"
        self._use_samples = True
        self._util_due_s = 0.0
        self._memory_v2 = nvml.constant("nvmlMemory_v2", 0x02000028)
        self._power_instant = True
        self._pcie_counters = True
        self._last_counters: tuple[float, float, float] | None = None  # (t_s, tx bytes, rx bytes)
        self._pcie_fallback_due_s = 0.0
        self._pcie_fallback = (NAN, NAN)
        self.util_period_s = UTIL_READ_PERIOD_S
        self.pcie_period_s = 0.0  # every tick
        self._pcie_due_s = 0.0
        self._pcie_rates = (NAN, NAN)

    def share_with(self, gpus: int, hz: float) -> None:
        """This channel is one of ``gpus`` read by one sampler at ``hz``: space out the costly reads."""
        gpus = max(1, gpus)
        self.pcie_period_s = 0.0 if gpus == 1 else min(PCIE_COUNTER_MAX_PERIOD_S, (gpus - 0.5) / hz)
        self.util_period_s = min(UTIL_MAX_READ_PERIOD_S, max(UTIL_READ_PERIOD_S, float(gpus - 1)))

    # ---- polled metrics -------------------------------------------------
    def poll(self, now_s: float) -> list[float]:
        """One row of POLLED_METRICS (NaN where NVML did not answer)."""
        h = self.handle
        power_w, rx_mbps, tx_mbps = self._fields(now_s)
        sm = nvml.query("nvmlDeviceGetClockInfo", h, nvml.constant("NVML_CLOCK_SM", 1), kind="SM clock")
        mem = nvml.query("nvmlDeviceGetClockInfo", h, nvml.constant("NVML_CLOCK_MEM", 2), kind="memory clock")
        temp = nvml.query("nvmlDeviceGetTemperature", h, nvml.constant("NVML_TEMPERATURE_GPU", 0), kind="temperature")
        return [self._memory_used_mib(), power_w, _num(sm), _num(mem), _num(temp), rx_mbps, tx_mbps]

    def _memory_used_mib(self) -> float:
        # v2 reports "used" without the driver's reserved memory, as nvidia-smi does.
        if self._memory_v2:
            info = nvml.query("nvmlDeviceGetMemoryInfo", self.handle, version=self._memory_v2, kind="memory info v2")
            if info is not None:
                return _num(getattr(info, "used", None)) / _MIB
            self._memory_v2 = 0
        info = nvml.query("nvmlDeviceGetMemoryInfo", self.handle, kind="memory info")
        return _num(getattr(info, "used", None)) / _MIB

    def _fields(self, now_s: float) -> tuple[float, float, float]:
        """(power W, PCIe rx MB/s, tx MB/s) from one nvmlDeviceGetFieldValues call where supported."""
        counters_due = self._pcie_counters and now_s >= self._pcie_due_s
        wanted = ([_FI_POWER_INSTANT] if self._power_instant else []) + (
            [_FI_PCIE_TX_BYTES, _FI_PCIE_RX_BYTES] if counters_due else []
        )
        got: dict[int, tuple[float, float]] = {}
        if wanted:
            values = nvml.query("nvmlDeviceGetFieldValues", self.handle, wanted, kind="field values")
            for fv in values or ():
                if getattr(fv, "nvmlReturn", 1) == 0:
                    got[fv.fieldId] = (value_of(fv.value, fv.valueType), fv.timestamp / 1e6 or now_s)
        if self._power_instant and _FI_POWER_INSTANT not in got:
            self._power_instant = False  # older driver: fall back to the (1 s averaged) board power
        if _FI_POWER_INSTANT in got:
            power_w = got[_FI_POWER_INSTANT][0] / 1e3
        else:
            power_w = _num(nvml.query("nvmlDeviceGetPowerUsage", self.handle, kind="power")) / 1e3
        if self._pcie_counters and not counters_due:
            rx, tx = self._pcie_rates  # the rate over the last interval read, until the next read
        elif self._pcie_counters and (_FI_PCIE_TX_BYTES in got and _FI_PCIE_RX_BYTES in got):
            self._pcie_due_s = now_s + self.pcie_period_s
            rx, tx = self._pcie_rates = self._counter_rates(got[_FI_PCIE_TX_BYTES], got[_FI_PCIE_RX_BYTES])
        else:
            self._pcie_counters = False
            rx, tx = self._throughput_fallback(now_s)
        return power_w, rx, tx

    def _counter_rates(self, tx: tuple[float, float], rx: tuple[float, float]) -> tuple[float, float]:
        t_s = rx[1]
        previous, self._last_counters = self._last_counters, (t_s, tx[0], rx[0])
        if previous is None or t_s <= previous[0]:
            return NAN, NAN
        dt = t_s - previous[0]
        rx_b, tx_b = rx[0] - previous[2], tx[0] - previous[1]
        # A counter that went backwards (seen on an H100: about one read in 60
        # returned an older total) says nothing about the rate: no reading.
        return (rx_b / dt / 1e6 if rx_b >= 0 else NAN), (tx_b / dt / 1e6 if tx_b >= 0 else NAN)

    def _throughput_fallback(self, now_s: float) -> tuple[float, float]:
        if now_s >= self._pcie_fallback_due_s:
            self._pcie_fallback_due_s = now_s + PCIE_THROUGHPUT_PERIOD_S
            rx = nvml.query(
                "nvmlDeviceGetPcieThroughput", self.handle, nvml.constant("NVML_PCIE_UTIL_RX_BYTES", 1), kind="PCIe rx"
            )
            tx = nvml.query(
                "nvmlDeviceGetPcieThroughput", self.handle, nvml.constant("NVML_PCIE_UTIL_TX_BYTES", 0), kind="PCIe tx"
            )
            unit = NVML_PCIE_THROUGHPUT_UNIT_B / 1e6
            self._pcie_fallback = (_num(rx) * unit, _num(tx) * unit)
        return self._pcie_fallback

    # ---- utilisation ----------------------------------------------------
    def utilisation(self, now_s: float, now_wall_s: float) -> dict[str, list[tuple[float, float]]]:
        """New (wall time s, %) samples per UTIL_METRIC since the last read; never invented ones.

        Reads the driver at most every ``util_period_s``; between reads returns {}.
        """
        if now_s < self._util_due_s:
            return {}
        self._util_due_s = now_s + self.util_period_s
        if self._use_samples:
            out = {}
            for metric, sample_type in (
                ("gpu_util_pct", nvml.constant("NVML_GPU_UTILIZATION_SAMPLES", 1)),
                ("mem_util_pct", nvml.constant("NVML_MEMORY_UTILIZATION_SAMPLES", 2)),
            ):
                samples = self._driver_samples(metric, sample_type)
                if samples is None:
                    break
                out[metric] = samples
            else:
                return out
            self._use_samples = False
            self.util_source = "polled nvmlDeviceGetUtilizationRates (driver samples unsupported)"
        rates = nvml.query("nvmlDeviceGetUtilizationRates", self.handle, kind="utilisation rates")
        if rates is None:
            return {metric: [] for metric in UTIL_METRICS}
        return {
            "gpu_util_pct": [(now_wall_s, _num(getattr(rates, "gpu", None)))],
            "mem_util_pct": [(now_wall_s, _num(getattr(rates, "memory", None)))],
        }

    def _driver_samples(self, metric: str, sample_type: int) -> list[tuple[float, float]] | None:
        """Samples newer than the last one seen, sorted; [] when none are new; None when unsupported."""
        last_us = self.last_seen_us[metric]
        result, nothing_new = nvml.driver_samples(self.handle, sample_type, last_us, kind=f"{metric} samples")
        if nothing_new:
            return []
        if result is None:
            return None
        value_type, samples = result
        # The driver keeps a circular buffer: entries may come out of order, and
        # unused slots have timestamp 0, so filter and sort rather than trust order.
        fresh = sorted((s.timeStamp, value_of(s.sampleValue, value_type)) for s in samples if s.timeStamp > last_us)
        if fresh:
            self.last_seen_us[metric] = fresh[-1][0]
        return [(ts_us / 1e6, value) for ts_us, value in fresh]


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else NAN
