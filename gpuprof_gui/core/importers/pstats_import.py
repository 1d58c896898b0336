"""cProfile / pstats data -> :class:`Profile`.

cProfile records flat per-function times plus caller->callee edges, never
whole stacks. The function table is exact; the call tree below the first
two calls is an estimate, built so that every frame adds up (a node's self
time is its width minus its drawn children; the root is the run's total):

- with sampled stacks of the same run (``<dump>.stacks``, recorded by the
  profile worker), each exact edge time is split among the paths the
  samples saw it on (:mod:`sampled_paths`, :mod:`tree_paths`);
- without, in proportion to the caller's time (as gprof and snakeviz do),
  built a depth at a time with numpy (:mod:`tree_levels`) except where a
  function is met again on its own path.

Nodes reached only through exact edges are flagged ``exact``; the rest are
estimates, and the view says how many samples back each.
"""

from __future__ import annotations

import math
import re

import numpy as np

from gpuprof_gui.core.importers.errors import ProfileFormatError, damage_reported_as
from gpuprof_gui.core.importers.sampled_paths import SampleTrie, leaf_times
from gpuprof_gui.core.importers.tree_levels import (
    EdgeColumns,
    build_by_levels,
    cyclic_functions,
)
from gpuprof_gui.core.importers.tree_paths import (
    FOLDED_MIN_REL,
    MAX_NODES,
    PRUNE_FRACTION,
    SCALE_EXACT_REL,
    build_tree,
    fit_overfilled,
    heaviest_first,
    pair_counts,
    reentered_fit,
    settle,
)
from gpuprof_gui.core.model import FOLDED_VISIBLE_SHARE, FunctionRecord, Profile, TreeBuilder

DISABLE_NOISE = "<method 'disable' of '_lsprof.Profiler' objects>"
"""The profiler's own stop call, present in every dump; never user code."""

ESTIMATE_NOTE = (
    "cProfile records only which function called which, not full call stacks: "
    "paths deeper than two calls are estimated by proportional attribution (hatched)."
)
EVIDENCE_NOTE = (
    "cProfile records only which function called which: each function's exact time is split "
    "among its call paths by {n:,} sampled stacks of the same run; hatched frames rest on few "
    "or no samples and are split in proportion."
)
FOLDED_NOTE = (
    "{pct:.1f}% of the run is in calls drawn inside their caller's frame (recursion folded, "
    "calls too small to draw); the frame's tooltip says how much."
)
CAPPED_NOTE = (
    "The call graph is very large: the tree was cut at {max_nodes:,} nodes, "
    "so some small paths are missing from the flame graph (the table is complete)."
)

_BUILTIN_RE = re.compile(r"^<built-in (?:method|function) (.+)>$")
_WORKER_DIR = "gpuprof_gui/workers/"
_TRACER_FILE = "gpuprof_gui/gpu/cupti_trace.py"
"""The GPU tracer's callback runs on the script's thread inside CUDA calls: its cost is the tracer's,
not the script's (the run's notes say how much tracing cost)."""
UNEXPLAINED_MIN_FRACTION = 0.01
"""Below 1% of a function's time, a gap between its time and its callers' is rounding, not a caller."""


def import_pstats(stats: dict, stacks=None) -> Profile:
    """Build a Profile from ``pstats.Stats(...).stats``.

    ``stacks``: sampled real stacks of the same run, ``[(frames, count)]`` with
    frames outermost first as ``(name, file, first line)`` (see
    :func:`parse_sampled_stacks`); they split each function's exact time
    among its call paths. Without them the split is proportional.
    """
    if not isinstance(stats, dict):
        raise ProfileFormatError("The file is not a cProfile dump (it holds no table of functions).")
    with damage_reported_as("The cProfile data"):
        return _import(stats, stacks)


def _is_noise(key: tuple) -> bool:
    file, _line, name = key
    if name == DISABLE_NOISE:
        return True
    path = str(file).replace("\\", "/")
    return _WORKER_DIR in path or path.endswith(_TRACER_FILE)


