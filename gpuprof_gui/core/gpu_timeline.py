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
    by_length: np.ndarray = field(init=False)  # positions, longest event first
    dur_desc: np.ndarray = field(init=False)  # minus their lengths (ascending, for searchsorted)
    cats: np.ndarray = field(init=False)  # the categories present in the row
    cat_slot: np.ndarray = field(init=False)  # category -> its index in cats
    cat_cum: np.ndarray = field(init=False)  # (len(cats), n + 1) running sum of each category's event time

    def __post_init__(self) -> None:
        order = np.argsort(self.start, kind="stable")
        for name in ("start", "end", "cat", "index"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name)[order]))
        self.reach = np.maximum.accumulate(self.end) if len(self.end) else self.end.copy()
        self.busy_start, self.busy_end = merged(self.start, self.end)
        self.busy_cum = np.concatenate([[0], np.cumsum(self.busy_end - self.busy_start)]).astype(np.int64)
        dur = self.end - self.start
        self.by_length = np.argsort(-dur, kind="stable")
        self.dur_desc = -dur[self.by_length]
        self.cats = np.unique(self.cat).astype(np.int8) if len(self.cat) else np.zeros(1, np.int8)
        self.cat_slot = np.zeros(len(CATEGORIES), np.int64)
        self.cat_slot[self.cats] = np.arange(len(self.cats))
        # An instant counts as 1 ns so a column of instants still has a colour.
        weight = np.maximum(dur, 1)
        self.cat_cum = np.zeros((len(self.cats), len(dur) + 1), np.int64)
        for i, c in enumerate(self.cats):
            np.cumsum(np.where(self.cat == c, weight, 0), out=self.cat_cum[i, 1:])

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
    """The level of detail of ``row`` in [t0, t1) drawn ``width`` pixels wide.

    The work is about ``width`` binary searches per category plus the events a pixel wide or more
    (found from the row's events sorted by length), not a pass over every visible event: a whole
    view of a million events costs what a zoomed one does.
    """
    t0, t1, width = int(t0), max(int(t1), int(t0) + 1), max(1, int(width))
    span = t1 - t0
    edges = pixel_edges(t0, t1, width)
    lo, hi = row.visible(t0, t1)
    at_edge = np.searchsorted(row.start, edges, side="left")  # first event starting at or after each edge
    counts = np.diff(at_edge)
    first = int(at_edge[0])
    open_before = int(np.count_nonzero(row.end[lo:first] > t0)) if first > lo else 0  # started left of t0
    counts[0] += open_before
    # Events at least one pixel of the view long: dur * width >= span.
    least = -(-span // width)
    k = int(np.searchsorted(row.dur_desc, -least, side="right"))
    if k < hi - lo:
        cand = row.by_length[:k]
        pos = np.sort(cand[(cand >= lo) & (cand < hi)])
    else:
        pos = np.arange(lo, hi)[row.end[lo:hi] - row.start[lo:hi] >= least]
    pos = pos[(row.end[pos] > t0) | (row.start[pos] >= t0)]
    ws, we, wc = np.maximum(row.start[pos], t0), np.minimum(row.end[pos], t1), row.cat[pos]
    wcol = np.clip(np.searchsorted(edges, ws, side="right") - 1, 0, width - 1)
    narrow = counts - np.bincount(wcol, minlength=width)
    cols = np.flatnonzero(narrow)
    # The category with the most time among the narrow events starting in each column.
    weight = np.diff(row.cat_cum[:, at_edge], axis=1)  # (categories in the row, width)
    dur = row.end[pos] - row.start[pos]
    np.subtract.at(weight, (row.cat_slot[wc], wcol), np.where(row.start[pos] >= t0, np.maximum(dur, 1), 0))
    dominant = row.cats[np.argmax(weight[:, cols], axis=0)] if len(cols) else np.zeros(0, np.int8)
    busy = np.diff(row.busy_before(edges))
    return RowLod(ws, we, wc, pos, cols, narrow[cols], dominant, counts, busy)


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
