"""What the GPU timeline points at: idle gaps and sync stalls, each with the Python line behind it,
the summary figures, an event's description for a tooltip, and GPU telemetry on the trace's axis.

No Qt. A *gap* is a stretch inside the run with no kernel, copy or memset running (the line is the one
whose launch ended it). A *stall* is time the CPU spent blocked on the GPU: a sync that waited long,
or a copy to or from pageable memory (the driver stages it and the CPU waits for it to finish).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpuprof_gui.core.fmt import format_bytes, format_pct, format_time
from gpuprof_gui.core.gpu_timeline import COPY, KERNEL, MEMSET, NO_STREAM, RANGE, SYNC, TABLE_OF
from gpuprof_gui.core.gpu_trace import COPY_KINDS, MEMORY_KINDS, SYNC_TYPES, Frame, GpuTrace
from gpuprof_gui.core.gpu_trace_summary import idle_gaps, summarize

MIN_GAP_NS = 100_000
"""Gaps shorter than 0.1 ms are launch latency, not a problem worth a highlight (a launch costs ~5 µs)."""
GAP_SHARE = 0.005
"""...and a gap must also be 0.5% of the run to be marked: a long run has many small harmless gaps."""
MIN_STALL_NS = 100_000
"""A sync or pageable copy that blocked the CPU for 0.1 ms or more is marked as a stall."""
MAX_MARKS = 50
"""At most this many gaps (and as many stalls) are kept, longest first (each costs a pass over the events)."""
PAGEABLE = MEMORY_KINDS.index("pageable")


@dataclass(frozen=True)
class Mark:
    """A highlighted interval: an idle gap or a stall, and the Python line that caused it."""

    kind: str  # "gap" or "stall"
    start: int
    end: int
    what: str  # a short plain description
    frame: Frame | None  # (file, line, function) of the line behind it, None when not known

    @property
    def duration(self) -> int:
        return self.end - self.start

    def line_text(self, short: bool = False) -> str:
        """``file:line in function``; ``short``: the file as its name (a list item's room)."""
        if not self.frame:
            return "no Python line recorded"
        file = os.path.basename(self.frame[0]) if short else self.frame[0]
        return f"{file}:{self.frame[1]} in {self.frame[2]}"


def _frame(trace: GpuTrace, stack: int) -> Frame | None:
    frames = trace.stack_frames(stack)
    return frames[0] if frames else None


def idle_marks(trace: GpuTrace) -> list[Mark]:
    """Idle gaps long enough to matter, longest first."""
    span = summarize_span(trace)
    least = max(MIN_GAP_NS, int(GAP_SHARE * span))
    out = []
    for gap in idle_gaps(trace, MAX_MARKS):
        if gap["duration_ns"] < least:
            break
        stack = gap["after"] if gap["after"] >= 0 else (gap["syncs"][0] if gap["syncs"] else gap["before"])
        why = "ended by a launch" if gap["after"] >= 0 else "after the last GPU work"
        out.append(Mark("gap", gap["start_ns"], gap["end_ns"], f"GPU idle {format_time(gap['duration_ns'] / 1e9)}, "
                        f"{why}", _frame(trace, stack)))  # fmt: skip
    return out


def summarize_span(trace: GpuTrace) -> int:
    starts = [trace.tables[t]["start"].min() for t in trace.tables if trace.count(t)]
    ends = [trace.tables[t]["end"].max() for t in trace.tables if trace.count(t)]
    return int(max(ends) - min(starts)) if starts else 0


def stall_marks(trace: GpuTrace) -> list[Mark]:
    """Long syncs and copies through pageable memory, longest first."""
    out = []
    s = trace.tables["syncs"]
    for i in np.flatnonzero(s["end"] - s["start"] >= MIN_STALL_NS):
        length = int(s["end"][i] - s["start"][i])
        kind = SYNC_TYPES[int(s["type"][i])].replace("_", " ")
        what = f"CPU waited {format_time(length / 1e9)} in a {kind} sync"
        out.append(Mark("stall", int(s["start"][i]), int(s["end"][i]), what, _frame(trace, int(s["stack"][i]))))
    c = trace.tables["copies"]
    pageable = ((c["src"] == PAGEABLE) | (c["dst"] == PAGEABLE)) & (c["end"] - c["start"] >= MIN_STALL_NS)
    for i in np.flatnonzero(pageable):
        length = int(c["end"][i] - c["start"][i])
        what = (f"{COPY_KINDS[int(c['kind'][i])]} copy of {format_bytes(int(c['bytes'][i]))} through pageable memory "
                f"blocked the CPU {format_time(length / 1e9)}")  # fmt: skip
        out.append(Mark("stall", int(c["start"][i]), int(c["end"][i]), what, _frame(trace, int(c["stack"][i]))))
    out.sort(key=lambda m: -m.duration)
    return out[:MAX_MARKS]


def launch_overhead_ns(trace: GpuTrace) -> tuple[int, int]:
    """(launch API calls, their summed time in ns): what the CPU paid to start kernels."""
    api = trace.tables["api"]
    is_launch = np.array(["Launch" in name for name in trace.names] + [False], dtype=bool)
    launch = is_launch[np.where(api["name"] >= 0, api["name"], len(trace.names))]
    return int(launch.sum()), int((api["end"] - api["start"])[launch].sum())


def summary_figures(trace: GpuTrace) -> dict[str, Any]:
    """:func:`summarize` and the launch overhead, for the summary pane."""
    figures = summarize(trace, top_gaps=0)
    figures["launch_calls"], figures["launch_api_ns"] = launch_overhead_ns(trace)
    return figures


def _pct(part: int, whole: int) -> str:
    return format_pct(100.0 * part / whole) if whole else "—"


def summary_lines(figures: dict[str, Any]) -> list[str]:
    """The summary pane's figures as short lines (plain text)."""
    span = figures["window_ns"]
    return [
        f"GPU busy {format_pct(figures['busy_pct'])} of {format_time(span / 1e9)}",
        f"Kernels {format_time(figures['kernel_ns'] / 1e9)} ({_pct(figures['kernel_ns'], span)})",
        f"Copies and memsets {format_time(figures['copy_ns'] / 1e9)} ({_pct(figures['copy_ns'], span)})",
        f"Idle {format_time(figures['idle_ns'] / 1e9)} ({_pct(figures['idle_ns'], span)})",
        f"{figures['launches']:,} kernel launches; launch calls took {format_time(figures['launch_api_ns'] / 1e9)}"
        + (
            f" ({format_time(figures['launch_api_ns'] / figures['launch_calls'] / 1e9)} each)"
            if figures["launch_calls"]
            else ""
        ),
        f"{figures['copies']:,} copies, {format_bytes(figures['copy_bytes'])}; "
        f"{figures['syncs']:,} syncs waited {format_time(figures['sync_ns'] / 1e9)}",
    ]


def describe_event(trace: GpuTrace, cat: int, index: int) -> str:
    """A tooltip for one event: what it is, how long, and the Python line that issued it (plain text)."""
    t = trace.tables[TABLE_OF[cat]]
    length = int(t["end"][index] - t["start"][index])
    lines = []
    if cat == KERNEL:
        grid = "×".join(str(int(t[f"grid_{a}"][index])) for a in "xyz")
        block = "×".join(str(int(t[f"block_{a}"][index])) for a in "xyz")
        lines += [f"Kernel {trace.name(int(t['name'][index]))}", f"grid {grid}, block {block}"]
    elif cat == COPY:
        src, dst = MEMORY_KINDS[int(t["src"][index])], MEMORY_KINDS[int(t["dst"][index])]
        pinned = "pageable: the CPU waits" if PAGEABLE in (int(t["src"][index]), int(t["dst"][index])) else "pinned"
        lines += [f"Copy {COPY_KINDS[int(t['kind'][index])]}, {format_bytes(int(t['bytes'][index]))}",
                  f"{src} → {dst} ({pinned})"]  # fmt: skip
    elif cat == MEMSET:
        lines.append(f"Memset {format_bytes(int(t['bytes'][index]))}")
    elif cat == SYNC:
        stream = int(t["stream"][index])
        on = "the whole device" if stream == NO_STREAM else f"stream {stream}"
        lines.append(f"Sync ({SYNC_TYPES[int(t['type'][index])].replace('_', ' ')}) waiting for {on}")
    else:
        lines.append(f"{'NVTX range' if cat == RANGE else 'CUDA call'} {trace.name(int(t['name'][index]))}")
    if "stream" in t and cat != SYNC:
        lines.append(f"stream {int(t['stream'][index])}")
    lines.append(f"{format_time(length / 1e9)} at {format_time(int(t['start'][index]) / 1e9)}")
    frame = _frame(trace, int(t["stack"][index])) if "stack" in t else None
    if frame is not None:
        lines.append(f"launched from {frame[0]}:{frame[1]} in {frame[2]}")
    elif "stack" in t:
        lines.append("no Python line recorded (a library thread)")
    return "\n".join(lines)


def event_frame(trace: GpuTrace, cat: int, index: int) -> Frame | None:
    """The Python line that issued an event, or None."""
    t = trace.tables[TABLE_OF[cat]]
    return _frame(trace, int(t["stack"][index])) if "stack" in t else None


def telemetry_offset_ns(t0_monotonic_s: float | None, trace: GpuTrace) -> float | None:
    """Add to a telemetry sample's time (in ns since its own t=0) to put it on the trace's axis; None
    when either file lacks its monotonic clock stamp, so the two cannot be lined up."""
    monotonic_ns = trace.meta.get("clock", {}).get("monotonic_ns")
    if not t0_monotonic_s or monotonic_ns is None:
        return None
    return t0_monotonic_s * 1e9 - float(monotonic_ns)


def on_trace_axis(t_s: np.ndarray, offset_ns: float) -> np.ndarray:
    """Telemetry sample times (s since the telemetry's t=0) as ns on the trace's axis."""
    return np.asarray(t_s, dtype=np.float64) * 1e9 + offset_ns
