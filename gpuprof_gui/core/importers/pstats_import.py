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

import numpy as np

from gpuprof_gui.core.importers.errors import ProfileFormatError, damage_reported_as
from gpuprof_gui.core.importers.sampled_paths import (  # noqa: F401
    SampleTrie,
    leaf_times,
    parse_sampled_stacks,
)
from gpuprof_gui.core.importers.tree_levels import (
    EdgeColumns,
    build_by_levels,
    cyclic_functions,
)
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder
from gpuprof_gui.protocol import STACKS_SUFFIX  # noqa: F401 - re-exported for the importers

PRUNE_FRACTION = 1e-5
"""Nodes below this share of the run are not built: at 1e-5 a node is under
0.02 px on a 2,000 px wide flame graph, and cutting them keeps a graph with
many thin fan-outs from multiplying into millions of invisible nodes."""

MAX_NODES = 300_000
"""Hard cap on tree nodes. A flame layout of ~200,000 nodes takes about a
second (DESIGN.md); 300,000 keeps pathological graphs bounded in memory
(~30 MB of columns) and time while leaving ordinary profiles untouched."""

MAX_CYCLE_TURNS = 1
"""How often one caller->callee call may repeat on an estimated path. Imports
nest (exec -> import -> exec -> ...): a function met again on its path is
drawn once more with its callees' mix, and a call repeated beyond this is
left in the frame, marked folded (or, in a mix, shared among the others).
Measured on `python -m cProfile -m pytest --collect-only`: 1 turn folds 6% of
the run in 13k nodes; 2 turns 46% in 73k, 4 turns 63% in 103k (each turn
spreads the mix thinner and multiplies nodes)."""

SAME_EDGE_REL = 0.01
"""Two cProfile edges within 1% of each other count one call's time (timer rounding)."""

SHRINK_EXACT_REL = 1e-3
"""Children summing up to 0.1% over their parent's time are rounding, not recursion."""
_SCALE_EXACT_REL = 1e-9
"""Relative tolerance for "the scale factor is 1" (float round-off only)."""

DISABLE_NOISE = "<method 'disable' of '_lsprof.Profiler' objects>"
"""The profiler's own stop call, present in every dump; never user code."""

ESTIMATE_NOTE = (
    "cProfile records only which function called which, not full call stacks: "
    "paths deeper than two calls are estimated by proportional attribution (hatched)."
)
EVIDENCE_NOTE = (
    "cProfile records only which function called which: each function's exact time is split "
    "among its call paths by {n:,} sampled stacks of the same run; hatched frames had no "
    "sample and are split in proportion."
)
FOLDED_NOTE = (
    "{pct:.1f}% of the run is in calls drawn inside their caller's frame (recursion folded, "
    "calls too small to draw); the frame's tooltip says how much."
)
FOLDED_NOTE_MIN_FRACTION = 0.005
"""Folded time under 0.5% of the run changes no frame visibly; no note."""
FOLDED_MIN_REL = 1e-9
"""Below this share of a frame, "folded" time is float round-off, not calls."""
CAPPED_NOTE = (
    "The call graph is very large: the tree was cut at {max_nodes:,} nodes, "
    "so some small paths are missing from the flame graph (the table is complete)."
)

_BUILTIN_RE = re.compile(r"^<built-in (?:method|function) (.+)>$")
_WORKER_DIR = "gpuprof_gui/workers/"
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
    return _WORKER_DIR in str(file).replace("\\", "/")


def _function_record(key: tuple, cc: int, nc: int, tt: float, ct: float) -> FunctionRecord:
    file, line, name = key
    if file == "~":  # pstats' marker for built-ins: no file, no line
        match = _BUILTIN_RE.match(name)
        return FunctionRecord(match.group(1) if match else name, "", 0, float(tt), float(ct), int(nc))
    return FunctionRecord(str(name), str(file), int(line), float(tt), float(ct), int(nc))


