"""Our own profile file: safe, versioned JSON with columns as lists.

Unlike a cProfile dump this is plain JSON, so reading a foreign file can
fail but never crash the process; the convert worker turns untrusted
``.prof`` files into this format for the GUI.
"""

from __future__ import annotations

import json
import os

import numpy as np

from gpuprof_gui.core.atomic import write_json
from gpuprof_gui.core.importers.errors import ProfileFormatError, damage_reported_as
from gpuprof_gui.core.model import CallTree, FunctionRecord, LineRecord, Profile, subtree_sizes

FORMAT_NAME = "gpuprof-profile"
FORMAT_VERSION = 1

_FUNC_FIELDS = (
    "name", "file", "line", "self_s", "total_s", "calls",
    "cpu_python_pct", "cpu_native_pct", "cpu_system_pct", "mem_peak_mb", "gpu_pct", "reported_pct",
)  # fmt: skip
_LINE_FIELDS = ("cpu_python_pct", "cpu_native_pct", "cpu_system_pct", "mem_peak_mb", "gpu_pct", "self_s")
_TREE_COLUMNS = {"parent": np.int32, "func": np.int32, "total_s": np.float64, "self_s": np.float64, "exact": bool}
_OPTIONAL_TREE_COLUMNS = {"folded_s": np.float64, "samples": np.int32}  # absent in older files


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
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileFormatError(f"The gpuprof profile file cannot be read ({exc}).") from exc
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
    if "reported_pct" not in fcols:  # files written before the profiler's own figure was kept
        fcols = {**fcols, "reported_pct": [None] * n_funcs}
    if any(len(fcols[f]) != n_funcs for f in _FUNC_FIELDS):
        raise ProfileFormatError("The gpuprof profile is damaged (function columns differ in length).")
    # Positional, in the dataclass's field order (a test keeps _FUNC_FIELDS in that order):
    # building a keyword dict per record took 3x as long for 20,000 functions.
    functions = [FunctionRecord(*row) for row in zip(*(fcols[f] for f in _FUNC_FIELDS), strict=True)]
    tree = _tree_from_columns(obj["tree"], n_funcs)
    lines = {}
    for file, cols in obj.get("lines", {}).items():
        linenos = cols["lineno"]
        lines[file] = {
            int(ln): LineRecord(**{f: float(cols[f][i]) for f in _LINE_FIELDS}) for i, ln in enumerate(linenos)
        }
    return Profile(
        profiler=str(obj["profiler"]),
        functions=functions,
        tree=tree,
        lines=lines,
        unit=str(obj.get("unit", "s")),
        stacks_exact=bool(obj.get("stacks_exact", True)),
        wall_s=obj.get("wall_s"),
        source_path=obj.get("source_path"),
        notes=[str(n) for n in obj.get("notes", [])],
    )


def _tree_from_columns(cols: dict, n_funcs: int) -> CallTree:
    arrays = {name: np.asarray(cols[name], dtype=dtype) for name, dtype in _TREE_COLUMNS.items()}
    arrays.update(
        (name, np.asarray(cols[name], dtype=dtype)) for name, dtype in _OPTIONAL_TREE_COLUMNS.items() if name in cols
    )
    parent, func = arrays["parent"], arrays["func"]
    n = parent.shape[0]
    if n == 0 or any(a.shape != (n,) for a in arrays.values()):
        raise ProfileFormatError("The gpuprof profile is damaged (call tree columns are missing or uneven).")
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
