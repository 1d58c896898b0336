"""Scalene 2.x JSON (``scalene run -o out.json script.py``) -> :class:`Profile`.

Scalene samples whole Python stacks (``stacks``), so the call tree is true,
not estimated. Per-line percentages are of the whole run; times are derived
as ``percent / 100 x elapsed``.

Function self time is summed from the function's own lines (the lines whose
``start_function_line`` is the function's first line), not taken from
Scalene's ``functions`` table: in Scalene 2.4 that table leaves out loop
header lines (measured: ``mod_work`` 17 % in the table, 34 % in its lines),
so it would not add up to the run. The table is the fallback where a
function has no line entries.
"""

from __future__ import annotations

import math

from gpuprof_gui.core.importers._stacks import tree_from_stacks
from gpuprof_gui.core.importers.errors import ProfileFormatError, damage_reported_as
from gpuprof_gui.core.model import FunctionRecord, LineRecord, Profile, TreeBuilder

EMPTY_MESSAGE = (
    "Scalene wrote an empty profile ({}): the run was too short to sample. "
    "Profile a longer run, or use cProfile for short scripts."
)
NO_SAMPLES_MESSAGE = (
    "The Scalene profile holds no CPU samples: the run was too short to sample. "
    "Profile a longer run, or use cProfile for short scripts."
)
MODULE_NAME = "<module>"
FLAT_NOTE = "Scalene recorded no call stacks for this run: the flame graph lists functions without callers."
SOURCES_NOTE = (
    "Function times come from Scalene's per-line samples; the flame graph comes from its sampled "
    "stacks, which can place a generator expression or lambda under its own name."
)

# (attribute on LineRecord/FunctionRecord, Scalene key)
_PCT_FIELDS = (
    ("cpu_python_pct", "n_cpu_percent_python"),
    ("cpu_native_pct", "n_cpu_percent_c"),
    ("cpu_system_pct", "n_sys_percent"),
    ("gpu_pct", "n_gpu_percent"),
)


def import_scalene(obj: dict) -> Profile:
    """Build a Profile from a parsed Scalene 2.x JSON object."""
    if not isinstance(obj, dict):
        raise ProfileFormatError("The file is JSON but not a Scalene profile (it is not an object).")
    if not obj:
        raise ProfileFormatError(EMPTY_MESSAGE)
    if "files" not in obj or "elapsed_time_sec" not in obj:
        raise ProfileFormatError("The file is JSON but not a Scalene profile (no 'files' or 'elapsed_time_sec').")
    with damage_reported_as("The Scalene profile"):
        return _import(obj)


