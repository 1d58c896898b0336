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

import socket
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from gpuprof_gui.gpu import nvml
from gpuprof_gui.gpu.cursor import Cursor, advance_cursor, since_for
from gpuprof_gui.gpu.gpu_channel import METRIC_INFO, POLLED_METRICS, UTIL_METRICS, GpuChannel
from gpuprof_gui.gpu.ring import RingBuffer
from gpuprof_gui.gpu.trace_io import save_trace

DEFAULT_HZ = 10.0  # the minimum; 10 Hz costs well under 2% of a core (benchmarks/telemetry_cost.py)
MAX_HZ = 50.0  # NVML's polled values refresh no faster than ~20 ms; more only repeats readings
HISTORY_S = 600.0  # ten minutes of history, as the plots scroll
# 600 s x 50 Hz = 30,000 rows x (1 time + 7 metrics) x 8 B = 1.9 MB per GPU, allocated once.
POLLED_CAPACITY = int(HISTORY_S * MAX_HZ)
# The driver's finest utilisation period is 1/6 s (6 samples/s); 10/s leaves headroom.
UTIL_SAMPLES_MAX_PER_S = 10
UTIL_CAPACITY = int(HISTORY_S * UTIL_SAMPLES_MAX_PER_S)
MAX_BANDS = 10_000  # labelled runs kept; a lab session has tens


class TelemetrySampler:
    """Samples every GPU on a background thread; ``snapshot()`` reads without stopping it."""

    def __init__(self, hz: float = DEFAULT_HZ) -> None:
        if not hz > 0:
            raise ValueError("the sampling rate must be positive")
        self.hz = min(float(hz), MAX_HZ)
        self.reason: str | None = None  # why nothing is sampled (no driver, no GPU)
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._channels: list[GpuChannel] = []
        self._polled: list[RingBuffer] = []
        self._util: list[dict[str, RingBuffer]] = []
        self._bands: deque[dict[str, Any]] = deque(maxlen=MAX_BANDS)
        self.ticks = 0
        self._open_devices()

    def _open_devices(self) -> None:
        available, self.reason = nvml.nvml_available()
        if not available:
            return
        for index in range(nvml.device_count()):
            handle = nvml.device_handle(index)
            if handle is None:
                continue
            self._channels.append(GpuChannel(index, handle, self.t0_wall))
            self._polled.append(RingBuffer(POLLED_CAPACITY, len(POLLED_METRICS)))
            self._util.append({m: RingBuffer(UTIL_CAPACITY, 1) for m in UTIL_METRICS})

    # ---- lifecycle --------------------------------------------------------
    @property
    def available(self) -> bool:
        return bool(self._channels)

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
        for channel, polled, util in zip(self._channels, self._polled, self._util, strict=True):
            now = time.monotonic()
            row = channel.poll(now)
            samples = channel.utilisation(now, now + offset_s)
            with self._lock:
                polled.append(now, row)
                for metric, pairs in samples.items():
                    ring = util[metric]
                    for wall_s, value in pairs:
                        t = wall_s - offset_s
                        last = ring.last_time()
                        if last is None or t > last:  # keep the ring ordered whatever the clocks did
                            ring.append(t, (value,))
        self.ticks += 1

    # ---- run bands --------------------------------------------------------
    def mark_begin(self, label: str) -> None:
        """Start a labelled interval (a candidate's run); an open one is closed first."""
        now, wall = time.monotonic(), time.time()
        with self._lock:
            self._close_open_band(now, wall)
            self._bands.append({"label": label, "t_begin": now, "t_end": None, "wall_begin": wall, "wall_end": None})

    def mark_end(self) -> None:
        """Close the open interval, if any."""
        with self._lock:
            self._close_open_band(time.monotonic(), time.time())

    def _close_open_band(self, now: float, wall: float) -> None:
        if self._bands and self._bands[-1]["t_end"] is None:
            self._bands[-1].update(t_end=now, wall_end=wall)

    # ---- reading ----------------------------------------------------------
    def devices(self) -> list[dict[str, Any]]:
        return [
            {"index": c.index, "name": c.name, "uuid": c.uuid, "util_source": c.util_source} for c in self._channels
        ]

    def snapshot(self, since: Cursor = None) -> dict[str, Any]:
        """Series per metric per GPU, times in s since ``t0``; only rows newer than ``since`` are copied.

        ``since`` is None (everything), a time in s since t0, or the ``cursor`` of the
        previous snapshot (per GPU and metric: utilisation samples arrive later than
        the polled rows of the same moment, so one shared time would lose some).
        Returns ``{"t0_monotonic", "t0_wall", "devices": [{"index", "name", "series":
        {metric: (t, v)}}], "bands": [...], "cursor": ...}`` with numpy arrays.
        """
        devices = []
        cursor: dict[int, dict[str, float]] = {}
        with self._lock:
            for info, polled, util in zip(self.devices(), self._polled, self._util, strict=True):
                index = info["index"]
                t, values = polled.ordered(_absolute(since_for(since, index, POLLED_METRICS[0]), self.t0))
                t -= self.t0
                series = {m: (t, values[:, col]) for col, m in enumerate(POLLED_METRICS)}
                for metric, ring in util.items():
                    ut, uv = ring.ordered(_absolute(since_for(since, index, metric), self.t0))
                    series[metric] = (ut - self.t0, uv[:, 0])
                devices.append({**info, "series": series})
                cursor[index] = advance_cursor(since, index, series)
            bands = [self._relative_band(b) for b in self._bands]
        return {"t0_monotonic": self.t0, "t0_wall": self.t0_wall, "devices": devices, "bands": bands, "cursor": cursor}

    def _relative_band(self, band: dict[str, Any]) -> dict[str, Any]:
        end = band["t_end"]
        return {**band, "t_begin": band["t_begin"] - self.t0, "t_end": None if end is None else end - self.t0}

    def trace_dict(self) -> dict[str, Any]:
        """Everything needed to save this session as a trace (see trace_io)."""
        snap = self.snapshot()
        driver = nvml.query("nvmlSystemGetDriverVersion", kind="driver version")
        return {
            "synthetic": False,
            "recorded_at": datetime.fromtimestamp(self.t0_wall, UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "driver_version": driver,
            "sample_hz": self.hz,
            "t0_wall": self.t0_wall,
            "t0_monotonic": self.t0,
            "devices": snap["devices"],
            "bands": snap["bands"],
        }

    def save_trace(self, path: str) -> None:
        """Write the history so far as a versioned JSON trace."""
        save_trace(self.trace_dict(), path)


def _absolute(since_s: float | None, t0: float) -> float | None:
    return None if since_s is None else since_s + t0


def metric_label(metric: str) -> str:
    label, unit = METRIC_INFO.get(metric, (metric, ""))
    return f"{label} ({unit})" if unit else label
