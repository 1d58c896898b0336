"""Our own profile file: safe, versioned JSON with columns as lists.

Unlike a cProfile dump this is plain JSON, so reading a foreign file can
fail but never crash the process; the convert worker turns untrusted
``.prof`` files into this format for the GUI.
"""

from __future__ import annotations

import os

import numpy as np

from gpuprof_gui.core.atomic import write_json
from gpuprof_gui.core.importers.errors import ProfileFormatError, damage_reported_as
from gpuprof_gui.core.json_text import JSONTextError, read_json_file
from gpuprof_gui.core.model import CallTree, FunctionRecord, LineRecord, Profile, subtree_sizes
from gpuprof_gui.core.numbers import MAX_AMOUNT, MAX_LINE, MAX_MB, PCT_SLACK, NumberError, line_number, number

FORMAT_NAME = "gpuprof-profile"
FORMAT_VERSION = 1

_FUNC_FIELDS = (
    "name", "file", "line", "self_s", "total_s", "calls",
    "cpu_python_pct", "cpu_native_pct", "cpu_system_pct", "mem_peak_mb", "gpu_pct", "reported_pct",
    "gpu_mem_mb",
)  # fmt: skip
_LINE_FIELDS = ("cpu_python_pct", "cpu_native_pct", "cpu_system_pct", "mem_peak_mb", "gpu_pct", "self_s", "gpu_mem_mb")
_NEWER_FIELDS = ("reported_pct", "gpu_mem_mb")
"""Function columns files written before them lack (read as None)."""
_TREE_COLUMNS = {"parent": np.int32, "func": np.int32, "total_s": np.float64, "self_s": np.float64, "exact": bool}
_OPTIONAL_TREE_COLUMNS = {"folded_s": np.float64, "samples": np.int32}  # absent in older files
_PCT = (-PCT_SLACK, 100.0 + PCT_SLACK)
# Numeric columns and their ranges: (low, high, may be null, whole number). A file out of range
# is refused, naming the column; times may dip below zero by a rounding step (see _checked_column).
_FUNC_RANGES = {
    "line": (0, MAX_LINE, False, True),
    "self_s": (0.0, MAX_AMOUNT, False, False),
    "total_s": (0.0, MAX_AMOUNT, False, False),
    "calls": (0, MAX_AMOUNT, True, True),
    "cpu_python_pct": (*_PCT, True, False),
    "cpu_native_pct": (*_PCT, True, False),
    "cpu_system_pct": (*_PCT, True, False),
    "mem_peak_mb": (0.0, MAX_MB, True, False),
    "gpu_pct": (*_PCT, True, False),
    "reported_pct": (*_PCT, True, False),
    "gpu_mem_mb": (0.0, MAX_MB, True, False),
}
_LINE_RANGES = {
    "cpu_python_pct": _PCT,
    "cpu_native_pct": _PCT,
    "cpu_system_pct": _PCT,
    "mem_peak_mb": (0.0, MAX_MB),
    "gpu_pct": _PCT,
    "self_s": (0.0, MAX_AMOUNT),
    "gpu_mem_mb": (0.0, MAX_MB),
}
_TREE_RANGES = {"total_s": (0.0, MAX_AMOUNT), "self_s": (0.0, MAX_AMOUNT), "folded_s": (-MAX_AMOUNT, MAX_AMOUNT)}
_ROUNDING = 1e-9
"""Relative step a time may lie below zero: a self time is a total less its children's, in floats."""


def profile_to_dict(profile: Profile) -> dict:
    """The JSON-ready form of a profile (``format`` first, for sniffing)."""
    tree = profile.tree
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "profiler": profile.profiler,
        "unit": profile.unit,
        "stacks_exact": profile.stacks_exact,
        "wall_s": profile.wall_s,
        "source_path": profile.source_path,
        "notes": list(profile.notes),
        "functions": {f: [getattr(r, f) for r in profile.functions] for f in _FUNC_FIELDS},
        "tree": {
            name: getattr(tree, name).tolist()
            for name in (*_TREE_COLUMNS, *_OPTIONAL_TREE_COLUMNS)
            if getattr(tree, name) is not None
        },
        "lines": {
            file: {"lineno": list(recs), **{f: [getattr(r, f) for r in recs.values()] for f in _LINE_FIELDS}}
            for file, recs in profile.lines.items()
        },
    }


