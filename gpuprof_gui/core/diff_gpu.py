"""Before and after a move to the GPU: a CPU run (A) against its GPU version (B, with B's GPU trace).

Which functions moved. The trace ties every kernel, copy, memset and sync to the Python stack that
issued it (library frames dropped). A function *issues* GPU work where it is the innermost frame of a
kernel, copy or memset. On each stack the outermost issuing frame is a *moved* function (the code
that now runs on the GPU: ``diffuse``, which copies in, calls ``sweeps_on_device`` for the kernels,
and copies out); the frames inside it are listed too, the callers above it (``simulate``, ``main``)
are not: their inclusive figures would only repeat the whole run.

Matching. Trace frames find their function in profile B by name and the longest common path tail
(a trace may hold paths relative to a checkout; the def line nearest at or above the frame's line
breaks ties). Profile B's function finds A's as :func:`gpuprof_gui.core.diff.match_functions`
pairs them; one still unpaired takes A's function of the same name in the *sibling script* — the
longest common folder tail, then the most time: ``heat_gpu.diffuse`` before is ``heat_cpu.diffuse``,
even when B also calls ``heat_cpu.diffuse`` (checking its result) and the diff pairs those two.
Names like ``<module>`` match that way only inside a common folder.

Figures per row, in seconds: ``cpu_before_s`` / ``cpu_after_s`` the function's inclusive time in A and
B (cProfile's per-function total: wall time, so B's includes launching and waiting for the GPU;
None where that run lacks the function); GPU kernel, copy, memset and sync times summed over the
events issued at or inside it (inclusive, each event once per function).

Totals: both runs' time; ``moved_before_s`` (A's time in the moved functions: what moved);
``moved_after_s`` (B's CPU time in them now); ``cpu_after_s`` = B's run less ``moved_after_s`` (CPU
work outside the moved code), and its share of B's run; what remains on the CPU, by user function.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import numpy as np

from gpuprof_gui.core.diff import match_functions
from gpuprof_gui.core.diff_gpu_text import sentences
from gpuprof_gui.core.gpu_trace import GpuTrace
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.selection import run_total_s

NS = 1e-9
WORK_TABLES = ("kernels", "copies", "memsets")
ROW_FIELDS = ("kernel_s", "launches", "copy_s", "copy_bytes", "copies", "memset_s", "sync_s")
STILL_CPU_TOP = 3
"""Functions named in the sentence on what remains on the CPU."""
LIBRARY_MARKS = ("site-packages", "dist-packages", "/lib/python", "<frozen", "\\lib\\")
"""A file with one of these in its path is a library, not the user's code (its time counts
for the nearest user function that called it)."""


def _parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p and p != "."]


def _tail(pa: list[str], pb: list[str]) -> int:
    n = 0
    while n < min(len(pa), len(pb)) and pa[-1 - n] == pb[-1 - n]:
        n += 1
    return n


def _frame_function(b: Profile, by_name: dict[str, list[int]], frame: tuple[str, int, str]) -> int:
    """Profile B's function of one trace frame (same name, file ending alike), or -1."""
    file, line, name = frame
    want = _parts(file)
    best, best_key = -1, None
    for i in by_name.get(name, ()):
        rec = b.functions[i]
        tail = _tail(want, _parts(rec.file))
        if tail == 0:
            continue
        key = (tail, rec.line <= line, -abs(line - rec.line))
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def _sibling(a: Profile, name: str, file: str) -> int:
    """A's function named ``name`` in the nearest folder to ``file`` (then the most time), or -1."""
    folder = _parts(file)[:-1]
    best, best_key = -1, None
    for i, rec in enumerate(a.functions):
        if rec.name != name or not rec.file:
            continue
        near = _tail(folder, _parts(rec.file)[:-1])
        if name.startswith("<") and near == 0:
            continue  # every script has a <module>: a name alone says nothing
        key = (near, rec.total_s)
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def _per_stack(trace: GpuTrace) -> dict[int, dict[str, float]]:
    """Per stack id (-1: not attributed): the ROW_FIELDS summed over its events."""
    out: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys(ROW_FIELDS, 0))
    spec = (("kernels", "kernel_s", "launches", None), ("copies", "copy_s", "copies", "bytes"),
            ("memsets", "memset_s", None, None), ("syncs", "sync_s", None, None))  # fmt: skip
    for table, time_key, count_key, bytes_col in spec:
        t = trace.tables[table]
        if not len(t["start"]):
            continue
        stacks, inv = np.unique(t["stack"], return_inverse=True)
        times = np.bincount(inv, weights=(t["end"] - t["start"]).astype(np.float64))
        counts = np.bincount(inv)
        sizes = np.bincount(inv, weights=t[bytes_col].astype(np.float64)) if bytes_col else None
        for j, stack in enumerate(stacks.tolist()):
            row = out[stack]
            row[time_key] += times[j] * NS
            if count_key:
                row[count_key] += int(counts[j])
            if sizes is not None:
                row["copy_bytes"] += int(sizes[j])
    return out


