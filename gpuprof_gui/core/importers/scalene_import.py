"""Scalene 2.x JSON (``scalene run -o out.json script.py``) -> :class:`Profile`.

Scalene samples whole Python stacks (``stacks``), so the call tree is true,
not estimated. Per-line percentages are of the whole run; times are derived
as ``percent / 100 x elapsed``.

Every sampled line belongs to exactly one function, so the functions add up
to the run. Scalene's ``start_function_line`` names a line's innermost
enclosing ``def`` or ``class``; a function's self time is the sum of the
lines of its own region. Lines outside any ``def`` go to ``<module>``, lines
of a class body (statements that run while the class is defined) to
``<class Name body>``. Which region is a class, and what each is called, comes
from parsing the source text Scalene stores in its JSON; the file on disk is
not read (a profile may come from elsewhere, and a path in it could name a
pipe). Without that text a region no function claims counts as module-level.

Function times are not taken from Scalene's ``functions`` table: in Scalene
2.4 it counts only the lines where a sample landed, so it leaves out the share
of each loop sample that Scalene spreads over the loop's other lines (header
included), and it has no module-level entry. Against an exact cProfile run of
tests/scripts/scalene_lines.py (8 runs) the line sums came within 4.5 points of
the reference for every function but the class body and module-level code (up
to 9 points, and py-spy sides with Scalene there); the table gave about half
the reference for every function with a ``for`` loop and nothing for the 19 %
at module level (docs/scalene-functions.md). Where the table differs from the
lines by more than REPORTED_DIFF_POINTS it is kept as ``FunctionRecord.reported_pct``.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from gpuprof_gui.core.importers._stacks import tree_from_stacks
from gpuprof_gui.core.importers.errors import ProfileFormatError, damage_reported_as
from gpuprof_gui.core.importers.scalene_gpu import apply_gpu, gpu_measured, gpu_mem_mb
from gpuprof_gui.core.model import FunctionRecord, LineRecord, Profile, TreeBuilder
from gpuprof_gui.core.numbers import MAX_AMOUNT, MAX_MB, line_number, number, percent

EMPTY_MESSAGE = (
    "Scalene wrote an empty profile ({}): the run was too short to sample. "
    "Profile a longer run, or use cProfile for short scripts."
)
NO_SAMPLES_MESSAGE = (
    "The Scalene profile holds no CPU samples: the run was too short to sample. "
    "Profile a longer run, or use cProfile for short scripts."
)
MODULE_NAME = "<module>"
CLASS_BODY_NAME = "<class {} body>"
FLAT_NOTE = "Scalene recorded no call stacks for this run: the flame graph lists functions without callers."
SOURCES_NOTE = (
    "Function times come from Scalene's per-line samples; the flame graph comes from its sampled "
    "stacks, which can place a generator expression or lambda under its own name."
)
OUTSIDE_FUNCTIONS_NOTE = (
    "Time on lines outside any function is listed as <module> (module-level code) or "
    "<class Name body> (statements in a class body, which run once when the class is defined)."
)
NO_SOURCE_NOTE = (
    "Scalene's profile does not hold the whole source of {files}, so lines there that no sampled "
    "function claims (a class body, for instance) are counted as module-level."
)

REPORTED_DIFF_POINTS = 2.0
"""Scalene's own function figure is kept beside ours when they differ by more
than this many points of the run. Smaller gaps are inside the run-to-run spread
of one Scalene figure (2-3 points either way per function over 8 runs of the
test program), so showing them would add noise, not information."""

REPORTED_NOTE = (
    "Function times are the sums of each function's own lines, loop headers included: on a test "
    "program they matched an exact cProfile measurement within a few points. Scalene's own function "
    "summary leaves out part of the time in loops, so where it differs by more than "
    f"{REPORTED_DIFF_POINTS:g} points its figure is kept beside ours."
)

# (attribute on LineRecord/FunctionRecord, Scalene key)
_PCT_FIELDS = (
    ("cpu_python_pct", "n_cpu_percent_python"),
    ("cpu_native_pct", "n_cpu_percent_c"),
    ("cpu_system_pct", "n_sys_percent"),
    ("gpu_pct", "n_gpu_percent"),
)
_CPU_ATTRS = ("cpu_python_pct", "cpu_native_pct", "cpu_system_pct")
# Scalene writes these characters of a source line as literal \uXXXX text.
_SOURCE_ESCAPES = (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&"))


def import_scalene(obj: object) -> Profile:
    """Build a Profile from a parsed Scalene 2.x JSON object (any parsed JSON: it is checked)."""
    if not isinstance(obj, dict):
        raise ProfileFormatError("The file is JSON but not a Scalene profile (it is not an object).")
    if not obj:
        raise ProfileFormatError(EMPTY_MESSAGE)
    if "files" not in obj or "elapsed_time_sec" not in obj:
        raise ProfileFormatError("The file is JSON but not a Scalene profile (no 'files' or 'elapsed_time_sec').")
    with damage_reported_as("The Scalene profile"):
        return _import(obj)


def _num(record: dict, key: str, where: str, hi: float = MAX_AMOUNT) -> float:
    """A count or time of a Scalene record, absent or null read as 0.

    What a view cannot show refuses the file, naming the field: NaN, infinite, negative
    or past ``hi``. (Scalene 2.x writes none of those; a file that holds one was made
    or changed by something else, and any figure drawn from it would be wrong.)
    """
    value = record.get(key)
    return 0.0 if value is None else number(value, f"'{key}' {where}", 0.0, hi)


def _pct(record: dict, key: str, where: str) -> float:
    """A percentage of the run, absent or null read as 0; a rounding step outside 0..100 is
    clamped, anything further out (or NaN, infinite) refuses the file."""
    value = record.get(key)
    return 0.0 if value is None else percent(value, f"'{key}' {where}")


def _mem(record: dict, where: str) -> float:
    """Peak memory in MB. Negative values are read as 0 (Scalene's own arithmetic on
    allocation samples can dip below zero, which means "no growth"); NaN, infinite or
    past a petabyte refuses the file."""
    value = record.get("n_peak_mb")
    if value is None:
        return 0.0
    return max(number(value, f"'n_peak_mb' {where}", -MAX_MB, MAX_MB), 0.0)


def _line(record: dict, key: str, where: str, lo: int = 1) -> int:
    """A line number, 1..2**31-1 (``lo=0`` where Scalene writes 0 for "none"); absent reads as ``lo``."""
    value = record.get(key)
    return lo if value is None else line_number(value, f"'{key}' {where}", lo)


def _cpu_pct(rec) -> float:
    return sum(getattr(rec, a) or 0.0 for a in _CPU_ATTRS)


@dataclass(frozen=True, slots=True)
class _Scope:
    """A ``def`` or ``class`` of the source, keyed elsewhere by its ``def``/``class`` line."""

    is_class: bool
    qualname: str  # as Python's co_qualname spells it: outer.<locals>.inner, Table.scan
    first_line: int  # first decorator line: the code object's co_firstlineno


def _source_outline(raw_lines: list) -> dict[int, _Scope] | None:
    """Scopes of a file rebuilt from Scalene's own copy of its lines; None without a whole copy."""
    texts: dict[int, str] = {}
    for ln in raw_lines:
        text = ln.get("line")
        if not isinstance(text, str):
            return None
        texts[_line(ln, "lineno", "of a source line")] = text if text.endswith("\n") else text + "\n"
    if not texts or set(texts) != set(range(1, len(texts) + 1)):
        return None  # a reduced profile keeps only the busy lines
    source = "".join(texts[i] for i in range(1, len(texts) + 1))
    for escaped, char in _SOURCE_ESCAPES:
        source = source.replace(escaped, char)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # newer syntax than this Python reads, or not Python
    scopes: dict[int, _Scope] = {}
    todo: list[tuple[ast.AST, str]] = [(tree, "")]
    while todo:  # explicit stack: deeply nested code must not hit the recursion limit
        node, prefix = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                is_class = isinstance(child, ast.ClassDef)
                qualname = prefix + child.name
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                scopes.setdefault(child.lineno, _Scope(is_class, qualname, first))
                todo.append((child, qualname + ("." if is_class else ".<locals>.")))
            else:
                todo.append((child, prefix))
    return scopes


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

    def class_body(self, file: str, region: int, scope: _Scope) -> int:
        """The pseudo-function of a class body; Scalene's name for it (the class's) leads here too."""
        idx = self.get(file, CLASS_BODY_NAME.format(scope.qualname), region)
        self.index.setdefault((file, scope.qualname), idx)
        return idx

    def own(self, file: str, region: int, idx: int) -> None:
        self.region_owner[(file, region)] = idx


