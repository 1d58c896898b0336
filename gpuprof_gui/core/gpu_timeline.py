"""The GPU timeline as data: one row per CPU thread that called CUDA (its API calls; its NVTX ranges
as a row of their own) and one per GPU stream (kernels, copies, memsets, with the sync waits on it),
and the level of detail a view draws at a zoom.

No Qt. :func:`timeline_rows` builds the rows once per trace; :func:`row_lod` answers, for a visible
time range and a width in pixels, which events to draw one by one (those a pixel wide or more) and,
for the narrower ones, one merged column per pixel with how many events it holds and how long the row
was busy there, so a million events draw as at most about rows × width rectangles. Counts and busy
time are exact: pixel edges are whole nanoseconds and busy time is the union of the row's events.
Highlights (idle gaps, sync stalls) are :mod:`gpuprof_gui.core.gpu_timeline_marks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gpuprof_gui.core.gpu_trace import GpuTrace
from gpuprof_gui.core.gpu_trace_summary import merged

CATEGORIES = ("kernel", "copy", "memset", "api", "range", "sync")
"""Colour classes of events; a row's ``cat`` column indexes this."""
KERNEL, COPY, MEMSET, API, RANGE, SYNC = range(len(CATEGORIES))
TABLE_OF = {KERNEL: "kernels", COPY: "copies", MEMSET: "memsets", API: "api", RANGE: "markers", SYNC: "syncs"}
NO_STREAM = 2**32 - 1
"""CUPTI's stream id for a sync that waits on no one stream (an event or the whole context)."""


@dataclass
class Row:
    """One lane of the timeline: events sorted by start, and what the level of detail needs."""

    label: str
    kind: str  # "thread" (CUDA API calls), "ranges" (NVTX of a thread), "stream" (GPU work)
    ident: int  # the thread or stream id
    start: np.ndarray
    end: np.ndarray
    cat: np.ndarray  # index into CATEGORIES
    index: np.ndarray  # the event's row in its trace table (TABLE_OF[cat])
    waits: Row | None = None  # a stream's sync waits, drawn as a thin strip in its lane
    reach: np.ndarray = field(init=False)  # running max of end: the first event still open at t
    busy_start: np.ndarray = field(init=False)  # the union of the events, as disjoint intervals
    busy_end: np.ndarray = field(init=False)
    busy_cum: np.ndarray = field(init=False)  # busy ns before each union interval

    def __post_init__(self) -> None:
        order = np.argsort(self.start, kind="stable")
        for name in ("start", "end", "cat", "index"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name)[order]))
        self.reach = np.maximum.accumulate(self.end) if len(self.end) else self.end.copy()
        self.busy_start, self.busy_end = merged(self.start, self.end)
        self.busy_cum = np.concatenate([[0], np.cumsum(self.busy_end - self.busy_start)]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.start)

    def visible(self, t0: int, t1: int) -> tuple[int, int]:
        """The slice [lo, hi) of events that may overlap [t0, t1); filter by end > t0 inside it."""
        lo = int(np.searchsorted(self.reach, t0, side="right"))
        hi = int(np.searchsorted(self.start, t1, side="left"))
        return lo, max(lo, hi)

    def busy_before(self, t: np.ndarray) -> np.ndarray:
        """Busy ns of the row before each time in ``t`` (int64, exact)."""
        k = np.searchsorted(self.busy_start, t, side="right") - 1
        inside = np.minimum(t, self.busy_end[np.maximum(k, 0)]) - self.busy_start[np.maximum(k, 0)]
        return np.where(k >= 0, self.busy_cum[np.maximum(k, 0)] + inside, 0)


def _row(label: str, kind: str, ident: int, parts: list[tuple[int, np.ndarray]], trace: GpuTrace) -> Row:
    starts, ends, cats, idx = [], [], [], []
    for cat, table_rows in parts:
        t = trace.tables[TABLE_OF[cat]]
        starts.append(t["start"][table_rows])
        ends.append(t["end"][table_rows])
        cats.append(np.full(len(table_rows), cat, np.int8))
        idx.append(table_rows.astype(np.int64))
    return Row(label, kind, ident, np.concatenate(starts), np.concatenate(ends), np.concatenate(cats),
               np.concatenate(idx))  # fmt: skip