def dump_profile(profile: Profile, path: str | os.PathLike) -> None:
    """Write ``profile`` atomically: a reader never sees a half-written file."""
    write_json(path, profile_to_dict(profile))


def load_profile_json(path: str | os.PathLike) -> Profile:
    """Read a file written by :func:`dump_profile`."""
    try:
        obj = read_json_file(path, "a gpuprof profile")
    except JSONTextError as exc:
        raise ProfileFormatError(str(exc)) from None
    except OSError as exc:
        raise ProfileFormatError(f"The gpuprof profile file cannot be read ({exc.strerror or exc}).") from exc
    profile = profile_from_dict(obj)
    profile.source_path = profile.source_path or os.fspath(path)
    return profile


def profile_from_dict(obj: dict) -> Profile:
    """Inverse of :func:`profile_to_dict`, validating as it goes."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT_NAME:
        raise ProfileFormatError("The file is JSON but not a gpuprof profile.")
    version = obj.get("version")
    if not isinstance(version, int) or version < 1:
        raise ProfileFormatError("The gpuprof profile has no valid format version.")
    if version > FORMAT_VERSION:
        raise ProfileFormatError(
            f"This profile was saved by a newer gpuprof-gui (format version {version}); "
            f"this version reads format version {FORMAT_VERSION}. Please update gpuprof-gui."
        )
    with damage_reported_as("The gpuprof profile"):
        return _from_dict(obj)


def _from_dict(obj: dict) -> Profile:
    fcols = obj["functions"]
    n_funcs = len(fcols["name"])
    fcols = {**{f: [None] * n_funcs for f in _NEWER_FIELDS}, **fcols}
    if any(len(fcols[f]) != n_funcs for f in _FUNC_FIELDS):
        raise ProfileFormatError("The gpuprof profile is damaged (function columns differ in length).")
    fcols = {
        **fcols,
        "name": [str(x) for x in fcols["name"]],
        "file": [str(x) for x in fcols["file"]],
        **{f: _checked_column(fcols[f], f"'{f}' of a function", *r) for f, r in _FUNC_RANGES.items()},
    }
    # Positional, in the dataclass's field order (a test keeps _FUNC_FIELDS in that order):
    # building a keyword dict per record took 3x as long for 20,000 functions.
    functions = [FunctionRecord(*row) for row in zip(*(fcols[f] for f in _FUNC_FIELDS), strict=True)]
    tree = _tree_from_columns(obj["tree"], n_funcs)
    lines = {}
    for file, cols in obj.get("lines", {}).items():
        linenos = cols["lineno"]
        if "gpu_mem_mb" not in cols:  # files written before GPU memory was kept
            cols = {**cols, "gpu_mem_mb": [0.0] * len(linenos)}
        where = f"of a line of {str(file)[:80]}"
        checked = {f: _checked_column(cols[f], f"'{f}' {where}", lo, hi) for f, (lo, hi) in _LINE_RANGES.items()}
        lines[str(file)] = {
            line_number(ln, f"'lineno' {where}"): LineRecord(**{f: checked[f][i] for f in _LINE_FIELDS})
            for i, ln in enumerate(linenos)
        }
    return Profile(
        profiler=str(obj["profiler"]),
        functions=functions,
        tree=tree,
        lines=lines,
        unit=str(obj.get("unit", "s")),
        stacks_exact=bool(obj.get("stacks_exact", True)),
        wall_s=None if obj.get("wall_s") is None else number(obj["wall_s"], "'wall_s' (the run's length)"),
        source_path=obj.get("source_path"),
        notes=[str(n) for n in obj.get("notes", [])],
    )


def _checked_column(values, field: str, lo: float, hi: float, optional: bool = False, whole: bool = False) -> list:
    """A column of numbers in ``lo..hi`` (None kept where ``optional``); NumberError naming ``field`` otherwise."""
    if not isinstance(values, list):
        raise TypeError(f"{field} is not a list")
    missing = [v is None for v in values]
    if any(missing) and not optional:
        raise NumberError(f"{field} has an empty entry")
    if any(isinstance(v, (str, bool, list, dict)) for v in values):
        raise NumberError(f"{field} holds something that is not a number")
    arr = np.array([0 if v is None else v for v in values], dtype=np.float64)
    _check_range(arr, values, field, lo, hi)
    # The values as written (an int among floats stays an int, as the npz round trip expects);
    # a whole-number column gets whole numbers.
    return [int(v) if whole and isinstance(v, float) else v for v in values]


def _check_range(arr: np.ndarray, values: list, field: str, lo: float, hi: float) -> None:
    """Refuse NaN, infinite and out-of-range values; a time below zero by a rounding step passes."""
    finite = np.isfinite(arr)
    if not finite.all():
        raise NumberError(f"{field} is {values[int(np.argmin(finite))]!r}, not a finite number")
    if arr.size and lo == 0.0:
        lo = -_ROUNDING * max(1.0, float(np.max(np.abs(arr))))
    bad = (arr < lo) | (arr > hi)
    if bad.any():
        raise NumberError(f"{field} is {values[int(np.argmax(bad))]!r}, out of range")


def _tree_from_columns(cols: dict, n_funcs: int) -> CallTree:
    arrays = {name: np.asarray(cols[name], dtype=dtype) for name, dtype in _TREE_COLUMNS.items()}
    arrays.update(
        (name, np.asarray(cols[name], dtype=dtype)) for name, dtype in _OPTIONAL_TREE_COLUMNS.items() if name in cols
    )
    parent, func = arrays["parent"], arrays["func"]
    n = parent.shape[0]
    if n == 0 or any(a.shape != (n,) for a in arrays.values()):
        raise ProfileFormatError("The gpuprof profile is damaged (call tree columns are missing or uneven).")
    for name, (lo, hi) in _TREE_RANGES.items():
        if name in arrays:
            _check_range(arrays[name], [float(x) for x in arrays[name]], f"'{name}' of the call tree", lo, hi)
    if "samples" in arrays and np.any(arrays["samples"] < 0):
        raise NumberError("'samples' of the call tree holds a negative count")
    idx = np.arange(n)
    # Pre-order invariants: the root is first, every parent precedes its child.
    if parent[0] != -1 or np.any(parent[1:] < 0) or np.any(parent[1:] >= idx[1:]):
        raise ProfileFormatError("The gpuprof profile is damaged (call tree is not in pre-order).")
    if np.any(func < -1) or np.any(func >= n_funcs):
        raise ProfileFormatError("The gpuprof profile is damaged (call tree names unknown functions).")
    parents = parent.tolist()
    depths = [0] * n
    for i in range(1, n):  # parents precede children, so one forward pass suffices
        depths[i] = depths[parents[i]] + 1
    depth = np.asarray(depths, dtype=np.int32)
    size = subtree_sizes(parent, depth)
    # Every subtree must lie inside its parent's range, or it is not pre-order.
    if np.any(idx[1:] + size[1:] > parent[1:] + size[parent[1:]]):
        raise ProfileFormatError("The gpuprof profile is damaged (call tree is not in pre-order).")
    return CallTree(
        parent=parent,
        func=func,
        total_s=arrays["total_s"],
        self_s=arrays["self_s"],
        exact=arrays["exact"],
        depth=depth,
        size=size,
        folded_s=arrays.get("folded_s"),
        samples=arrays.get("samples"),
    )
