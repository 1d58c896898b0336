"""Telemetry traces on disk: a versioned JSON format, loading, and replay at recorded speed.

Format (version 1)::

    {"format": "gpuprof-telemetry-trace", "version": 1, "synthetic": false,
     "recorded_at": ISO-8601 UTC, "host": ..., "driver_version": ..., "sample_hz": 10.0,
     "t0_wall": unix seconds of t = 0, "t0_monotonic": time.monotonic() at t = 0 (optional; puts
     the samples on a GPU trace's clock), "note": optional free text,
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
from gpuprof_gui.core.numbers import MAX_AMOUNT, PCT_SLACK, NumberError, number, optional_number, shown
from gpuprof_gui.gpu.cursor import advance_cursor, since_for

TRACE_FORMAT = "gpuprof-telemetry-trace"
TRACE_VERSION = 1
_T_DECIMALS = 4  # 0.1 ms: finer than any NVML timestamp matters, keeps files small
_V_DECIMALS = 3
MAX_DEVICE_INDEX = 1023
"""Largest GPU index a trace may name (NVML numbers a host's GPUs from 0)."""
MAX_TEXT = 200
"""A device name, host or band label longer than this is cut when read: the chart draws them."""
MAX_SAMPLE_HZ = 1e6
COUNTER_RATES = ("pcie_rx_mbps", "pcie_tx_mbps")
"""Rates from two reads of a byte counter. Samplers before 2026-11-23 wrote a negative rate when
the driver returned an older total (about one read in 60 on an H100); read as "no sample"."""


class TraceFormatError(ValueError):
    """The file is not a telemetry trace this version can read (message is user-facing).

    ``detail`` is what is wrong, without the sentence's opening (for a sentence about a file holding a trace).
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message


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
    try:
        return trace_from_json(raw)
    except TraceFormatError as exc:
        if exc.detail == str(exc):  # not a trace at all, or another version: the sentence stands
            raise TraceFormatError(f"{path}: {exc}", exc.detail) from exc
        raise TraceFormatError(f"The telemetry trace {path} is damaged: {exc.detail}.", exc.detail) from exc


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
        if not isinstance(raw.get("devices"), list):
            raise NumberError("its device list is missing")
        devices = [_device_from_json(dev, i) for i, dev in enumerate(raw["devices"])]
        indexes = [dev["index"] for dev in devices]
        if len(set(indexes)) != len(indexes):
            raise NumberError("two devices have the same index")
        bands = [_band_from_json(band, i) for i, band in enumerate(_list(raw.get("bands", []), "the band list"))]
        meta = _meta_from_json(raw)
    except (NumberError, KeyError, TypeError, ValueError, OverflowError) as exc:
        clause = _clause(exc)
        raise TraceFormatError(f"The telemetry trace is damaged: {clause}.", clause) from exc
    return Trace(meta, devices, bands)


def _clause(exc: Exception) -> str:
    if isinstance(exc, NumberError):
        return str(exc)
    if isinstance(exc, KeyError):
        return f"the field {exc.args[0]!r} is missing"
    return f"{type(exc).__name__}: {exc}"


def _list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise NumberError(f"{what} is not a list")
    return value


def _text(value: Any, field: str) -> str:
    """A short text for the window; None reads as empty, anything else not text is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NumberError(f"{field} is not text")
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def _meta_from_json(raw: dict[str, Any]) -> dict[str, Any]:
    meta = {key: value for key, value in raw.items() if key not in ("devices", "bands")}
    for key in ("host", "driver_version", "recorded_at", "note"):
        if key in meta:
            meta[key] = _text(meta[key], f"its {key}")
    if not isinstance(meta.get("synthetic", False), bool):
        raise NumberError("its synthetic flag is not true or false")
    meta["sample_hz"] = optional_number(meta.get("sample_hz"), "its sample rate", 0.0, MAX_SAMPLE_HZ)
    meta["t0_wall"] = optional_number(meta.get("t0_wall"), "its start time", 0.0, MAX_AMOUNT)
    meta["t0_monotonic"] = optional_number(meta.get("t0_monotonic"), "its monotonic start", 0.0, MAX_AMOUNT)
    return meta


def _device_from_json(dev: Any, position: int) -> dict[str, Any]:
    if not isinstance(dev, dict):
        raise NumberError(f"device {position} is not a record")
    index = dev.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_DEVICE_INDEX:
        raise NumberError(
            f"device {position} has index {shown(index)}, not a whole number from 0 to {MAX_DEVICE_INDEX}"
        )
    if not isinstance(dev.get("series"), dict):
        raise NumberError(f"GPU {index} has no series of samples")
    series = {}
    for metric, pair in dev["series"].items():
        if not isinstance(metric, str) or not isinstance(pair, dict):
            raise NumberError(f"GPU {index} has a series that is not a metric's samples")
        where = f"GPU {index} {_text(metric, 'a metric name')}"
        t, v = _series_from_json(
            pair, where, percent=metric.endswith("_pct"), lo=-np.inf if metric in COUNTER_RATES else 0
        )
        series[metric] = (t, np.where(v < 0, np.nan, v)) if metric in COUNTER_RATES else (t, v)
    texts = ("name", "uuid", "util_source", "host", "label")  # host, label: a trace of several hosts' GPUs
    named = {key: _text(dev.get(key), f"GPU {index} {key}") for key in texts if key in dev}
    return {key: value for key, value in dev.items() if key != "series"} | named | {"series": series}


def _numbers(values: list, where: str, nulls: bool) -> np.ndarray:
    floats = []
    for i, x in enumerate(values):
        if x is None and nulls:
            floats.append(np.nan)
            continue
        try:
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise TypeError
            floats.append(float(x))
        except (TypeError, OverflowError):
            raise NumberError(f"{where} {i} is {shown(x)}, not a number") from None
    return np.asarray(floats, dtype=float)


def _series_from_json(
    pair: dict[str, Any], where: str, percent: bool, lo: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Times finite, from 0, never going back; values finite and in range (a percentage 0..100), or null."""
    t = _numbers(_list(pair.get("t"), f"{where} times"), f"{where} time", nulls=False)
    v = _numbers(_list(pair.get("v"), f"{where} values"), f"{where} value", nulls=True)
    if t.shape != v.shape:
        raise NumberError(f"{where} has {len(t)} times but {len(v)} values")
    bad_t = ~(np.isfinite(t) & (t >= 0.0) & (t <= MAX_AMOUNT))
    if bad_t.any():
        i = int(np.argmax(bad_t))
        raise NumberError(f"{where} time {i} is {shown(t[i])}, not a number from 0 to {MAX_AMOUNT:g}")
    if len(t) > 1 and (np.diff(t) < 0).any():
        i = int(np.argmax(np.diff(t) < 0)) + 1
        raise NumberError(f"{where} time {i} ({t[i]:g} s) is earlier than the one before it")
    hi = 100.0 + PCT_SLACK if percent else MAX_AMOUNT
    lo = -PCT_SLACK if percent else max(lo, -MAX_AMOUNT)
    present = ~np.isnan(v)
    bad_v = present & ~(np.isfinite(v) & (v >= lo) & (v <= hi))
    # NaN written as a number (not as null) is refused too: only null means "no sample".
    bad_v |= np.isnan(v) & np.asarray([x is not None for x in pair["v"]], dtype=bool)
    if bad_v.any():
        i = int(np.argmax(bad_v))
        kind = "a percentage from 0 to 100" if percent else f"a number from 0 to {MAX_AMOUNT:g}"
        raise NumberError(f"{where} value {i} is {shown(v[i])}, not {kind}")
    if percent:
        v = np.clip(v, 0.0, 100.0)  # NaN (no sample) stays NaN
    return t, v


def _band_from_json(band: Any, position: int) -> dict[str, Any]:
    if not isinstance(band, dict):
        raise NumberError(f"band {position} is not a record")
    where = f"band {position}"
    begin = number(band.get("t_begin"), f"{where} start", 0.0, MAX_AMOUNT)
    end = optional_number(band.get("t_end"), f"{where} end", begin, MAX_AMOUNT)
    checked = {
        "label": _text(band.get("label"), f"{where} label"),
        "t_begin": begin,
        "t_end": end,
        "wall_begin": optional_number(band.get("wall_begin"), f"{where} wall-clock start", 0.0, MAX_AMOUNT),
        "wall_end": optional_number(band.get("wall_end"), f"{where} wall-clock end", 0.0, MAX_AMOUNT),
    }
    if "label_pos" in band:
        checked["label_pos"] = number(band["label_pos"], f"{where} label position", 0.0, 1.0)
    return {**band, **checked}


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
