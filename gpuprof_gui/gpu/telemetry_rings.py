"""GPU telemetry held in fixed-size ring buffers: what a live sampler fills and a reader snapshots.

:class:`TelemetryRings` is the store behind :class:`gpuprof_gui.gpu.telemetry.TelemetrySampler`
(NVML on this computer) and behind the mirror of a remote host's sampler
(:mod:`gpuprof_gui.jobs.remote.remote_telemetry`), so the plots read both the same way.
Times are ``time.monotonic()`` seconds of this process; snapshots give them relative to ``t0``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any

from gpuprof_gui.gpu.cursor import Cursor, advance_cursor, since_for
from gpuprof_gui.gpu.gpu_channel import POLLED_METRICS, UTIL_METRICS
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


class TelemetryRings:
    """Ring buffers per GPU (polled rows, utilisation samples) and run bands, read by ``snapshot``."""

    def __init__(self, hz: float = DEFAULT_HZ) -> None:
        if not hz > 0:
            raise ValueError("the sampling rate must be positive")
        self.hz = min(float(hz), MAX_HZ)
        self.reason: str | None = None  # why nothing is sampled (no driver, no GPU)
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        self.host = socket.gethostname()
        self.driver_version: str | None = None
        self._lock = threading.Lock()
        self._infos: list[dict[str, Any]] = []
        self._polled: list[RingBuffer] = []
        self._util: list[dict[str, RingBuffer]] = []
        self._bands: deque[dict[str, Any]] = deque(maxlen=MAX_BANDS)

    def add_device(self, info: dict[str, Any]) -> None:
        """A GPU to keep series for: ``{"index", "name", "uuid", "util_source"}``."""
        with self._lock:
            self._infos.append(dict(info))
            self._polled.append(RingBuffer(POLLED_CAPACITY, len(POLLED_METRICS)))
            self._util.append({m: RingBuffer(UTIL_CAPACITY, 1) for m in UTIL_METRICS})

    @property
    def available(self) -> bool:
        return bool(self._infos)

    def devices(self) -> list[dict[str, Any]]:
        return [dict(info) for info in self._infos]

    # ---- writing (the owner's thread) -------------------------------------
    def append_polled(self, position: int, t: float, row: Any) -> None:
        with self._lock:
            self._polled[position].append(t, row)

    def append_util(self, position: int, metric: str, t: float, value: float) -> None:
        """One utilisation sample; one not newer than the last is dropped (the ring stays ordered)."""
        with self._lock:
            ring = self._util[position][metric]
            last = ring.last_time()
            if last is None or t > last:
                ring.append(t, (value,))

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
            for info, polled, util in zip(self._infos, self._polled, self._util, strict=True):
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
        return {
            "synthetic": False,
            "recorded_at": datetime.fromtimestamp(self.t0_wall, timezone.utc).isoformat(timespec="seconds"),
            "host": self.host,
            "driver_version": self.driver_version,
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