def before_after(a: Profile, b: Profile, trace: GpuTrace, pairs: list[tuple[int, int]] | None = None) -> dict[str, Any]:
    """Compare CPU run ``a`` with GPU run ``b`` and its ``trace`` (see the module doc); ``pairs`` as
    :func:`match_functions` makes them for (a, b), when the caller has them already.

    Returns ``{"functions": rows, "totals": {...}, "sentences": [...], "device": name, "note": text}``;
    rows are moved functions and the functions inside them, largest CPU time before first.
    """
    device = str(trace.meta.get("device", {}).get("name", ""))
    if a.unit != "s" or b.unit != "s":
        note = "The GPU before/after needs two runs timed in seconds; one of these counts samples."
        return {"functions": [], "totals": {}, "sentences": [note], "device": device, "note": note}
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(b.functions):
        by_name[rec.name].append(i)
    # A function key: ("b", index in B) or, for a frame B's profile lacks, ("t", file, name).
    frame_key = []
    for frame in trace.frames:
        ib = _frame_function(b, by_name, frame)
        frame_key.append(("b", ib) if ib >= 0 else ("t", frame[0], frame[2]))
    per_stack = _per_stack(trace)
    work = {s for s, row in per_stack.items() if row["kernel_s"] or row["copy_s"] or row["memset_s"]}
    issuers = {frame_key[trace.stacks[s][0]] for s in work if s >= 0}
    rows: dict[tuple, dict[str, float]] = {}
    moved: set[tuple] = set()
    for stack, figures in per_stack.items():
        if stack < 0:
            continue
        keys = list(dict.fromkeys(frame_key[f] for f in trace.stacks[stack]))  # innermost first, once each
        outer = max((i for i, k in enumerate(keys) if k in issuers), default=0)
        if stack in work:
            moved.add(keys[outer])
        for key in keys[: outer + 1]:
            row = rows.setdefault(key, dict.fromkeys(ROW_FIELDS, 0))
            for field in ROW_FIELDS:
                row[field] += figures[field]
    a_of = {ib: ia for ia, ib in (match_functions(a, b) if pairs is None else pairs) if ib >= 0}
    out_rows = [_row(a, b, key, figures, key in moved, a_of) for key, figures in rows.items()]
    out_rows.sort(key=lambda r: (not r["moved"], -(r["cpu_before_s"] or 0.0), -r["kernel_s"], r["name"]))
    totals = _totals(a, b, trace, per_stack, [k for k in moved if k[0] == "b"], out_rows)
    result = {"functions": out_rows, "totals": totals, "device": device, "note": ""}
    result["sentences"] = sentences(result)
    return result