def _import(stats: dict, stacks: list[tuple[list[tuple[str, str, int]], float]] | None) -> Profile:
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
        if stacks else None
    )
    for lst in callees:  # heaviest first in drawing order
        lst.sort(key=_heaviest_first)
    edges = EdgeColumns(callees)
    tree = _build_by_levels(root_edges, callees, self_tt, fn_ct, run_total, edges) if trie is None else None
    capped = False
    if tree is None:  # sampled stacks, or a graph too big for the levels: one node at a time
        builder = TreeBuilder(run_total)
        is_c = [not f.file for f in functions]
        capped = _build_tree(builder, root_edges, callees, self_tt, fn_ct, run_total, trie, is_c, edges)
        tree = builder.build()
    notes = [ESTIMATE_NOTE if trie is None else EVIDENCE_NOTE.format(n=trie.n_samples)]
    if capped:
        notes.append(CAPPED_NOTE.format(max_nodes=MAX_NODES))
    if tree.folded_s is not None and run_total > 0:
        folded = float(tree.folded_s.sum()) / run_total
        if folded >= FOLDED_NOTE_MIN_FRACTION:
            notes.append(FOLDED_NOTE.format(pct=100.0 * folded))
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

    See :mod:`tree_levels`: the same tree as :func:`_build_tree`, several times faster.
    """
    min_s = root_total * PRUNE_FRACTION
    root = TreeBuilder(root_total)
    todo: list = []
    _settle(root, 0, root_total, 0.0, [(g, t, -1, 0, True) for g, t in root_edges], True, min_s, todo)
    root_tree = root.build()
    root_folded = float(root_tree.folded_s[0]) if root_tree.folded_s is not None else 0.0
    root_kids = [(g, t, exact) for g, t, _node, exact, _tau, _n in reversed(todo)]

    def fit_one(func, total, exact, scale, own, room, heavy):
        kids = _fit_overfilled(callees[func][:heavy], scale * edges.segment_sum(func, heavy), scale, room,
                               exact and abs(scale - 1.0) <= _SCALE_EXACT_REL, min_s)
        self_s = total - sum([k[1] for k in kids])
        self_s = self_s if self_s > 0 else 0.0
        return kids, self_s, self_s - own

    def fit_reentered(func, total, exact, path_funcs, path_totals):
        drawn_on_path = {path_funcs[i]: path_totals[i] for i in range(len(path_funcs) - 1)}
        caller = path_funcs[-2] if len(path_funcs) > 1 else -1
        entered = next((t for g, t in callees[caller] if g == func), 0.0) if caller >= 0 else 0.0
        kids, own = _reentered_kids(func, total, callees[func], self_tt[func], _pair_counts(path_funcs),
                                    drawn_on_path, entered)
        scale = total / fn_ct[func] if fn_ct[func] > 0 else 0.0
        node = _OneNode()
        queued: list = []
        _settle(node, 0, total, own, kids, exact and abs(scale - 1.0) <= _SCALE_EXACT_REL, min_s, queued)
        return [(g, t, ex) for g, t, _n, ex, _tau, _s in reversed(queued)], node.self_s, node.folded_s

    return build_by_levels(
        root_kids, float(root_tree.self_s[0]), root_folded, root_total,
        edges, cyclic_functions(callees),
        np.asarray(fn_ct, dtype=np.float64), np.asarray(self_tt, dtype=np.float64),
        min_s, _SCALE_EXACT_REL, FOLDED_MIN_REL * root_total, MAX_NODES, fit_one, fit_reentered)


class _OneNode:
    """Stands in for the tree builder where :func:`_settle` fits a single node."""

    self_s = folded_s = 0.0

    def set_self(self, _node: int, self_s: float, folded_s: float = 0.0) -> None:
        self.self_s, self.folded_s = self_s, folded_s


def _fit_overfilled(kids, kid_sum, scale, room, kexact, min_s):
    """``(callee, time, exact)`` for a node whose callees sum past its room (the per-node rule)."""
    if kid_sum <= room * (1.0 + SHRINK_EXACT_REL):  # timer rounding
        shrink = room / kid_sum
        return [(g, t * scale * shrink, kexact) for g, t in kids if t * scale * shrink >= min_s]
    out, left = [], room  # recursion through the callees over-counts them: heaviest keeps its time first
    for g, t in kids:
        t = min(t * scale, left)
        left -= t
        if t >= min_s and t > 0:
            out.append((g, t, False))
    return out


def _build_tree(builder, root_edges, callees, self_tt, fn_ct, root_total, trie=None, is_c=(),
                edges=None) -> bool:
    """Depth-first expansion with an explicit stack; returns True if capped.

    Time is conserved: a node's self time is its total minus the children
    drawn on it, and the part of that which is not the function's own work
    (a recursion cut short, calls too small to draw) is recorded as folded.
    Where sampled stacks exist, a callee's exact edge time is split among the
    paths the samples saw it on; elsewhere in proportion to the caller's time.
    """
    min_s = root_total * PRUNE_FRACTION
    edges = edges if edges is not None else EdgeColumns(callees)
    # Ascending negated edge times, to find by bisection the callees heavy
    # enough to survive pruning: a builtin called from thousands of places
    # otherwise costs (places x callees) work, quadratic in the profile.
    neg_edge = [[-t for _, t in lst] for lst in callees]
    # Each function's kept callees' total, as the level build reads it (same floats).
    prefix, prefix_at = edges.sums.tolist(), edges.offset.tolist()
    # (caller, callee) -> edge time: only the sampled and cyclic cases look
    # edges up by pair, so a profile with neither never builds it.
    edge = _EdgeIndex(callees)
    first_pair = trie.first_pair if trie is not None else {}
    c_callees = [[g for g, _ in lst if is_c[g]] for lst in callees] if trie is not None else []
    # Stack items: (func, total on this path, parent node, exact, trie node, samples).
    todo: list[tuple[int, float, int, bool, int, int]] = []
    root_kids = []
    for g, t in root_edges:
        tau = trie.kids[0].get(g, -1) if trie is not None else -1
        root_kids.append((g, t, tau, 0 if tau < 0 else trie.raw[tau], True))
    _settle(builder, 0, root_total, 0.0, root_kids, True, min_s, todo)
    path: list[int] = []  # functions on the path to the node being added
    pairs: list[tuple[int, int]] = []
    on_path: dict[int, int] = {}
    pair_on_path: dict[tuple[int, int], int] = {}
    node_of_depth: list[int] = [0]  # the node at each depth of ``path`` (index 0: the root)
    depth_of = [0]  # depth of each built node, to trim ``path``
    folded_floor = FOLDED_MIN_REL * root_total
    while todo:
        node = len(builder)
        if node >= MAX_NODES:
            _fold_unbuilt(builder, todo)
            return True
        func, total, parent, exact, tau, n_samples = todo.pop()
        depth = depth_of[parent]
        while len(path) > depth:
            gone = path.pop()
            left = on_path[gone] - 1
            if left:
                on_path[gone] = left
            else:
                del on_path[gone]
            if trie is not None:
                _drop(pair_on_path, pairs.pop())
        caller = path[-1] if path else -1
        reentered = func in on_path
        scale = total / fn_ct[func] if fn_ct[func] > 0 else 0.0
        own = min(self_tt[func] * scale, total)
        depth_of.append(depth + 1)
        path.append(func)
        on_path[func] = on_path.get(func, 0) + 1
        node_of_depth[depth + 1:] = [node]
        if trie is not None:  # the sampled branches check calls already on the path
            pairs.append((caller, func))
            pair_on_path[(caller, func)] = pair_on_path.get((caller, func), 0) + 1
        if tau == -1 and not reentered and trie is None:
            # The common case, inlined: callees in proportion, straight from the
            # edge list (heaviest first), fitted into what the function's own time leaves.
            lst = callees[func]
            heavy = bisect_right(neg_edge[func], -min_s / scale) if scale > 0 else 0
            room = total - own if total > own else 0.0
            kid_sum = scale * (prefix[prefix_at[func] + heavy] - prefix[prefix_at[func]])
            if kid_sum <= room:
                kexact = exact and abs(scale - 1.0) <= _SCALE_EXACT_REL
                queued = [(g, t * scale, node, kexact, -1, 0) for g, t in lst[:heavy]]
                self_s = total - kid_sum
            else:  # over-filled: timer rounding, or recursion through the callees
                kexact = exact and abs(scale - 1.0) <= _SCALE_EXACT_REL
                queued = [(g, t, node, ex, -1, 0)
                          for g, t, ex in _fit_overfilled(lst[:heavy], kid_sum, scale, room, kexact, min_s)]
                self_s = total - sum([q[1] for q in queued])
            queued.reverse()  # popped heaviest first
            self_s = self_s if self_s > 0 else 0.0
            folded = self_s - own
            builder.add(parent, func, total, self_s, exact, folded if folded > folded_floor else 0.0)
            todo.extend(queued)
            continue
        builder.add(parent, func, total, 0.0, exact)
        if n_samples and not exact:
            builder.set_samples(node, n_samples)
        kids: list[tuple[int, float, int, int, bool]] = []
        if tau >= 0:
            n_tau = trie.count[tau]
            seen = set()
            through: dict[int, float] = {}  # C function -> samples of its Python callees here
            through_raw: dict[int, int] = {}
            for g, sigma in trie.kids[tau].items():
                n_sigma = trie.count[sigma]
                e = edge.get((func, g))
                n_first = first_pair.get((func, g), 0.0)
                if e is not None and n_first > 0 and pair_on_path.get((func, g), 0) < MAX_CYCLE_TURNS:
                    kids.append((g, e * n_sigma / n_first, sigma, trie.raw[sigma], n_sigma >= n_first * (1 - 1e-9)))
                elif e is None and (b := _c_caller_between(func, g, c_callees, edge)) >= 0:
                    # Samplers see no C frames: `sum(genexpr)` samples as caller -> genexpr.
                    through[b] = through.get(b, 0.0) + n_sigma
                    through_raw[b] = through_raw.get(b, 0) + trie.raw[sigma]
                    seen.add(b)
                else:  # a recursive call, or one cProfile has no edge for: the samples' own ratio
                    kids.append((g, total * n_sigma / n_tau, sigma, trie.raw[sigma], False))
                seen.add(g)
            for b, n_b in through.items():
                e = edge[(func, b)]
                kids.append((b, max(e * scale, min(e, total * n_b / n_tau)), -2 - tau, through_raw[b], False))
            heavy = bisect_right(neg_edge[func], -min_s / scale) if scale > 0 else 0
            for g, t in callees[func][:heavy]:
                # Callees the samples never saw anywhere (C functions, short
                # calls) are split in proportion; the rest went where the samples say.
                if g not in seen and first_pair.get((func, g), 0.0) <= 0 and pair_on_path.get((func, g), 0) < MAX_CYCLE_TURNS:
                    # A C function keeps this path's samples as context for its own callees.
                    kids.append((g, t * scale, -2 - tau if is_c[g] else -1, 0, True))
        elif tau == -1 and not reentered:  # a path no sample reached, in a sampled run
            kids = _unsampled_kids(total - own, callees[func], func, first_pair)
        elif tau <= -2:  # a C function whose Python callees the samples show under its caller
            kids = _kids_through_c(func, trie, -2 - tau, edge, first_pair, callees[func], scale)
        else:  # re-entered: ``func`` met again on its own path (a cycle)
            drawn_on_path = {path[i]: builder.total_of(node_of_depth[i + 1]) for i in range(len(path) - 1)}
            turns = pair_on_path if trie is not None else _pair_counts(path)
            entered = next((t for g, t in callees[caller] if g == func), 0.0) if caller >= 0 else 0.0
            kids, own = _reentered_kids(func, total, callees[func], self_tt[func], turns, drawn_on_path, entered)
        kids_exact = exact and abs(scale - 1.0) <= _SCALE_EXACT_REL
        _settle(builder, node, total, own, kids, kids_exact, min_s, todo, tau != -1)
    return False


class _EdgeIndex(dict):
    """``{(caller, callee): edge time}``, filled on first use."""

    def __init__(self, callees) -> None:
        super().__init__()
        self._callees = callees
        self._filled = False

    def _fill(self) -> None:
        self._filled = True
        for f, lst in enumerate(self._callees):
            for g, t in lst:
                self[(f, g)] = t

    def get(self, key, default=None):
        if not self._filled:
            self._fill()
        return super().get(key, default)

    def __getitem__(self, key):
        if not self._filled:
            self._fill()
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        if not self._filled:
            self._fill()
        return super().__contains__(key)


def _pair_counts(path: list[int]) -> dict[tuple[int, int], int]:
    """How often each caller->callee call occurs on ``path`` (from the root, ``-1``)."""
    counts: dict[tuple[int, int], int] = {}
    for pair in zip([-1, *path[:-1]], path):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def _unsampled_kids(room, callees, func, first_pair):
    """Children of a node on a path no sample reached, in a run that has samples.

    The calls the samples saw elsewhere are not here (that is where their time
    went: a light caller's ``dispatch`` must not take a share of the heavy
    caller's kernel); the others share what the node leaves, in proportion to
    their edges, each at most its edge's exact time.
    """
    allowed = [(g, t) for g, t in callees if first_pair.get((func, g), 0.0) <= 0]
    weight = sum([t for _, t in allowed])
    if weight <= 0 or room <= 0:
        return []
    share = room / weight
    return [(g, min(t, t * share), -1, 0, False) for g, t in allowed]


def _c_caller_between(func: int, g: int, c_callees, edge) -> int:
    """A C function that ``func`` calls and that calls ``g`` (heaviest first), else -1."""
    for b in c_callees[func]:
        if (b, g) in edge:
            return b
    return -1


def _kids_through_c(func, trie, tau, edge, first_pair, callees, scale):
    """Children of C function ``func`` on a sampled path: its Python callees the
    samples saw under ``func``'s caller (trie node ``tau``), by their sample counts;
    its other callees, which no sampler sees, in proportion."""
    sampled = [(g, sigma, trie.count[sigma]) for g, sigma in trie.kids[tau].items() if (func, g) in edge]
    # The edge's exact time, split by where the samples saw the callee start.
    kids = [(g, edge[(func, g)] * n / trie.first_func[g], sigma, trie.raw[sigma], False) for g, sigma, n in sampled]
    seen = {g for g, _, _ in sampled}
    kids += [(g, t * scale, -1, 0, True) for g, t in callees if g not in seen and g not in trie.sampled]
    return kids


def _reentered_kids(func, total, callees, own_tt, pair_on_path, drawn_on_path, entered=0.0):
    """Children of a function met again on its own path (a cycle), and its own time there.

    cProfile counts an edge's time once per outermost call, so the inner
    instance's calls are already inside the outer instance's edge times: its
    frame is filled with its callees' *mix* instead. A callee that is itself
    on the path is weighed by what its edge holds beyond the instance already
    drawn (``exec`` met again inside an import: the script's own <module> is
    the outer one, the imported modules' bodies are what is left).
    """
    weights = []
    for g, t in callees:
        if pair_on_path.get((func, g), 0) >= MAX_CYCLE_TURNS:
            continue
        drawn = drawn_on_path.get(g)
        weights.append((g, t, max(t - drawn, 0.0) if drawn is not None else t))
    left = math.fsum(w for _, _, w in weights)
    if left <= _SCALE_EXACT_REL * total:  # nothing beyond the outer calls: keep the plain mix
        weights = [(g, t, t) for g, t, _ in weights]
        left = math.fsum(t for _, t, _ in weights)
    denom = own_tt + left
    if denom <= 0:
        return [], total
    # A callee whose calls took what the calls into this instance took (to
    # 1%), alone, is what it ran: ``python -m``'s runpy -> exec -> the module's
    # own <module>, where the script's imports make exec's other callees big too.
    # Several such, or none, are nested imports: keep the mix.
    same = [g for g, t, _ in weights if entered > 0 and abs(t - entered) <= SAME_EDGE_REL * entered]
    if len(same) == 1:
        return [(same[0], total, -1, 0, False)], 0.0
    return [(g, total * w / denom, -1, 0, False) for g, _, w in weights], \
        total * own_tt / denom


def _settle(builder, node, total, own, kids, kids_exact, min_s, todo, sampled: bool = False) -> None:
    """Fit ``kids`` into ``node``, set its conserved self time, queue the kids.

    ``own`` is the function's own time expected on this path (its self time in
    proportion). On a ``sampled`` path the samples placed the children, and
    what they leave is the frame's own time; only calls too small to draw
    count as folded there. (The plain proportional case is inlined in
    :func:`_build_tree`, where it is most of the nodes.)
    """
    if sampled:
        own = 0.0
    kid_sum = sum([k[1] for k in kids])
    room = max(total - own, 0.0)
    # cProfile's own timer rounding lets callees sum a hair over their caller's
    # time; only a real over-count makes the children's times estimates.
    if kid_sum <= room * (1.0 + SHRINK_EXACT_REL):
        shrink = room / kid_sum if kid_sum > room else 1.0
        queued = [(g, t * shrink, node, kids_exact and full, tau, n)
                  for g, t, tau, n, full in kids if t * shrink >= min_s and t > 0]
    else:
        # Over-subscribed: the function recurses through its callees, so their
        # edge times also count calls made by its inner instances. The heaviest
        # callee keeps its time first (``exec`` -> the script's <module> holds
        # the whole run; the modules it imports ran inside that, not beside it).
        queued, left = [], room
        for g, t, tau, n, _full in sorted(kids, key=_heaviest_first):
            t = min(t, left)
            left -= t
            if t >= min_s and t > 0:
                queued.append((g, t, node, False, tau, n))
    if len(queued) > 1:
        queued.sort(key=_push_order)  # popped heaviest first
    drawn_s = sum([k[1] for k in queued])
    self_s = max(total - drawn_s, 0.0)
    if sampled:  # what the samples put here but was too small to draw
        folded = min(self_s, max(min(kid_sum, room) - drawn_s, 0.0))
    else:
        folded = max(self_s - own, 0.0)
    builder.set_self(node, self_s, folded if folded > FOLDED_MIN_REL * total else 0.0)
    todo.extend(queued)


def _heaviest_first(kid: tuple) -> tuple:
    return -kid[1], kid[0]


def _push_order(queued: tuple) -> tuple:
    return queued[1], -queued[0]


def _fold_unbuilt(builder, todo) -> None:
    """The node cap cut these subtrees: their time stays in the parent frame, folded."""
    for _g, t, parent, *_ in todo:
        builder.fold_into(parent, t)


def _drop(counts: dict, key) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]