def _import(obj: dict) -> Profile:
    elapsed_s = _num(obj, "elapsed_time_sec", "(the run's length)")
    funcs = _Functions()
    lines: dict[str, dict[int, LineRecord]] = {}
    region_of_line: dict[tuple[str, int], int] = {}
    region_pcts: dict[tuple[str, int], dict[str, float]] = {}
    outlines: dict[str, dict[int, _Scope] | None] = {}
    table_pct: dict[int, float] = {}  # func -> Scalene's own function figure, % of run
    table_gpu: dict[int, tuple[float, float]] = {}  # func -> Scalene's own GPU % and GPU MB
    files_without_lines: set[str] = set()
    cpu_pct_total = 0.0

    for file, fdata in (obj.get("files") or {}).items():
        raw_lines = [ln for ln in fdata.get("lines") or [] if isinstance(ln, dict)]
        outline = outlines[file] = _source_outline(raw_lines)
        by_name = {s.qualname: (line, s) for line, s in (outline or {}).items()}
        by_first_line = {s.first_line: (line, s) for line, s in (outline or {}).items()}
        if not raw_lines:
            files_without_lines.add(file)
        for fu in fdata.get("functions") or []:
            name = str(fu.get("line", "?"))
            where = f"of function {name[:60]} in {file}"
            lineno = _line(fu, "lineno", where, lo=0)
            # Scalene lists a function by its qualified name (Python 3.11+; older ones spell
            # nested functions differently) at the first line of its code object.
            found = by_name.get(name) or by_first_line.get(lineno)
            if found is None:
                idx = funcs.get(file, name, lineno)
            elif found[1].is_class:
                idx = funcs.class_body(file, *found)
            else:
                idx = funcs.get(file, found[1].qualname, found[1].first_line)
            funcs.index.setdefault((file, name), idx)
            rec = funcs.records[idx]
            for attr, key in _PCT_FIELDS:
                setattr(rec, attr, _pct(fu, key, where))
            rec.mem_peak_mb = _mem(fu, where)
            table_gpu[idx] = (rec.gpu_pct or 0.0, gpu_mem_mb(fu, where))
            table_pct[idx] = table_pct.get(idx, 0.0) + _cpu_pct(rec)
            if outline is None and (file, lineno) not in funcs.region_owner:
                funcs.own(file, lineno, idx)  # no source: Scalene's first line is all we have
        file_lines: dict[int, LineRecord] = {}
        for ln in raw_lines:
            lineno = _line(ln, "lineno", f"of a line in {file}")
            where = f"of line {lineno} in {file}"
            region = _line(ln, "start_function_line", where, lo=0)
            region_of_line[(file, lineno)] = region
            line_rec = LineRecord(**{attr: _pct(ln, key, where) for attr, key in _PCT_FIELDS})
            line_rec.mem_peak_mb = _mem(ln, where)
            line_rec.gpu_mem_mb = gpu_mem_mb(ln, where)
            if line_rec.cpu_pct <= 0 and line_rec.mem_peak_mb <= 0 and line_rec.gpu_pct <= 0:
                continue
            line_rec.self_s = line_rec.cpu_pct / 100.0 * elapsed_s
            file_lines[lineno] = line_rec
            cpu_pct_total += line_rec.cpu_pct
            acc = region_pcts.setdefault(
                (file, region), dict.fromkeys(("mem_peak_mb", *(a for a, _ in _PCT_FIELDS)), 0.0)
            )
            for attr, _ in _PCT_FIELDS:
                acc[attr] += getattr(line_rec, attr)
            acc["mem_peak_mb"] = max(acc["mem_peak_mb"], line_rec.mem_peak_mb)
        if file_lines:
            lines[file] = file_lines

    _assign_regions_from_source(funcs, region_pcts, outlines)
    stacks = _parse_stacks(obj, funcs, region_of_line)
    if cpu_pct_total <= 0 and not stacks:
        raise ProfileFormatError(NO_SAMPLES_MESSAGE)
    # Whatever no function claimed is module-level: region 0 always, and, without
    # the source, a class body that nothing in the table or the stacks names.
    guessed_files = set()
    for file, region in region_pcts:
        if (file, region) not in funcs.region_owner:
            funcs.own(file, region, funcs.get(file, MODULE_NAME, 1))
            if region:
                guessed_files.add(file)

    owned: dict[int, dict[str, float]] = {}
    for region_key, idx in funcs.region_owner.items():
        pcts = region_pcts.get(region_key)
        if pcts is None:
            continue
        acc = owned.setdefault(idx, dict.fromkeys(pcts, 0.0))
        for attr, value in pcts.items():
            acc[attr] = max(acc[attr], value) if attr == "mem_peak_mb" else acc[attr] + value
    for idx, rec in enumerate(funcs.records):
        if idx in owned:
            for attr, value in owned[idx].items():
                setattr(rec, attr, value)
        elif idx in table_pct and rec.file not in files_without_lines:
            # Listed by Scalene, but its samples sit on lines of other functions' regions.
            for attr in _CPU_ATTRS:
                setattr(rec, attr, 0.0)
        rec.self_s = _cpu_pct(rec) / 100.0 * elapsed_s
        reported = table_pct.get(idx)
        if reported is not None and abs(reported - _cpu_pct(rec)) > REPORTED_DIFF_POINTS:
            rec.reported_pct = reported

    cpu_total_s = cpu_pct_total / 100.0 * elapsed_s
    notes = [SOURCES_NOTE]
    if any(r.reported_pct is not None for r in funcs.records):
        notes.append(REPORTED_NOTE)
    if any(r.self_s > 0 and (r.name == MODULE_NAME or r.name.startswith("<class ")) for r in funcs.records):
        notes.append(OUTSIDE_FUNCTIONS_NOTE)
    if guessed_files:
        notes.append(NO_SOURCE_NOTE.format(files=", ".join(sorted(guessed_files))))
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

    owner = {(f, ln): funcs.region_owner.get((f, region_of_line.get((f, ln), 0)), -1) for f in lines for ln in lines[f]}
    apply_gpu(gpu_measured(obj), funcs.records, lines, owner, table_gpu)
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