def _row(a: Profile, b: Profile, key: tuple, figures: dict, moved: bool, pairs: dict[int, int]) -> dict[str, Any]:
    if key[0] == "b":
        rec = b.functions[key[1]]
        name, file, line, after = rec.name, rec.file, rec.line, rec.total_s
        ia, how = pairs.get(key[1], -1), "matched"
    else:
        name, file, line, after = key[2], key[1], 0, None
        ia, how = -1, ""
    if ia < 0:
        ia, how = _sibling(a, name, file), "sibling"
    before = a.functions[ia] if ia >= 0 else None
    return {
        "name": name,
        "file": file,
        "line": line,
        "moved": moved,
        "cpu_before_s": before.total_s if before else None,
        "cpu_after_s": after,
        "before_file": before.file if before else None,
        "before_line": before.line if before else None,
        "before_match": how if before else "",
        **{k: (int(v) if k in ("launches", "copies", "copy_bytes") else float(v)) for k, v in figures.items()},
    }


def _totals(a: Profile, b: Profile, trace: GpuTrace, per_stack: dict, moved_b: list[tuple], rows: list[dict]) -> dict:
    run_a, run_b = run_total_s(a), run_total_s(b)
    moved_rows = [r for r in rows if r["moved"]]
    moved_before = sum(r["cpu_before_s"] or 0.0 for r in moved_rows)
    moved_after = sum(b.functions[k[1]].total_s for k in moved_b)
    cpu_after = max(run_b - moved_after, 0.0)
    gpu = {f: sum(row[f] for row in per_stack.values()) for f in ROW_FIELDS}
    unattributed = per_stack.get(-1, dict.fromkeys(ROW_FIELDS, 0))
    return {
        "run_before_s": run_a,
        "run_after_s": run_b,
        "speedup": run_a / run_b if run_b > 0 else None,
        "moved_before_s": moved_before,
        "moved_after_s": moved_after,
        "cpu_after_s": cpu_after,
        "cpu_share_after": cpu_after / run_b if run_b > 0 else None,
        **{k: (int(v) if k in ("launches", "copies", "copy_bytes") else float(v)) for k, v in gpu.items()},
        "unattributed_s": float(sum(unattributed[f] for f in ("kernel_s", "copy_s", "memset_s", "sync_s"))),
        "still_cpu": _still_cpu(b, {k[1] for k in moved_b}, rows),
    }


def _is_library(file: str) -> bool:
    norm = file.replace("\\", "/")
    return not file or any(mark in norm or mark in file for mark in LIBRARY_MARKS)


def _still_cpu(b: Profile, moved: set[int], rows: list[dict], top: int = STILL_CPU_TOP) -> list[dict]:
    """B's CPU time outside the moved functions, charged to the nearest user function on the call path
    (numpy's percentile counts for ``summarize``), largest first: ``[{"name", "file", "s"}]``."""
    tree = b.tree
    n = len(tree)
    if not n:
        return []
    # The user's folders: where B's functions on the trace's stacks live.
    folders = {os.path.dirname(r["file"]) for r in rows if r["file"] and r["cpu_after_s"] is not None}
    funcs = b.functions

    def user(i: int) -> bool:
        file = funcs[i].file
        if folders:
            return os.path.dirname(file) in folders
        return not _is_library(file)

    is_user = np.array([user(i) for i in range(len(funcs))] + [False], dtype=bool)  # [-1]: the root
    is_moved = np.zeros(len(funcs) + 1, dtype=bool)
    is_moved[list(moved)] = True
    func = tree.func.astype(np.int64)
    owner = np.where(is_user[func], func, -1)  # nearest user function at or above each node
    inside = is_moved[func]  # the node runs inside a moved function
    order = np.argsort(tree.depth, kind="stable")
    bounds = np.searchsorted(tree.depth[order], np.arange(int(tree.depth.max()) + 2))
    for d in range(1, len(bounds) - 1):  # level by level: a parent is settled before its children
        idx = order[bounds[d] : bounds[d + 1]]
        parent = tree.parent[idx]
        owner[idx] = np.where(is_user[func[idx]], func[idx], owner[parent])
        inside[idx] |= inside[parent]
    keep = ~inside & (owner >= 0)
    spent = np.bincount(owner[keep], weights=tree.self_s[keep], minlength=len(funcs))
    largest = [int(i) for i in np.argsort(-spent, kind="stable")[:top] if spent[i] > 0]
    return [{"name": funcs[i].name, "file": funcs[i].file, "s": float(spent[i])} for i in largest]
