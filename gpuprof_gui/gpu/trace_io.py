"""Telemetry traces on disk: a versioned JSON format, loading, and replay at recorded speed.

Format (version 1)::

    {"format": "gpuprof-telemetry-trace", "version": 1, "synthetic": false,
     "recorded_at": ISO-8601 UTC, "host": ..., "driver_version": ..., "sample_hz": 10.0,
     "t0_wall": unix seconds of t = 0, "note": optional free text,
     "devices": [{"index", "name", "uuid", "util_source",
                  "series": {metric: {"t": [s since t0], "v": [value or null]}}}],
     "bands": [{"label", "t_begin", "t_end", "wall_begin", "wall_end"}]}

A recorded trace has ``synthetic: false`` and the device name and date inside;
a made-up one must say ``synthetic: true``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gpuprof_gui.core.atomic import write_json
from gpuprof_gui.core.json_text import JSONTextError, read_json_file
from gpuprof_gui.gpu.cursor import advance_cursor, since_for

TRACE_FORMAT = "gpuprof-telemetry-trace"
TRACE_VERSION = 1
_T_DECIMALS = 4  # 0.1 ms: finer than any NVML timestamp matters, keeps files small
_V_DECIMALS = 3


class TraceFormatError(ValueError):
    """The file is not a telemetry trace this version can read (message is user-facing)."""


def _json_series(t: np.ndarray, v: np.ndarray) -> dict[str, list]:
    return {
        "t": [round(float(x), _T_DECIMALS) for x in t],
        "v": [None if math.isnan(x) else round(float(x), _V_DECIMALS) for x in v],
    }


def trace_to_json(data: dict[str, Any]) -> dict[str, Any]:
    """A sampler's ``trace_dict()`` (numpy series) as plain JSON-able data."""
    devices = [
        {key: value for key, value in dev.items() if key != "series"}
        | {"series": {m: _json_series(t, v) for m, (t, v) in dev["series"].items()}}
        for dev in data["devices"]
    ]
    meta = {key: value for key, value in data.items() if key not in ("devices", "bands")}
    return {
        "format": TRACE_FORMAT,
        "version": TRACE_VERSION,
        **meta,
        "devices": devices,
        "bands": list(data.get("bands", [])),
    }


def save_trace(data: dict[str, Any], path: str | Path) -> None:
    """Write a trace (atomically: a crash mid-write leaves the old file)."""
    write_json(path, trace_to_json(data))


def load_trace(path: str | Path) -> Trace:
    """Read a trace file; TraceFormatError with a plain message when it is not one we can read."""
    try:
        raw = read_json_file(path, "a gpuprof telemetry trace")
    except (OSError, JSONTextError) as exc:
        raise TraceFormatError(f"Cannot read the telemetry trace {path}: {exc}") from exc
    return trace_from_json(raw)


def trace_from_json(raw: Any) -> Trace:
    if not isinstance(raw, dict) or raw.get("format") != TRACE_FORMAT:
        raise TraceFormatError("This file is not a gpuprof telemetry trace.")
    version = raw.get("version")
    if not isinstance(version, int) or version > TRACE_VERSION or version < 1:
        raise TraceFormatError(
            f"This telemetry trace has format version {version!r}; "
            f"this gpuprof reads version {TRACE_VERSION}. Update gpuprof to open it."
        )
    try:
        devices = [_device_from_json(dev) for dev in raw["devices"]]
        bands = [dict(band) for band in raw.get("bands", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceFormatError(f"The telemetry trace is damaged ({type(exc).__name__}: {exc}).") from exc
    meta = {key: value for key, value in raw.items() if key not in ("devices", "bands")}
    return Trace(meta, devices, bands)


def _device_from_json(dev: dict[str, Any]) -> dict[str, Any]:
    series = {}
    for metric, pair in dev["series"].items():
        t = np.asarray(pair["t"], dtype=float)
        v = np.asarray([np.nan if x is None else x for x in pair["v"]], dtype=float)
        if t.shape != v.shape:
            raise ValueError(f"{metric}: {len(t)} times but {len(v)} values")
        series[metric] = (t, v)
    return {key: value for key, value in dev.items() if key != "series"} | {"series": series}


class Trace:
    """A loaded trace; ``snapshot()`` has the same shape as the live sampler's."""

    def __init__(self, meta: dict[str, Any], devices: list[dict[str, Any]], bands: list[dict[str, Any]]):
        self.meta = meta
        self.devices = devices
        self.bands = bands

    @property
    def duration_s(self) -> float:
        ends = [float(t[-1]) for dev in self.devices for t, _v in dev["series"].values() if len(t)]
        ends += [b["t_end"] for b in self.bands if b.get("t_end") is not None]
        return max(ends, default=0.0)

    def snapshot(self, since: Any = None, until_s: float | None = None) -> dict[str, Any]:
        """Samples newer than ``since`` (a time or a snapshot cursor) up to ``until_s``, as the sampler's."""
        devices, cursor = [], {}
        for dev in self.devices:
            series = {}
            for metric, (t, v) in dev["series"].items():
                since_s = since_for(since, dev["index"], metric)
                lo = 0 if since_s is None else int(np.searchsorted(t, since_s, side="right"))
                hi = len(t) if until_s is None else int(np.searchsorted(t, until_s, side="right"))
                series[metric] = (t[lo:hi], v[lo:hi])
            devices.append({key: value for key, value in dev.items() if key != "series"} | {"series": series})
            cursor[dev["index"]] = advance_cursor(since, dev["index"], series)
        bands = (
            self.bands
            if until_s is None
            else [
                {**b, "t_end": b["t_end"] if b["t_end"] is not None and b["t_end"] <= until_s else None}
                for b in self.bands
                if b["t_begin"] <= until_s
            ]
        )
        return {
            "t0_monotonic": 0.0,
            "t0_wall": self.meta.get("t0_wall"),
            "devices": devices,
            "bands": bands,
            "cursor": cursor,
        }


class TraceReplay:
    """Plays a trace back as if live: ``snapshot()`` shows what had been recorded by now × speed."""

    def __init__(self, trace: Trace, speed: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.trace = trace
        self.speed = speed
        self._clock = clock
        self._start = clock()

    def position_s(self) -> float:
        return min((self._clock() - self._start) * self.speed, self.trace.duration_s)

    @property
    def finished(self) -> bool:
        return self.position_s() >= self.trace.duration_s

    def snapshot(self, since: Any = None) -> dict[str, Any]:
        return self.trace.snapshot(since=since, until_s=self.position_s())
