"""What a GPU trace says: busy %, kernel vs copy vs idle time, the longest idle gaps, and totals per Python
line and per function (kernel time, copy time and bytes, sync wait, launches).

All times in ns, as in the trace. The window is from the first traced event (a CUDA API call or GPU
work) to the last one's end; idle is the part of the window with no kernel, copy or memset running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpuprof_gui.core.fmt import format_bytes, format_count, format_pct, format_time, short_path
from gpuprof_gui.core.gpu_trace import COPY_KINDS, GpuTrace

GPU_TABLES = ("kernels", "copies", "memsets")
TOP_GAPS = 10


def merged(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of intervals [start, end) as sorted, disjoint (starts, ends)."""
    if len(start) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(start, kind="stable")
    s, e = start[order], end[order]
    reach = np.maximum.accumulate(e)
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    new[1:] = s[1:] > reach[:-1]
    firsts = np.flatnonzero(new)
    return s[firsts], np.maximum.reduceat(e, firsts)


def covered(start: np.ndarray, end: np.ndarray) -> int:
    s, e = merged(start, end)
    return int((e - s).sum())


def _gpu_intervals(trace: GpuTrace, tables: tuple[str, ...] = GPU_TABLES) -> tuple[np.ndarray, np.ndarray]:
    starts = [trace.tables[t]["start"] for t in tables]
    ends = [trace.tables[t]["end"] for t in tables]
    return np.concatenate(starts), np.concatenate(ends)


def window(trace: GpuTrace) -> tuple[int, int]:
    """First start and last end over every table (0, 0 for an empty trace)."""
    starts = [trace.tables[t]["start"] for t in trace.tables if trace.count(t)]
    if not starts:
        return 0, 0
    return int(min(s.min() for s in starts)), int(max(trace.tables[t]["end"].max() for t in trace.tables
                                                      if trace.count(t)))  # fmt: skip


def summarize(trace: GpuTrace, top_gaps: int = TOP_GAPS) -> dict[str, Any]:
    """The figures of the run: busy %, kernel/copy/overlap/idle ns, launches, copies by kind, the longest gaps."""
    lo, hi = window(trace)
    span = hi - lo
    busy = covered(*_gpu_intervals(trace))
    kernel = covered(*_gpu_intervals(trace, ("kernels",)))
    copy = covered(*_gpu_intervals(trace, ("copies", "memsets")))
    k, c = trace.tables["kernels"], trace.tables["copies"]
    syncs = trace.tables["syncs"]
    copies_by_kind = {
        kind: {"count": int((c["kind"] == i).sum()), "bytes": int(c["bytes"][c["kind"] == i].sum())}
        for i, kind in enumerate(COPY_KINDS)
        if (c["kind"] == i).any()
    }
    launch_api = _launch_api_ns(trace)
    return {
        "window_ns": span,
        "busy_ns": busy,
        "busy_pct": 100.0 * busy / span if span else 0.0,
        "kernel_ns": kernel,
        "copy_ns": copy,
        "overlap_ns": kernel + copy - busy,
        "idle_ns": span - busy,
        "kernel_sum_ns": int((k["end"] - k["start"]).sum()),
        "launches": trace.count("kernels"),
        "copies": trace.count("copies"),
        "copy_bytes": int(c["bytes"].sum()),
        "copies_by_kind": copies_by_kind,
        "memsets": trace.count("memsets"),
        "syncs": trace.count("syncs"),
        "sync_ns": int((syncs["end"] - syncs["start"]).sum()),
        "api_calls": trace.count("api"),
        "launch_api_mean_ns": float(np.mean(launch_api)) if len(launch_api) else 0.0,
        "streams": sorted({int(s) for t in GPU_TABLES for s in np.unique(trace.tables[t]["stream"])}),
        "gaps": idle_gaps(trace, top_gaps),
    }


def _launch_api_ns(trace: GpuTrace) -> np.ndarray:
    api = trace.tables["api"]
    # One test per distinct name, not per call: a million calls share a few dozen names.
    is_launch = np.asarray([*("Launch" in name for name in trace.names), False], dtype=bool)
    return (api["end"] - api["start"])[is_launch[api["name"]]]  # a name of -1 reads the last, False


def idle_gaps(trace: GpuTrace, top: int = TOP_GAPS) -> list[dict[str, Any]]:
    """The longest stretches with no GPU work inside the window, longest first.

    ``before``/``after`` are the stacks of the work that ended just before the gap and started right
    after it (the line that finally gave the GPU work); ``syncs`` the stacks of syncs that overlap it.
    """
    s, e = merged(*_gpu_intervals(trace))
    lo, hi = window(trace)
    if len(s) == 0:
        return []
    gap_start = np.concatenate([[lo], e])
    gap_end = np.concatenate([s, [hi]])
    length = gap_end - gap_start
    order = np.argsort(-length, kind="stable")[:top]
    starts, ends = _gpu_intervals(trace)
    stacks = np.concatenate([trace.tables[t]["stack"] for t in GPU_TABLES])
    sync = trace.tables["syncs"]
    gaps = []
    for i in order:
        if length[i] <= 0:
            break
        g0, g1 = int(gap_start[i]), int(gap_end[i])
        before = np.flatnonzero(ends == g0)
        after = np.flatnonzero(starts == g1)
        inside = (sync["start"] < g1) & (sync["end"] > g0)
        gaps.append({
            "start_ns": g0, "end_ns": g1, "duration_ns": g1 - g0,
            "before": int(stacks[before[0]]) if len(before) else -1,
            "after": int(stacks[after[0]]) if len(after) else -1,
            "syncs": sorted({int(x) for x in sync["stack"][inside] if x >= 0}),
        })  # fmt: skip
    return gaps