def _noise(stats: dict) -> set:
    """The profiler's and tracer's own functions, and the built-ins only they called."""
    noise = {k for k in stats if _is_noise(k)}
    if noise:
        noise |= {k for k, v in stats.items() if k[0] == "~" and v[4] and all(c in noise for c in v[4])}
    return noise


def _function_record(key: tuple, cc: int, nc: int, tt: float, ct: float) -> FunctionRecord:
    file, line, name = key
    if file == "~":  # pstats' marker for built-ins: no file, no line
        match = _BUILTIN_RE.match(name)
        return FunctionRecord(match.group(1) if match else name, "", 0, float(tt), float(ct), int(nc))
    return FunctionRecord(str(name), str(file), int(line), float(tt), float(ct), int(nc))


def _import(stats: dict, stacks: list[tuple[list[tuple[str, str, int]], float]] | None) -> Profile:
    noise = _noise(stats)
    keys = [k for k in stats if k not in noise]
    if not keys:
        raise ProfileFormatError("The cProfile dump holds no function calls: nothing ran while profiling.")
    index = {k: i for i, k in enumerate(keys)}
    functions: list[FunctionRecord] = []
    self_tt: list[float] = []
    fn_ct: list[float] = []
    # callees[f] = [(g, edge cumulative time)]; root_edges = time entering
    # each function from outside the kept set (no caller, or a noise caller).
    callees: list[list[tuple[int, float]]] = [[] for _ in keys]
    root_edges: list[tuple[int, float]] = []
    for g, key in enumerate(keys):
        cc, nc, tt, ct, callers = stats[key]
        if not (_finite(tt) and _finite(ct)):
            raise ProfileFormatError("The cProfile data holds invalid (non-finite) times.")
        functions.append(_function_record(key, cc, nc, tt, ct))
        self_tt.append(max(float(tt), 0.0))
        fn_ct.append(max(float(ct), 0.0))
        outside = explained = 0.0
        for caller, edge in callers.items():
            edge_ct = float(edge[3])  # caller entries are (nc, cc, tt, ct)
            if edge_ct < 0.0:
                edge_ct = 0.0
            explained += edge_ct
            f = index.get(caller)
            if f is None:
                outside += edge_ct
            elif f != g:  # a self-edge is recursion: the tree cuts it anyway
                callees[f].append((g, edge_ct))
        if not callers:
            outside = fn_ct[g]
        else:
            # Time no recorded caller explains entered from an unprofiled frame
            # (e.g. the worker's exec() of the script, started with the profiler
            # already running): it hangs from the root too.
            unexplained = fn_ct[g] - explained
            if unexplained > UNEXPLAINED_MIN_FRACTION * fn_ct[g]:
                outside += unexplained
        if outside > 0:
            root_edges.append((g, outside))

    # The run's total is every function's own time, once: the root must be
    # exactly that for the flame graph (and every export) to add up.
    run_total = math.fsum(self_tt)
    root_edges = _fill_root_gap(root_edges, fn_ct, run_total)
    trie = (
        SampleTrie.build(stacks, index, lambda paths: leaf_times(paths, functions, callees, fn_ct, self_tt))
        if stacks
        else None
    )
    for lst in callees:  # heaviest first in drawing order
        lst.sort(key=heaviest_first)
    edges = EdgeColumns(callees)
    tree = _build_by_levels(root_edges, callees, self_tt, fn_ct, run_total, edges) if trie is None else None
    capped = False
    if tree is None:  # sampled stacks, or a graph too big for the levels: one node at a time
        builder = TreeBuilder(run_total)
        is_c = [not f.file for f in functions]
        capped = build_tree(builder, root_edges, callees, self_tt, fn_ct, run_total, trie, is_c, edges, MAX_NODES)
        tree = builder.build()
    notes = [ESTIMATE_NOTE if trie is None else EVIDENCE_NOTE.format(n=trie.n_samples)]
    if capped:
        notes.append(CAPPED_NOTE.format(max_nodes=MAX_NODES))
    if tree.folded_share() >= FOLDED_VISIBLE_SHARE:
        notes.append(FOLDED_NOTE.format(pct=100.0 * tree.folded_share()))
    return Profile(
        profiler="cprofile",
        functions=functions,
        tree=tree,
        unit="s",
        stacks_exact=False,
        notes=notes,
    )