def timeline_rows(trace: GpuTrace) -> list[Row]:
    """CPU threads first (each followed by its NVTX row when it has ranges), then the GPU streams."""
    rows: list[Row] = []
    api, markers = trace.tables["api"], trace.tables["markers"]
    threads = list(dict.fromkeys(int(x) for x in np.concatenate([api["thread"], markers["thread"]])))
    for n, thread in enumerate(threads, 1):
        calls = np.flatnonzero(api["thread"] == thread)
        if len(calls):
            rows.append(_row(f"CPU thread {n} · CUDA calls", "thread", thread, [(API, calls)], trace))
        ranges = np.flatnonzero(markers["thread"] == thread)
        if len(ranges):
            rows.append(_row(f"CPU thread {n} · NVTX", "ranges", thread, [(RANGE, ranges)], trace))
    syncs = trace.tables["syncs"]
    streams = sorted({int(s) for t in ("kernels", "copies", "memsets") for s in np.unique(trace.tables[t]["stream"])})
    for stream in streams:
        parts = [
            (cat, np.flatnonzero(trace.tables[TABLE_OF[cat]]["stream"] == stream)) for cat in (KERNEL, COPY, MEMSET)
        ]
        row = _row(f"GPU stream {stream}", "stream", stream, parts, trace)
        waits = np.flatnonzero((syncs["stream"] == stream) | (syncs["stream"] == NO_STREAM))
        row.waits = _row(f"stream {stream} sync waits", "waits", stream, [(SYNC, waits)], trace)
        rows.append(row)
    return rows


@dataclass
class RowLod:
    """What to draw of one row at one zoom (times in ns, columns are pixel columns from 0)."""

    wide_start: np.ndarray  # events at least one pixel wide, clipped to the view
    wide_end: np.ndarray
    wide_cat: np.ndarray
    wide_pos: np.ndarray  # their position in the row's arrays
    narrow_col: np.ndarray  # pixel columns holding narrower events (one merged rectangle each)
    narrow_count: np.ndarray  # how many narrower events start there
    narrow_cat: np.ndarray  # the category with the most time there
    column_count: np.ndarray  # (width,) every visible event, by the column its visible part starts in
    column_busy_ns: np.ndarray  # (width,) busy ns of the row inside each column (union, exact)

    @property
    def rect_count(self) -> int:
        return len(self.wide_start) + len(self.narrow_col)


def pixel_edges(t0: int, t1: int, width: int) -> np.ndarray:
    """``width + 1`` whole-nanosecond column edges from t0 to t1."""
    return t0 + (np.arange(width + 1, dtype=np.int64) * (t1 - t0)) // max(1, width)


def row_lod(row: Row, t0: int, t1: int, width: int) -> RowLod:
    """The level of detail of ``row`` in [t0, t1) drawn ``width`` pixels wide."""
    t0, t1, width = int(t0), max(int(t1), int(t0) + 1), max(1, int(width))
    edges = pixel_edges(t0, t1, width)
    lo, hi = row.visible(t0, t1)
    s, e = row.start[lo:hi], row.end[lo:hi]
    keep = (e > t0) | ((e == s) & (s >= t0))  # a zero-length event at t0 is still there
    pos = np.flatnonzero(keep) + lo
    s, e = np.maximum(row.start[pos], t0), np.minimum(row.end[pos], t1)
    cat = row.cat[pos]
    col = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, width - 1)
    wide = (row.end[pos] - row.start[pos]) * width >= (t1 - t0)  # at least one pixel of the whole view
    narrow = ~wide
    n_cols = np.bincount(col[narrow], minlength=width)
    # Dominant category per column, by time (an instant counts as 1 ns so it still has a colour).
    weight = np.maximum(e[narrow] - s[narrow], 1)
    by_cat = np.bincount(col[narrow] * len(CATEGORIES) + cat[narrow], weights=weight,
                         minlength=width * len(CATEGORIES)).reshape(width, len(CATEGORIES))  # fmt: skip
    cols = np.flatnonzero(n_cols)
    busy = np.diff(row.busy_before(edges))
    return RowLod(
        s[wide], e[wide], cat[wide], pos[wide],
        cols, n_cols[cols], by_cat[cols].argmax(axis=1).astype(np.int8) if len(cols) else np.zeros(0, np.int8),
        np.bincount(col, minlength=width), busy,
    )  # fmt: skip


def event_at(row: Row, t: float, slack_ns: float) -> int:
    """Position in ``row`` of the event under time ``t`` (within ``slack_ns``, the shortest wins), or -1."""
    lo, hi = row.visible(int(t - slack_ns), int(t + slack_ns) + 1)
    if hi <= lo:
        return -1
    s, e = row.start[lo:hi], row.end[lo:hi]
    hit = (s <= t + slack_ns) & (e >= t - slack_ns)
    if not hit.any():
        return -1
    cand = np.flatnonzero(hit)
    inside = (s[cand] <= t) & (e[cand] >= t)
    if inside.any():
        cand = cand[inside]
    return int(lo + cand[np.argmin((e - s)[cand])])


def trace_span(trace: GpuTrace) -> tuple[int, int]:
    """The time range to show at first: every event, at least 1 µs."""
    starts = [trace.tables[t]["start"].min() for t in trace.tables if trace.count(t)]
    ends = [trace.tables[t]["end"].max() for t in trace.tables if trace.count(t)]
    if not starts:
        return 0, max(1000, int(trace.meta.get("duration_ns", 0) or 0))
    lo, hi = int(min(starts)), int(max(ends))
    return lo, max(hi, lo + 1000)
