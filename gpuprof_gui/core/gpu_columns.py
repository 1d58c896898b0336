"""A run's GPU trace joined to its profile: GPU figures per function and per line of the profile.

The trace names Python frames as (file, line, function) as the tracer saw them; the profile names
functions by (name, file, first line). A trace's file is the profile's file when their real paths are
equal, else when one path ends with the other's parts (a trace saved with paths relative to a
repository, a profile with absolute ones), else when the two share the longest run of last parts and
no other file of the profile shares as many. A frame belongs to the function of that file with its
name (the last part of a qualified name) and the latest first line at or above the frame's line.

``own`` figures charge each event to the innermost frame (the line that called CuPy, the function
it is in): they add up to the trace's totals, less the events no profiled function issued
(``unattributed``). ``incl`` figures charge every function (or line) on the event's stack once,
as a profile's total time does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from gpuprof_gui.core.fmt import format_bytes, format_count, format_time, short_path
from gpuprof_gui.core.gpu_trace import Frame, GpuTrace
from gpuprof_gui.core.gpu_trace_summary import Totals
from gpuprof_gui.core.model import Profile

_SUMMED = ("kernel_ns", "launches", "copy_ns", "copy_bytes", "copies", "memset_ns", "sync_ns", "api_ns")

_TABLE_FIELDS = {  # table -> the Totals fields of its (time, count, bytes); per_line's arithmetic, by stack
    "kernels": ("kernel_ns", "launches", ""),
    "copies": ("copy_ns", "copies", "copy_bytes"),
    "memsets": ("memset_ns", "", ""),
    "syncs": ("sync_ns", "", ""),
    "api": ("api_ns", "", ""),
}

LineFigures = dict[str, dict[int, Totals]]
"""profile file -> line -> figures."""


def add_totals(into: Totals, more: Totals) -> Totals:
    for name in _SUMMED:
        setattr(into, name, getattr(into, name) + getattr(more, name))
    for kernel, count in more.kernels.items():
        into.kernels[kernel] = into.kernels.get(kernel, 0) + count
    return into


def has_gpu_work(t: Totals) -> bool:
    """Whether the figures hold GPU work or a wait for it (not CUDA API time alone)."""
    return bool(t.launches or t.copies or t.memset_ns or t.sync_ns or t.kernel_ns or t.copy_ns)


def gpu_time_ns(t: Totals) -> int:
    """Kernel, copy and memset time: the GPU's time on this code's work."""
    return t.kernel_ns + t.copy_ns + t.memset_ns


@dataclass
class GpuColumns:
    """What the table and the source view show of a run's GPU trace."""

    own: dict[int, Totals] = field(default_factory=dict)  # function id -> its own lines' work
    incl: dict[int, Totals] = field(default_factory=dict)  # function id -> work it or its callees issued
    lines: LineFigures = field(default_factory=dict)  # own: the line that called
    lines_incl: LineFigures = field(default_factory=dict)  # the line, or a call it made, issued the work
    unattributed: Totals = field(default_factory=Totals)  # no Python frame, or none of the profile's
    total: Totals = field(default_factory=Totals)

    def line_figures(self, file: str) -> tuple[dict[int, Totals], dict[int, Totals]]:
        """(own, through calls) per line of a profile file; through calls excludes the line's own work."""
        own = self.lines.get(file, {})
        via: dict[int, Totals] = {}
        for line, incl in self.lines_incl.get(file, {}).items():
            rest = add_totals(Totals(), incl)
            mine = own.get(line)
            if mine is not None:
                for name in _SUMMED:
                    setattr(rest, name, getattr(rest, name) - getattr(mine, name))
            if has_gpu_work(rest):
                via[line] = rest
        return own, via