def _assign_regions_from_source(funcs: _Functions, region_pcts, outlines) -> None:
    """Give every busy ``def``/``class`` region of a parsed file its function or class body."""
    for file, region in region_pcts:
        scope = (outlines.get(file) or {}).get(region)
        if scope is None or (file, region) in funcs.region_owner:
            continue
        if scope.is_class:
            idx = funcs.class_body(file, region, scope)
        else:
            # By name, so a decorated function (Scalene lists it at its decorator line) still matches.
            idx = funcs.get(file, scope.qualname, scope.first_line)
        funcs.own(file, region, idx)


def _parse_frame(text: str) -> tuple[str, str, int]:
    """``"/path/f.py func:12;"`` -> (file, func, line). Paths may hold spaces."""
    body = text.rstrip().rstrip(";")
    head, _, line = body.rpartition(":")
    file, _, name = head.rpartition(" ")
    if not file or not name:
        raise ProfileFormatError(f"The Scalene profile holds a stack frame it cannot read: {text!r}.")
    return file, name, line_number(line, f"the line of stack frame {text[:80]!r}", 0) if line.isdigit() else 0


def _frame_func(funcs: _Functions, region_of_line, file: str, name: str, line: int) -> int:
    if name == MODULE_NAME:
        return funcs.get(file, name, 1)
    region = region_of_line.get((file, line))
    claimable = bool(region) and (file, region) not in funcs.region_owner
    idx = funcs.index.get((file, name))
    if idx is None:
        idx = funcs.get(file, name, region if claimable else 0)
    if claimable:
        # A frame's line lies in its own function's region. With the source every busy
        # region is owned already; without it the stack is the only evidence.
        funcs.own(file, region, idx)
    return idx


def _parse_stacks(obj: dict, funcs: _Functions, region_of_line) -> list[tuple[list[int], float]]:
    """Sampled stacks as (function indices outermost first, weight)."""
    out = []
    for entry in obj.get("stacks") or []:
        frames, stats = entry[0], entry[1]
        weight = _num(stats if isinstance(stats, dict) else {"cpu_samples": stats}, "cpu_samples", "of a stack")
        path = [_frame_func(funcs, region_of_line, *_parse_frame(f)) for f in frames]
        if path and weight > 0:
            out.append((path, weight))
    if out:
        return out
    # Fallback: mixed Python/native stacks; keep the Python frames only.
    for entry in obj.get("combined_stacks") or []:
        frames, count = entry[0], _num({"count": entry[1]}, "count", "of a combined stack")
        path = [
            _frame_func(
                funcs,
                region_of_line,
                str(f["filename_or_module"]),
                str(f["display_name"]),
                _line(f, "line", "of a combined stack frame", lo=0),
            )
            for f in frames
            if isinstance(f, dict) and f.get("kind") == "py"
        ]
        if path and count > 0:
            out.append((path, count))
    return out