def _fill_root_gap(root_edges, fn_ct, run_total):
    """Raise the outside time of recursive entry points until the roots hold the run.

    Every moment of a run is inside some outermost call, so the time entering
    from outside sums to the run's total. The gap between a function's time
    and its callers' edges underestimates that where the function recurses
    through other functions (``exec`` -> ``import`` -> ``exec``, or
    ``python -m`` where ``exec`` runs ``runpy`` which runs ``exec``: the inner
    calls' edges are counted on top of the outer call, and can hide it
    entirely). The outermost call encloses every other, so the missing time
    goes to the functions with the largest totals first, each up to its own.
    """
    gap = run_total - math.fsum(t for _, t in root_edges)
    if gap <= UNEXPLAINED_MIN_FRACTION * run_total:
        return root_edges
    outside = dict(root_edges)
    # Any function may be the hidden entry point: its callers' edges can even
    # exceed its own total when they count its inner calls.
    for g in sorted(range(len(fn_ct)), key=lambda g: (-fn_ct[g], g)):
        if gap <= 0:
            break
        add = min(max(fn_ct[g] - outside.get(g, 0.0), 0.0), gap)
        if add > 0:
            outside[g] = outside.get(g, 0.0) + add
            gap -= add
    return list(outside.items())


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _build_by_levels(root_edges, callees, self_tt, fn_ct, root_total, edges):
    """The proportional tree (no samples) with numpy, a depth at a time; None to fall back.

    See :mod:`tree_levels`: the same tree as :func:`build_tree`, several times faster.
    """
    min_s = root_total * PRUNE_FRACTION
    root = _OneNode()
    todo: list = []
    settle(root, 0, root_total, 0.0, [(g, t, -1, 0, True) for g, t in root_edges], True, min_s, todo)
    root_kids = [(g, t, exact) for g, t, _node, exact, _tau, _n in reversed(todo)]

    def fit_one(func, total, exact, scale, own, room, heavy):
        kids = fit_overfilled(
            callees[func][:heavy],
            scale * edges.segment_sum(func, heavy),
            scale,
            room,
            exact and abs(scale - 1.0) <= SCALE_EXACT_REL,
            min_s,
        )
        self_s = total - sum([k[1] for k in kids])
        self_s = self_s if self_s > 0 else 0.0
        return kids, self_s, self_s - own

    def fit_reentered(func, total, exact, path_funcs, path_totals):
        kids, own = reentered_fit(func, total, callees, self_tt, path_funcs, path_totals, pair_counts(path_funcs))
        scale = total / fn_ct[func] if fn_ct[func] > 0 else 0.0
        node = _OneNode()
        queued: list = []
        settle(node, 0, total, own, kids, exact and abs(scale - 1.0) <= SCALE_EXACT_REL, min_s, queued)
        return [(g, t, ex) for g, t, _n, ex, _tau, _s in reversed(queued)], node.self_s, node.folded_s

    return build_by_levels(
        root_kids,
        root.self_s,
        root.folded_s,
        root_total,
        edges,
        cyclic_functions(callees),
        np.asarray(fn_ct, dtype=np.float64),
        np.asarray(self_tt, dtype=np.float64),
        min_s,
        SCALE_EXACT_REL,
        FOLDED_MIN_REL * root_total,
        MAX_NODES,
        fit_one,
        fit_reentered,
    )


class _OneNode:
    """Stands in for the tree builder where :func:`settle` fits a single node."""

    self_s = folded_s = 0.0

    def set_self(self, _node: int, self_s: float, folded_s: float = 0.0) -> None:
        self.self_s, self.folded_s = self_s, folded_s