def stack_totals(trace: GpuTrace) -> dict[int, Totals]:
    """Totals per stack index (-1: no Python frame), summed with numpy: a million events take a
    fraction of a second (a loop over them took 2 s, on the GUI thread)."""
    out: dict[int, Totals] = {}
    for table, (time_field, count_field, bytes_field) in _TABLE_FIELDS.items():
        t = trace.tables[table]
        if not len(t["stack"]):
            continue
        stacks, which = np.unique(t["stack"], return_inverse=True)
        sums = {time_field: t["end"] - t["start"], count_field: np.ones(len(which), np.int64)}
        if bytes_field:
            sums[bytes_field] = t["bytes"]
        for name, values in sums.items():
            if not name:
                continue
            for stack, value in zip(stacks.tolist(), _sums(which, values, len(stacks)), strict=True):
                totals = out.setdefault(stack, Totals())
                setattr(totals, name, getattr(totals, name) + value)
    k = trace.tables["kernels"]
    if len(k["stack"]):
        width = len(trace.names) + 1  # name -1 (none) becomes 0
        pairs, counts = np.unique((k["stack"] + 1) * width + k["name"] + 1, return_counts=True)
        for pair, count in zip(pairs.tolist(), counts.tolist(), strict=True):
            kernels = out[pair // width - 1].kernels
            name = trace.name(pair % width - 1)
            kernels[name] = kernels.get(name, 0) + count
    return out


def _sums(which: np.ndarray, values: np.ndarray, n: int) -> list[int]:
    """Exact whole-number sums of ``values`` by group: bincount's float sums are exact below 2**53
    (104 days in ns, 9 PB), numpy's slower add.at above."""
    if int(values.sum()) < 2**53:
        return [int(x) for x in np.bincount(which, weights=values, minlength=n).tolist()]
    acc = np.zeros(n, np.int64)
    np.add.at(acc, which, values)
    return acc.tolist()


def _parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]


class FileMatcher:
    """Maps a trace's file names to the profile's (see the module's docstring); None for no match."""

    def __init__(self, files: Iterable[str]) -> None:
        self._files = sorted({f for f in files if f})
        self._real: dict[str, str] = {}
        for f in self._files:
            self._real.setdefault(os.path.realpath(f), f)
        self._cache: dict[str, str | None] = {}

    def __call__(self, file: str) -> str | None:
        if file not in self._cache:
            self._cache[file] = self._match(file)
        return self._cache[file]

    def _match(self, file: str) -> str | None:
        if not file:
            return None
        if file in self._files:
            return file
        real = self._real.get(os.path.realpath(file))
        if real is not None:
            return real
        mine = _parts(file)
        best, best_n, tie = None, 0, False
        for candidate in self._files:
            theirs = _parts(candidate)
            n = 0
            while n < min(len(mine), len(theirs)) and mine[-1 - n] == theirs[-1 - n]:
                n += 1
            whole = n == min(len(mine), len(theirs))
            score = n + (1000 if whole else 0)  # one path ending with the whole other beats any partial run
            if n and score > best_n:
                best, best_n, tie = candidate, score, False
            elif n and score == best_n:
                tie = True
        return None if tie else best


