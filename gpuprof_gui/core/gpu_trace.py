"""A GPU trace as data: kernels, copies, memsets, syncs, CUDA API calls and NVTX ranges, tied to Python lines.

No CUDA here: :mod:`gpuprof_gui.gpu.cupti_trace` records a trace through CUPTI and hands it over as a
:class:`GpuTraceBuilder`; this module keeps it, writes it and reads it back (a recorded trace replays
where no GPU is). Summaries are in :mod:`gpuprof_gui.core.gpu_trace_summary`.

Format (version 1), columnar so a million events stay a few tens of MB and load with numpy::

    {"format": "gpuprof-gpu-trace", "version": 1, "synthetic": false,
     "recorded_at": ISO-8601 UTC, "host": ..., "device": {"name", "index", "compute_capability"},
     "driver_version": ..., "cuda_version": ..., "cupti_version": ..., "script": ..., "argv": [...],
     "clock": {"cupti_ns", "perf_ns", "cupti_end_ns", "perf_end_ns", "monotonic_ns"},  # start and end
     "duration_ns": ..., "dropped_records": ..., "note": ...,
     "names": [kernel, API and range names], "frames": [[file, line, function]],
     "stacks": [[frame index, innermost first]],
     "kernels": {"name": [...], "start": [...], ...}, "copies": {...}, "memsets": {...},
     "syncs": {...}, "api": {...}, "markers": {...}}

Every time is whole nanoseconds on CUPTI's clock since ``clock.cupti_ns`` (the tracer's start);
``clock.perf_ns`` is ``time.perf_counter_ns()`` at that instant, to place the trace on a CPU
profile's axis, and ``clock.monotonic_ns`` ``time.monotonic_ns()``, to place GPU telemetry on it.
``stack`` is an index into ``stacks`` or -1 (no Python frame: a library thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gpuprof_gui.core.atomic import write_json
from gpuprof_gui.core.json_text import JSONTextError, read_json_file
from gpuprof_gui.core.numbers import NumberError, line_number, number, shown
from gpuprof_gui.protocol import GPU_TRACE_SUFFIX

GPU_TRACE_FORMAT = "gpuprof-gpu-trace"
GPU_TRACE_VERSION = 1
MAX_NS = 10**18
"""Largest time or byte count read (31 years in ns; an exabyte): sums stay inside int64."""
MAX_ID = 2**32 - 1
"""Largest stream, thread or correlation id (CUPTI's are 32-bit)."""
MAX_NAME = 4096
"""Kernel names longer than this (templated C++) are cut when read."""
MAX_TEXT = 200
MAX_DEPTH = 64
"""Frames kept per Python stack (innermost first)."""

COPY_KINDS = ("H2D", "D2H", "D2D", "H2H", "P2P", "other")
MEMORY_KINDS = ("pageable", "pinned", "device", "managed", "array", "unknown")
SYNC_TYPES = ("event", "stream_wait_event", "stream", "context", "unknown")
API_DOMAINS = ("runtime", "driver")

_TIME = ("time", 0, MAX_NS)
_ID = ("id", 0, MAX_ID)
_DIM = ("dim", 0, MAX_ID)
_BYTES = ("bytes", 0, MAX_NS)
_NAME = ("name", -1, None)
_STACK = ("stack", -1, None)


def _code(values: tuple[str, ...]) -> tuple[str, int, int]:
    return ("code", 0, len(values) - 1)


TABLES: dict[str, dict[str, tuple[str, int, Any]]] = {
    "kernels": {
        "name": _NAME, "start": _TIME, "end": _TIME, "stream": _ID,
        "grid_x": _DIM, "grid_y": _DIM, "grid_z": _DIM, "block_x": _DIM, "block_y": _DIM, "block_z": _DIM,
        "corr": _ID, "stack": _STACK,
    },
    "copies": {
        "kind": _code(COPY_KINDS), "bytes": _BYTES, "src": _code(MEMORY_KINDS), "dst": _code(MEMORY_KINDS),
        "start": _TIME, "end": _TIME, "stream": _ID, "corr": _ID, "stack": _STACK,
    },
    "memsets": {"bytes": _BYTES, "start": _TIME, "end": _TIME, "stream": _ID, "corr": _ID, "stack": _STACK},
    "syncs": {
        "type": _code(SYNC_TYPES), "start": _TIME, "end": _TIME, "stream": _ID, "corr": _ID, "stack": _STACK,
    },
    "api": {
        "name": _NAME, "domain": _code(API_DOMAINS), "start": _TIME, "end": _TIME, "thread": _ID,
        "corr": _ID, "stack": _STACK,
    },
    "markers": {"name": _NAME, "start": _TIME, "end": _TIME, "thread": _ID},
}  # fmt: skip
"""Each table's columns: (kind, lowest, highest); ``name`` and ``stack`` index ``names`` and ``stacks``."""


class GpuTraceFormatError(ValueError):
    """The file is not a GPU trace this version can read (message is user-facing)."""


Frame = tuple[str, int, str]


@dataclass
class GpuTrace:
    """A recorded GPU trace: metadata, interned names, Python frames and stacks, and one table per event kind."""

    meta: dict[str, Any]
    names: list[str]
    frames: list[Frame]
    stacks: list[tuple[int, ...]]
    tables: dict[str, dict[str, np.ndarray]]

    def count(self, table: str) -> int:
        return len(self.tables[table]["start"])

    def stack_frames(self, stack: int) -> list[Frame]:
        """The frames of a stack, innermost first; [] for -1."""
        return [] if stack < 0 else [self.frames[i] for i in self.stacks[stack]]

    def name(self, index: int) -> str:
        return self.names[index] if 0 <= index < len(self.names) else ""


@dataclass
class GpuTraceBuilder:
    """Collects rows (times already relative to the trace's start) and interns names and stacks."""

    rows: dict[str, list[tuple[int, ...]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    _names: dict[str, int] = field(default_factory=dict)
    _frames: dict[Frame, int] = field(default_factory=dict)
    _stacks: dict[tuple[int, ...], int] = field(default_factory=dict)

    def name(self, text: str) -> int:
        return self._names.setdefault(text, len(self._names))

    def stack(self, frames: tuple[Frame, ...] | None) -> int:
        """The index of a stack of (file, line, function) frames, innermost first; -1 for None or ()."""
        if not frames:
            return -1
        ids = tuple(self._frames.setdefault(f, len(self._frames)) for f in frames[:MAX_DEPTH])
        return self._stacks.setdefault(ids, len(self._stacks))

    def add(self, table: str, **values: int) -> None:
        columns = TABLES[table]
        self.rows[table].append(tuple(int(values.get(c, -1 if columns[c][0] in ("stack", "name") else 0))
                                      for c in columns))  # fmt: skip

    def build(self, meta: dict[str, Any]) -> GpuTrace:
        tables = {}
        for table, columns in TABLES.items():
            data = np.asarray(self.rows[table], dtype=np.int64).reshape(-1, len(columns))
            order = np.argsort(data[:, list(columns).index("start")], kind="stable")
            tables[table] = {c: data[order, i].copy() for i, c in enumerate(columns)}
        return GpuTrace(dict(meta), list(self._names), list(self._frames), list(self._stacks), tables)


def gpu_trace_to_json(trace: GpuTrace) -> dict[str, Any]:
    return {
        "format": GPU_TRACE_FORMAT,
        "version": GPU_TRACE_VERSION,
        **{k: v for k, v in trace.meta.items() if k not in ("format", "version")},
        "names": trace.names,
        "frames": [list(f) for f in trace.frames],
        "stacks": [list(s) for s in trace.stacks],
        **{t: {c: trace.tables[t][c].tolist() for c in TABLES[t]} for t in TABLES},
    }


def save_gpu_trace(trace: GpuTrace, path: str | Path) -> None:
    """Write a trace (atomically)."""
    write_json(path, gpu_trace_to_json(trace))


def load_gpu_trace(path: str | Path) -> GpuTrace:
    """Read a trace file; GpuTraceFormatError with one plain sentence when it is not one we can read."""
    try:
        raw = read_json_file(path, "a gpuprof GPU trace")
    except (OSError, JSONTextError) as exc:
        raise GpuTraceFormatError(f"Cannot read the GPU trace {path}: {exc}") from exc
    try:
        return gpu_trace_from_json(raw)
    except GpuTraceFormatError as exc:
        raise GpuTraceFormatError(f"{path}: {exc}") from exc


def gpu_trace_beside(profile_path: str | Path) -> tuple[GpuTrace | None, str]:
    """The GPU trace saved beside a profile (``<profile>.gpu-trace.json``), or None; and a sentence
    saying why one that is there could not be read ("" when all is well or there is none)."""
    path = Path(str(profile_path) + GPU_TRACE_SUFFIX)
    if not str(profile_path) or not path.is_file():
        return None, ""
    try:
        return load_gpu_trace(path), ""
    except GpuTraceFormatError as exc:
        return None, f"The run's GPU trace could not be read, so its GPU columns and timeline are missing: {exc}"


def gpu_trace_from_json(raw: Any) -> GpuTrace:
    if not isinstance(raw, dict) or raw.get("format") != GPU_TRACE_FORMAT:
        raise GpuTraceFormatError("This file is not a gpuprof GPU trace.")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= GPU_TRACE_VERSION:
        raise GpuTraceFormatError(
            f"This GPU trace has format version {shown(version)}; this gpuprof reads version "
            f"{GPU_TRACE_VERSION}. Update gpuprof to open it."
        )
    try:
        names = [_text(x, f"name {i}", MAX_NAME) for i, x in enumerate(_list(raw.get("names"), "its name list"))]
        frames = [_frame(x, i) for i, x in enumerate(_list(raw.get("frames"), "its frame list"))]
        stacks = [_stack(x, i, len(frames)) for i, x in enumerate(_list(raw.get("stacks"), "its stack list"))]
        sizes = {"name": len(names), "stack": len(stacks)}
        tables = {t: _table(raw.get(t), t, sizes) for t in TABLES}
        meta = _meta(raw)
    except (NumberError, KeyError, TypeError, ValueError, OverflowError) as exc:
        clause = str(exc) if isinstance(exc, NumberError) else f"{type(exc).__name__}: {exc}"
        raise GpuTraceFormatError(f"The GPU trace is damaged: {clause}.") from exc
    return GpuTrace(meta, names, frames, stacks, tables)


def _list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise NumberError(f"{what} is not a list")
    return value


def _text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NumberError(f"{what} is {shown(value)}, not text")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _frame(value: Any, i: int) -> Frame:
    if not isinstance(value, list) or len(value) != 3:
        raise NumberError(f"frame {i} is not [file, line, function]")
    return (_text(value[0], f"frame {i} file", MAX_NAME), line_number(value[1], f"frame {i} line", lo=0),
            _text(value[2], f"frame {i} function"))  # fmt: skip


def _stack(value: Any, i: int, n_frames: int) -> tuple[int, ...]:
    items = _list(value, f"stack {i}")
    if not 1 <= len(items) <= MAX_DEPTH:
        raise NumberError(f"stack {i} has {len(items)} frames, not 1 to {MAX_DEPTH}")
    return tuple(int(number(x, f"stack {i} frame", 0, n_frames - 1)) if isinstance(x, int) else _not_index(x, i)
                 for x in items)  # fmt: skip


def _whole(value: Any, what: str, hi: int) -> int:
    """A whole number 0..hi, read exactly (a float would round a clock in ns)."""
    if type(value) is not int or not 0 <= value <= hi:
        raise NumberError(f"{what} is {shown(value)}, not a whole number from 0 to {hi}")
    return value


def _not_index(x: Any, i: int) -> int:
    raise NumberError(f"stack {i} frame is {shown(x)}, not a frame index")


def _column(values: Any, where: str, lo: int, hi: int) -> np.ndarray:
    values = _list(values, where)
    if set(map(type, values)) - {int}:
        bad = next(x for x in values if type(x) is not int)
        raise NumberError(f"{where} holds {shown(bad)}, not a whole number")
    try:
        arr = np.asarray(values, dtype=np.int64)
    except OverflowError:
        raise NumberError(f"{where} holds a number too large to read") from None
    outside = (arr < lo) | (arr > hi)
    if outside.any():
        i = int(np.argmax(outside))
        raise NumberError(f"{where} {i} is {int(arr[i])}, not a whole number from {lo} to {hi}")
    return arr


def _table(value: Any, table: str, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    if value is None:
        value = {c: [] for c in TABLES[table]}
    if not isinstance(value, dict):
        raise NumberError(f"the {table} table is not a record of columns")
    columns = {}
    for column, (kind, lo, hi) in TABLES[table].items():
        top = sizes[kind] - 1 if kind in sizes else hi
        columns[column] = _column(value.get(column), f"{table} {column}", lo, top)
    lengths = {len(a) for a in columns.values()}
    if len(lengths) > 1:
        raise NumberError(f"the {table} columns differ in length")
    late = columns["end"] < columns["start"]
    if late.any():
        i = int(np.argmax(late))
        raise NumberError(f"{table} {i} ends before it starts")
    return columns


_META_INTS = ("duration_ns", "dropped_records")
_CLOCK_KEYS = ("cupti_ns", "perf_ns", "cupti_end_ns", "perf_end_ns", "monotonic_ns")


_META_TEXTS = ("recorded_at", "host", "driver_version", "cuda_version", "cupti_version", "note")


def _meta(raw: dict[str, Any]) -> dict[str, Any]:
    """The known metadata, checked; other keys are dropped (nothing unchecked reaches a view)."""
    meta: dict[str, Any] = {"format": GPU_TRACE_FORMAT, "version": raw["version"]}
    meta |= {k: raw[k] for k in (*_META_TEXTS, *_META_INTS, "synthetic", "clock", "device") if k in raw}
    for key in _META_TEXTS:
        if key in meta:
            meta[key] = _text(meta[key], f"its {key}")
    meta["script"] = _text(raw.get("script"), "its script", MAX_NAME)
    meta["argv"] = [_text(a, "an argument", MAX_NAME) for a in _list(raw.get("argv", []), "its arguments")]
    meta["activities"] = [_text(a, "an activity kind") for a in _list(raw.get("activities", []), "its activities")]
    if not isinstance(meta.get("synthetic", False), bool):
        raise NumberError("its synthetic flag is not true or false")
    for key in _META_INTS:
        if key in meta:
            meta[key] = _whole(meta[key], f"its {key}", MAX_NS)
    clock = meta.get("clock", {})
    if not isinstance(clock, dict):
        raise NumberError("its clock is not a record")
    meta["clock"] = {k: _whole(clock[k], f"its clock {k}", 2**63 - 1) for k in _CLOCK_KEYS if k in clock}
    device = meta.get("device", {})
    if not isinstance(device, dict):
        raise NumberError("its device is not a record")
    meta["device"] = {
        "name": _text(device.get("name"), "its device name"),
        "index": _whole(device.get("index", 0), "its device index", 1023),
        "compute_capability": _text(device.get("compute_capability"), "its compute capability"),
    }
    return meta