@dataclass
class Totals:
    """GPU figures charged to one Python line or function."""

    kernel_ns: int = 0
    launches: int = 0
    copy_ns: int = 0
    copy_bytes: int = 0
    copies: int = 0
    memset_ns: int = 0
    sync_ns: int = 0
    api_ns: int = 0
    kernels: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _keys_line(trace: GpuTrace, stack: int) -> list[tuple]:
    frames = trace.stack_frames(stack)
    return [(frames[0][0], frames[0][1], frames[0][2])] if frames else [("", 0, "(not attributed)")]


def _keys_function(trace: GpuTrace, stack: int, inclusive: bool) -> list[tuple]:
    frames = trace.stack_frames(stack)
    if not frames:
        return [("", "(not attributed)")]
    keys = [(f[0], f[2]) for f in (frames if inclusive else frames[:1])]
    return list(dict.fromkeys(keys))


def _charge(trace: GpuTrace, keys_of) -> dict[tuple, Totals]:
    out: dict[tuple, Totals] = {}
    cache: dict[int, list[tuple]] = {}

    def each(table: str):
        t = trace.tables[table]
        for i in range(trace.count(table)):
            stack = int(t["stack"][i])
            if stack not in cache:
                cache[stack] = keys_of(stack)
            for key in cache[stack]:
                yield i, out.setdefault(key, Totals())

    k = trace.tables["kernels"]
    for i, tot in each("kernels"):
        tot.kernel_ns += int(k["end"][i] - k["start"][i])
        tot.launches += 1
        name = trace.name(int(k["name"][i]))
        tot.kernels[name] = tot.kernels.get(name, 0) + 1
    c = trace.tables["copies"]
    for i, tot in each("copies"):
        tot.copy_ns += int(c["end"][i] - c["start"][i])
        tot.copy_bytes += int(c["bytes"][i])
        tot.copies += 1
    m = trace.tables["memsets"]
    for i, tot in each("memsets"):
        tot.memset_ns += int(m["end"][i] - m["start"][i])
    s = trace.tables["syncs"]
    for i, tot in each("syncs"):
        tot.sync_ns += int(s["end"][i] - s["start"][i])
    a = trace.tables["api"]
    for i, tot in each("api"):
        tot.api_ns += int(a["end"][i] - a["start"][i])
    return out


def per_line(trace: GpuTrace) -> dict[tuple[str, int, str], Totals]:
    """Totals per (file, line, function) of the innermost Python frame that issued the work."""
    return _charge(trace, lambda stack: _keys_line(trace, stack))


def per_function(trace: GpuTrace, inclusive: bool = False) -> dict[tuple[str, str], Totals]:
    """Totals per (file, function): the innermost frame's, or (inclusive) every function on the stack once."""
    return _charge(trace, lambda stack: _keys_function(trace, stack, inclusive))


def stack_place(trace: GpuTrace, stack: int) -> str:
    """``file:line function`` of a stack's innermost frame (the user's line), or "a library thread"."""
    frames = trace.stack_frames(stack)
    if not frames:
        return "no Python line (a library thread)"
    file, line, function = frames[0]
    return f"{short_path(file)}:{line} {function}"


def summary_text(trace: GpuTrace, summary: dict[str, Any] | None = None, gaps: int = 3) -> str:
    """The trace's figures as a few plain lines (the command line's GPU block)."""
    s = summary if summary is not None else summarize(trace)
    device = trace.meta.get("device", {}).get("name") or "the GPU"
    ns = 1e-9
    lines = [
        f"GPU trace on {device}: busy {format_pct(s['busy_pct'])} of {format_time(s['window_ns'] * ns)} "
        f"(kernels {format_time(s['kernel_ns'] * ns)}, copies and memsets {format_time(s['copy_ns'] * ns)}, "
        f"idle {format_time(s['idle_ns'] * ns)})",
        f"  {format_count(s['launches'])} kernel launches "
        f"(mean launch call {format_time(s['launch_api_mean_ns'] * ns)}), "
        f"{format_count(s['copies'])} copies ({format_bytes(s['copy_bytes'])}), "
        f"{format_count(s['syncs'])} synchronisations waiting {format_time(s['sync_ns'] * ns)}",
    ]
    for kind, figures in s["copies_by_kind"].items():
        lines.append(f"  {kind}: {format_count(figures['count'])} copies, {format_bytes(figures['bytes'])}")
    for gap in s["gaps"][:gaps]:
        cause = gap["after"] if gap["after"] >= 0 else gap["before"]
        lines.append(
            f"  GPU idle {format_time(gap['duration_ns'] * ns)} at {format_time(gap['start_ns'] * ns)}, "
            f"until {stack_place(trace, cause)}"
        )
    return "\n".join(lines)