def _short_name(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class FunctionFinder:
    """A trace frame -> the id of the profile's function it ran in, or -1."""

    def __init__(self, profile: Profile) -> None:
        self.files = FileMatcher(rec.file for rec in profile.functions)
        self._by_name: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for idx, rec in enumerate(profile.functions):
            if rec.file:
                self._by_name.setdefault((rec.file, _short_name(rec.name)), []).append((rec.line, idx))
        for entries in self._by_name.values():
            entries.sort()

    def __call__(self, frame: Frame) -> tuple[str | None, int]:
        """(the profile's file, the function id) of a frame; (None, -1) or (file, -1) where unmatched."""
        file = self.files(frame[0])
        if file is None:
            return None, -1
        entries = self._by_name.get((file, _short_name(frame[2])))
        if not entries:
            return file, -1
        above = [idx for first, idx in entries if first <= frame[1]]
        return file, (above[-1] if above else entries[0][1])


def gpu_columns(profile: Profile, trace: GpuTrace) -> GpuColumns:
    """Join ``trace`` to ``profile``: GPU figures per function and per line (see the module's docstring)."""
    find = FunctionFinder(profile)
    out = GpuColumns()
    for stack, totals in stack_totals(trace).items():
        add_totals(out.total, totals)
        frames = trace.stack_frames(stack)
        where = [find(f) for f in frames]
        if not where or where[0][1] < 0:
            add_totals(out.unattributed, totals)
        else:
            add_totals(out.own.setdefault(where[0][1], Totals()), totals)
        if where and where[0][0] is not None:
            line = out.lines.setdefault(where[0][0], {}).setdefault(frames[0][1], Totals())
            add_totals(line, totals)
        for func in dict.fromkeys(idx for _file, idx in where if idx >= 0):
            add_totals(out.incl.setdefault(func, Totals()), totals)
        for file, line_no in dict.fromkeys((w[0], f[1]) for w, f in zip(where, frames, strict=True)):
            if file is not None:
                add_totals(out.lines_incl.setdefault(file, {}).setdefault(line_no, Totals()), totals)
    return out


def _ms(ns: int) -> str:
    return format_time(ns / 1e9)


def gpu_figures_text(t: Totals) -> str:
    """One line: ``kernels 1.2 ms (60 launches) · copies 1.8 ms, 24 MiB · sync 20 µs`` (parts with work only)."""
    parts = []
    if t.launches or t.kernel_ns:
        parts.append(f"kernels {_ms(t.kernel_ns)} ({format_count(t.launches)} launch{'es' if t.launches != 1 else ''})")
    if t.copies or t.copy_ns:
        parts.append(f"copies {_ms(t.copy_ns)}, {format_bytes(t.copy_bytes)}")
    if t.memset_ns:
        parts.append(f"memsets {_ms(t.memset_ns)}")
    if t.sync_ns:
        parts.append(f"sync wait {_ms(t.sync_ns)}")
    return " · ".join(parts)


def gpu_columns_table(profile: Profile, trace: GpuTrace, top: int = 20) -> str:
    """Plain text for the command line: the functions and lines that gave the GPU the most work."""
    cols = gpu_columns(profile, trace)
    head = ("GPU kernel", "launches", "copies", "copied", "sync wait")

    def cells(t: Totals) -> list[str]:
        return [_ms(t.kernel_ns), format_count(t.launches), _ms(t.copy_ns), format_bytes(t.copy_bytes), _ms(t.sync_ns)]

    def weight(t: Totals) -> tuple[int, int]:
        return (gpu_time_ns(t) + t.sync_ns, t.launches)

    funcs = sorted((f for f, t in cols.own.items() if has_gpu_work(t)), key=lambda f: weight(cols.own[f]), reverse=True)
    rows = [[profile.functions[f].name, f"{short_path(profile.functions[f].file)}:{profile.functions[f].line}",
             *cells(cols.own[f])] for f in funcs[:top]]  # fmt: skip
    if has_gpu_work(cols.unattributed):
        rows.append(["(not in a profiled function)", "", *cells(cols.unattributed)])
    rows.append(["all GPU work", "", *cells(cols.total)])
    lines = sorted(((file, ln, t) for file, by in cols.lines.items() for ln, t in by.items() if has_gpu_work(t)),
                   key=lambda e: weight(e[2]), reverse=True)  # fmt: skip
    line_rows = [[f"{short_path(file)}:{ln}", *cells(t)] for file, ln, t in lines[:top]]
    device = trace.meta.get("device", {}).get("name") or "the GPU"
    text = [f"GPU work per function (own lines), traced on {device}:", _grid(["function", "where", *head], rows)]
    if line_rows:
        text += ["", "GPU work per line:", _grid(["line", *head], line_rows)]
    return "\n".join(text)


def _grid(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    n_text = len(head) - 5  # the first columns are names, the five figures are right-aligned

    def fmt(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < n_text else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    return "\n".join(fmt(r).rstrip() for r in [head, *rows])
