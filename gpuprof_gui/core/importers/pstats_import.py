"""cProfile / pstats data -> :class:`Profile`.

cProfile records flat per-function times plus caller->callee edges, never
whole stacks. The call tree is therefore *estimated*: below a node, each
callee gets ``edge time x (node time / function time)`` (proportional
attribution, as gprof and snakeviz do). Nodes reached only through exact
edges are flagged ``exact``; the rest are estimates and the view says so.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right

from gpuprof_gui.core.importers.errors import ProfileFormatError, damage_reported_as
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder

PRUNE_FRACTION = 1e-5
"""Nodes below this share of the run are not built: at 1e-5 a node is under
0.02 px on a 2,000 px wide flame graph, and cutting them keeps a graph with
many thin fan-outs from multiplying into millions of invisible nodes."""

MAX_NODES = 300_000
"""Hard cap on tree nodes. A flame layout of ~200,000 nodes takes about a
second (DESIGN.md); 300,000 keeps pathological graphs bounded in memory
(~30 MB of columns) and time while leaving ordinary profiles untouched."""

SHRINK_EXACT_REL = 1e-3
"""Children summing up to 0.1% over their parent's time are rounding, not recursion."""
_SCALE_EXACT_REL = 1e-9
"""Relative tolerance for "the scale factor is 1" (float round-off only)."""

DISABLE_NOISE = "<method 'disable' of '_lsprof.Profiler' objects>"
"""The profiler's own stop call, present in every dump; never user code."""

ESTIMATE_NOTE = (
    "cProfile records only which function called which, not full call stacks: "
    "paths deeper than two calls are estimated by proportional attribution."
)
CAPPED_NOTE = (
    "The call graph is very large: the tree was cut at {max_nodes:,} nodes, "
    "so some small paths are missing from the flame graph (the table is complete)."
)

_BUILTIN_RE = re.compile(r"^<built-in (?:method|function) (.+)>$")
_WORKER_DIR = "gpuprof_gui/workers/"
UNEXPLAINED_MIN_FRACTION = 0.01
"""Below 1% of a function's time, a gap between its time and its callers' is rounding, not a caller."""


def import_pstats(stats: dict) -> Profile:
    """Build a Profile from ``pstats.Stats(...).stats``."""
    if not isinstance(stats, dict):
        raise ProfileFormatError("The file is not a cProfile dump (it holds no table of functions).")
    with damage_reported_as("The cProfile data"):
        return _import(stats)


def _is_noise(key: tuple) -> bool:
    file, _line, name = key
    if name == DISABLE_NOISE:
        return True
    return _WORKER_DIR in str(file).replace("\\", "/")


def _function_record(key: tuple, cc: int, nc: int, tt: float, ct: float) -> FunctionRecord:
    file, line, name = key
    if file == "~":  # pstats' marker for built-ins: no file, no line
        match = _BUILTIN_RE.match(name)
        return FunctionRecord(match.group(1) if match else name, "", 0, float(tt), float(ct), int(nc))
    return FunctionRecord(str(name), str(file), int(line), float(tt), float(ct), int(nc))


def _import(stats: dict) -> Profile:
    keys = [k for k in stats if not _is_noise(k)]
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
        outside = 0.0
        for caller, edge in callers.items():
            edge_ct = max(float(edge[3]), 0.0)  # caller entries are (nc, cc, tt, ct)
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
            explained = math.fsum(max(float(e[3]), 0.0) for e in callers.values())
            unexplained = fn_ct[g] - explained
            if unexplained > UNEXPLAINED_MIN_FRACTION * fn_ct[g]:
                outside += unexplained
        if outside > 0:
            root_edges.append((g, outside))

    root_total = max(math.fsum(self_tt), math.fsum(t for _, t in root_edges))
    builder = TreeBuilder(root_total)
    capped = _build_tree(builder, root_edges, callees, self_tt, fn_ct, root_total)
    notes = [ESTIMATE_NOTE]
    if capped:
        notes.append(CAPPED_NOTE.format(max_nodes=MAX_NODES))
    return Profile(
        profiler="cprofile",
        functions=functions,
        tree=builder.build(),
        unit="s",
        stacks_exact=False,
        notes=notes,
    )


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _build_tree(builder, root_edges, callees, self_tt, fn_ct, root_total) -> bool:
    """Depth-first expansion with an explicit stack; returns True if capped."""
    min_s = root_total * PRUNE_FRACTION
    for lst in callees:  # heaviest first in drawing order
        lst.sort(key=lambda e: (-e[1], e[0]))
    # Ascending negated edge times, to find by bisection the callees heavy
    # enough to survive pruning: a builtin called from thousands of places
    # otherwise costs (places x callees) work, quadratic in the profile.
    neg_edge = [[-t for _, t in lst] for lst in callees]
    # Stack items: (func, total on this path, parent node, parent exact & scale 1).
    todo = [(g, t, 0, True) for g, t in sorted(root_edges, key=lambda e: (e[1], -e[0])) if t >= min_s]
    path: list[int] = []  # functions on the path to the node being added
    on_path: set[int] = set()
    depth_of = [0]  # depth of each built node, to trim ``path``
    while todo:
        if len(builder) >= MAX_NODES:
            return True
        func, total, parent, exact = todo.pop()
        depth = depth_of[parent]
        while len(path) > depth:
            on_path.discard(path.pop())
        scale = total / fn_ct[func] if fn_ct[func] > 0 else 0.0
        node_self = min(self_tt[func] * scale, total)
        heavy = bisect_right(neg_edge[func], -min_s / scale) if scale > 0 else 0
        kids = [(g, t * scale) for g, t in callees[func][:heavy] if g not in on_path and g != func]
        kid_sum = math.fsum(t for _, t in kids)
        room = total - node_self
        if kid_sum > room:  # mutual recursion can over-count: clip children to fit
            shrink = room / kid_sum if room > 0 else 0.0
            kids = [(g, t * shrink) for g, t in kids]
        # cProfile's own timer rounding lets callees sum a hair over their caller's
        # time; only a real over-count makes the children's times estimates.
        shrunk = kid_sum > room * (1.0 + SHRINK_EXACT_REL)
        node = builder.add(parent, func, total, node_self, exact)
        depth_of.append(depth + 1)
        path.append(func)
        on_path.add(func)
        kids_exact = exact and not shrunk and abs(scale - 1.0) <= _SCALE_EXACT_REL
        for g, t in reversed(kids):
            if t >= min_s and t > 0:
                todo.append((g, t, node, kids_exact))
    return False