def _num(value) -> float:
    """A Scalene number, with absent/null/non-finite read as 0."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


class _Functions:
    """Function table keyed by (file, name), plus which function owns which line region."""

    def __init__(self) -> None:
        self.records: list[FunctionRecord] = []
        self.index: dict[tuple[str, str], int] = {}
        self.region_owner: dict[tuple[str, int], int] = {}  # (file, first line) -> func

    def get(self, file: str, name: str, def_line: int = 0) -> int:
        key = (file, name)
        idx = self.index.get(key)
        if idx is None:
            idx = len(self.records)
            self.records.append(FunctionRecord(name, file, def_line))
            self.index[key] = idx
        return idx


def _import(obj: dict) -> Profile:
    elapsed_s = _num(obj.get("elapsed_time_sec"))
    funcs = _Functions()
    lines: dict[str, dict[int, LineRecord]] = {}
    region_of_line: dict[tuple[str, int], int] = {}
    region_pcts: dict[tuple[str, int], dict[str, float]] = {}
    cpu_pct_total = 0.0

    for file, fdata in (obj.get("files") or {}).items():
        for fu in fdata.get("functions") or []:
            idx = funcs.get(file, str(fu.get("line", "?")), int(_num(fu.get("lineno"))))
            rec = funcs.records[idx]
            for attr, key in _PCT_FIELDS:
                setattr(rec, attr, _num(fu.get(key)))
            rec.mem_peak_mb = _num(fu.get("n_peak_mb"))
            funcs.region_owner.setdefault((file, rec.line), idx)
        file_lines: dict[int, LineRecord] = {}
        for ln in fdata.get("lines") or []:
            lineno = int(_num(ln.get("lineno")))
            region = int(_num(ln.get("start_function_line")))
            region_of_line[(file, lineno)] = region
            rec = LineRecord(**{attr: _num(ln.get(key)) for attr, key in _PCT_FIELDS})
            rec.mem_peak_mb = _num(ln.get("n_peak_mb"))
            if rec.cpu_pct <= 0 and rec.mem_peak_mb <= 0 and rec.gpu_pct <= 0:
                continue
            rec.self_s = rec.cpu_pct / 100.0 * elapsed_s
            file_lines[lineno] = rec
            cpu_pct_total += rec.cpu_pct
            acc = region_pcts.setdefault((file, region), dict.fromkeys(("mem_peak_mb",) + tuple(a for a, _ in _PCT_FIELDS), 0.0))
            for attr, _ in _PCT_FIELDS:
                acc[attr] += getattr(rec, attr)
            acc["mem_peak_mb"] = max(acc["mem_peak_mb"], rec.mem_peak_mb)
        if file_lines:
            lines[file] = file_lines

    stacks = _parse_stacks(obj, funcs, region_of_line)
    if cpu_pct_total <= 0 and not stacks:
        raise ProfileFormatError(NO_SAMPLES_MESSAGE)
    # Module-level lines have start_function_line 0: they belong to <module>.
    for file, region in region_pcts:
        if region == 0 and (file, 0) not in funcs.region_owner:
            funcs.region_owner[(file, 0)] = funcs.get(file, MODULE_NAME, 1)

    cpu_total_s = cpu_pct_total / 100.0 * elapsed_s
    for (file, region), idx in funcs.region_owner.items():
        pcts = region_pcts.get((file, region))
        if pcts is not None:
            rec = funcs.records[idx]
            for attr, value in pcts.items():
                setattr(rec, attr, value)
    for rec in funcs.records:
        cpu = sum(getattr(rec, a) or 0.0 for a in ("cpu_python_pct", "cpu_native_pct", "cpu_system_pct"))
        rec.self_s = cpu / 100.0 * elapsed_s

    notes = [SOURCES_NOTE]
    if stacks:
        weight_sum = math.fsum(w for _, w in stacks)
        # Stack weights are shares of the sampled CPU time (they sum to 1 in
        # Scalene 2.4); scale them so the root is the run's CPU time.
        root_s = cpu_total_s if cpu_total_s > 0 else elapsed_s
        scale = root_s / weight_sum if weight_sum > 0 else 0.0
        tree, _self, incl = tree_from_stacks(((f, w * scale) for f, w in stacks), len(funcs.records))
        for idx, rec in enumerate(funcs.records):
            rec.total_s = max(float(incl[idx]), rec.self_s)
    else:
        notes.insert(0, FLAT_NOTE)
        builder = TreeBuilder(cpu_total_s)
        for idx, rec in sorted(enumerate(funcs.records), key=lambda e: -e[1].self_s):
            rec.total_s = rec.self_s
            if rec.self_s > 0:
                builder.add(0, idx, rec.self_s, rec.self_s, True)
        tree = builder.build()

    for rec in funcs.records:
        if rec.mem_peak_mb == 0.0 and not obj.get("memory"):
            rec.mem_peak_mb = None  # not measured, rather than measured zero
    return Profile(
        profiler="scalene",
        functions=funcs.records,
        tree=tree,
        lines=lines,
        unit="s",
        stacks_exact=True,
        wall_s=elapsed_s or None,
        notes=notes,
    )


def _parse_frame(text: str) -> tuple[str, str, int]:
    """``"/path/f.py func:12;"`` -> (file, func, line). Paths may hold spaces."""
    body = text.rstrip().rstrip(";")
    head, _, line = body.rpartition(":")
    file, _, name = head.rpartition(" ")
    if not file or not name:
        raise ProfileFormatError(f"The Scalene profile holds a stack frame it cannot read: {text!r}.")
    return file, name, int(line) if line.isdigit() else 0


def _frame_func(funcs: _Functions, region_of_line, file: str, name: str, line: int) -> int:
    key = (file, name)
    if key in funcs.index:
        return funcs.index[key]
    if name == MODULE_NAME:
        idx = funcs.get(file, name, 1)
        funcs.region_owner.setdefault((file, 0), idx)
        return idx
    region = region_of_line.get((file, line))
    if region and (file, region) not in funcs.region_owner:
        idx = funcs.get(file, name, region)
        funcs.region_owner[(file, region)] = idx
        return idx
    return funcs.get(file, name, 0)


def _parse_stacks(obj: dict, funcs: _Functions, region_of_line) -> list[tuple[list[int], float]]:
    """Sampled stacks as (function indices outermost first, weight)."""
    out = []
    for entry in obj.get("stacks") or []:
        frames, stats = entry[0], entry[1]
        weight = _num(stats.get("cpu_samples")) if isinstance(stats, dict) else _num(stats)
        path = [_frame_func(funcs, region_of_line, *_parse_frame(f)) for f in frames]
        if path and weight > 0:
            out.append((path, weight))
    if out:
        return out
    # Fallback: mixed Python/native stacks; keep the Python frames only.
    for entry in obj.get("combined_stacks") or []:
        frames, count = entry[0], _num(entry[1])
        path = [
            _frame_func(funcs, region_of_line, str(f["filename_or_module"]), str(f["display_name"]), int(_num(f.get("line"))))
            for f in frames
            if isinstance(f, dict) and f.get("kind") == "py"
        ]
        if path and count > 0:
            out.append((path, count))
    return out
