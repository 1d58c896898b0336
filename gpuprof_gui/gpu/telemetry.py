"""Live GPU telemetry: a sampler thread filling fixed-size ring buffers for every GPU.

Sampling behaviour: power, clocks, memory used, temperature and PCIe rates are
polled at ``hz`` (default 10).  Utilisation comes from the driver's own
time-stamped samples (``nvmlDeviceGetSamples``; about 200 ms apart on an H100,
because the driver averages over 1/6 s to 1 s), fetched in batches every
``UTIL_READ_PERIOD_S`` (each fetch is costly), so it has as many points as the
driver made, never more; where those are unsupported the sampler polls
``nvmlDeviceGetUtilizationRates`` instead and says so in ``util_source``.

All times are ``time.monotonic()`` seconds; snapshots give them relative to
the sampler's start (``t0``), and the wall time of ``t0`` is kept beside it.
"""

from __future__ import annotations

import threading
import time

from gpuprof_gui.gpu import nvml
from gpuprof_gui.gpu.gpu_channel import METRIC_INFO, GpuChannel
from gpuprof_gui.gpu.telemetry_rings import (
    DEFAULT_HZ,
    HISTORY_S,
    MAX_BANDS,
    MAX_HZ,
    POLLED_CAPACITY,
    UTIL_CAPACITY,
    UTIL_SAMPLES_MAX_PER_S,
    TelemetryRings,
)

__all__ = [  # the rates and sizes are read from here too
    "DEFAULT_HZ",
    "HISTORY_S",
    "MAX_BANDS",
    "MAX_HZ",
    "POLLED_CAPACITY",
    "UTIL_CAPACITY",
    "UTIL_SAMPLES_MAX_PER_S",
    "TelemetrySampler",
    "metric_label",
]


class TelemetrySampler(TelemetryRings):
    """Samples every GPU on a background thread; ``snapshot()`` reads without stopping it."""

    def __init__(self, hz: float = DEFAULT_HZ) -> None:
        super().__init__(hz)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._channels: list[GpuChannel] = []
        self.ticks = 0
        self._open_devices()

    def _open_devices(self) -> None:
        available, self.reason = nvml.nvml_available()
        if not available:
            return
        self.driver_version = nvml.query("nvmlSystemGetDriverVersion", kind="driver version")
        for index in range(nvml.device_count()):
            handle = nvml.device_handle(index)
            if handle is None:
                continue
            channel = GpuChannel(index, handle, self.t0_wall)
            self._channels.append(channel)
            self.add_device(
                {"index": channel.index, "name": channel.name, "uuid": channel.uuid, "util_source": channel.util_source}
            )
        for channel in self._channels:
            channel.share_with(len(self._channels), self.hz)

    # ---- lifecycle --------------------------------------------------------
    def start(self) -> bool:
        """Start the sampling thread; False (see ``reason``) when there is nothing to sample."""
        if not self._channels or self._thread is not None:
            return bool(self._channels)
        self._thread = threading.Thread(target=self._run, name="gpu-telemetry", daemon=True)
        self._thread.start()
        return True

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        period_s = 1.0 / self.hz
        next_s = time.monotonic()
        while not self._stop.is_set():
            self.sample_once()
            next_s += period_s
            now = time.monotonic()
            if next_s < now - period_s:  # fell behind (suspend, slow driver): skip, don't burst
                next_s = now
            self._stop.wait(max(0.0, next_s - now))

    def sample_once(self) -> None:
        """Take one reading of every GPU (the thread calls this; tests may call it directly)."""
        offset_s = self.t0_wall - self.t0  # wall = monotonic + offset
        for position, channel in enumerate(self._channels):
            now = time.monotonic()
            row = channel.poll(now)
            samples = channel.utilisation(now, now + offset_s)
            self.append_polled(position, now, row)
            self._infos[position]["util_source"] = channel.util_source  # it falls back to polling when needed
            for metric, pairs in samples.items():
                for wall_s, value in pairs:  # keep the ring ordered whatever the clocks did
                    self.append_util(position, metric, wall_s - offset_s, value)
        self.ticks += 1


def metric_label(metric: str) -> str:
    label, unit = METRIC_INFO.get(metric, (metric, ""))
    return f"{label} ({unit})" if unit else label
