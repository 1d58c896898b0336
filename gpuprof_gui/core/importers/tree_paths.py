"""Build the estimated call tree of a cProfile table one node at a time.

This is the general builder: it follows sampled stacks where there are any
(:mod:`sampled_paths`), re-enters functions met again on their own path (a
cycle of the call graph) with their callees' mix, and fits over-filled nodes.
Without samples, :mod:`tree_levels` builds the same tree a depth at a time
and calls back here for the nodes that need a path.

Every node conserves time: its self time is its width minus the children
drawn on it; what is not the function's own work (a cycle cut short, calls
too small to draw) is recorded as folded.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from gpuprof_gui.core.importers.tree_levels import EdgeColumns

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
SCALE_EXACT_REL = 1e-9
"""Relative tolerance for "the scale factor is 1" (float round-off only)."""

FOLDED_MIN_REL = 1e-9
"""Below this share of a frame, "folded" time is float round-off, not calls."""


def fit_overfilled(kids, kid_sum, scale, room, kexact, min_s):
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


def build_tree(
    builder, root_edges, callees, self_tt, fn_ct, root_total, trie=None, is_c=(), edges=None, max_nodes: int = MAX_NODES
) -> bool:
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
    # (caller, callee) -> edge time: only the sampled branches look edges up by pair.
    edge = {(f, g): t for f, lst in enumerate(callees) for g, t in lst} if trie is not None else {}
    first_pair = trie.first_pair if trie is not None else {}
    c_callees = [[g for g, _ in lst if is_c[g]] for lst in callees] if trie is not None else []
    # Stack items: (func, total on this path, parent node, exact, trie node, samples).
    todo: list[tuple[int, float, int, bool, int, int]] = []
    root_kids = []
    for g, t in root_edges:
        tau = trie.kids[0].get(g, -1) if trie is not None else -1
        root_kids.append((g, t, tau, 0 if tau < 0 else trie.raw[tau], True))
    settle(builder, 0, root_total, 0.0, root_kids, True, min_s, todo)
    path: list[int] = []  # functions on the path to the node being added
    pairs: list[tuple[int, int]] = []
    on_path: dict[int, int] = {}
    pair_on_path: dict[tuple[int, int], int] = {}
    node_of_depth: list[int] = [0]  # the node at each depth of ``path`` (index 0: the root)
    depth_of = [0]  # depth of each built node, to trim ``path``
    folded_floor = FOLDED_MIN_REL * root_total
    while todo:
        node = len(builder)
        if node >= max_nodes:
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
        node_of_depth[depth + 1 :] = [node]
        if trie is not None:  # the sampled branches check calls already on the path
            pairs.append((caller, func))
            pair_on_path[(caller, func)] = pair_on_path.get((caller, func), 0) + 1
        if tau == -1 and not reentered and trie is None:
            # Callees in proportion, straight from the edge list (heaviest first), fitted
            # into what the function's own time leaves: tree_levels' rule, here for the
            # trees that pass its node cap.
            lst = callees[func]
            heavy = bisect_right(neg_edge[func], -min_s / scale) if scale > 0 else 0
            room = total - own if total > own else 0.0
            kid_sum = scale * (prefix[prefix_at[func] + heavy] - prefix[prefix_at[func]])
            if kid_sum <= room:
                kexact = exact and abs(scale - 1.0) <= SCALE_EXACT_REL
                queued = [(g, t * scale, node, kexact, -1, 0) for g, t in lst[:heavy]]
                self_s = total - kid_sum
            else:  # over-filled: timer rounding, or recursion through the callees
                kexact = exact and abs(scale - 1.0) <= SCALE_EXACT_REL
                queued = [
                    (g, t, node, ex, -1, 0)
                    for g, t, ex in fit_overfilled(lst[:heavy], kid_sum, scale, room, kexact, min_s)
                ]
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
                if (
                    g not in seen
                    and first_pair.get((func, g), 0.0) <= 0
                    and pair_on_path.get((func, g), 0) < MAX_CYCLE_TURNS
                ):
                    # A C function keeps this path's samples as context for its own callees.
                    kids.append((g, t * scale, -2 - tau if is_c[g] else -1, 0, True))
        elif tau == -1 and not reentered:  # a path no sample reached, in a sampled run
            kids = _unsampled_kids(total - own, callees[func], func, first_pair)
        elif tau <= -2:  # a C function whose Python callees the samples show under its caller
            kids = _kids_through_c(func, trie, -2 - tau, edge, first_pair, callees[func], scale)
        else:  # re-entered: ``func`` met again on its own path (a cycle)
            totals = [builder.total_of(node_of_depth[i + 1]) for i in range(len(path))]
            kids, own = reentered_fit(
                func, total, callees, self_tt, path, totals, pair_on_path if trie is not None else pair_counts(path)
            )
        kids_exact = exact and abs(scale - 1.0) <= SCALE_EXACT_REL
        settle(builder, node, total, own, kids, kids_exact, min_s, todo, tau != -1)
    return False


def reentered_fit(func, total, callees, self_tt, path_funcs, path_totals, turns):
    """``(kids, own time)`` of a function met again on its own path.

    ``path_funcs``/``path_totals``: the path from the root's child down to
    this node (itself last); ``turns``: how often each call occurs on it.
    """
    drawn_on_path = {path_funcs[i]: path_totals[i] for i in range(len(path_funcs) - 1)}
    caller = path_funcs[-2] if len(path_funcs) > 1 else -1
    entered = next((t for g, t in callees[caller] if g == func), 0.0) if caller >= 0 else 0.0
    return reentered_kids(func, total, callees[func], self_tt[func], turns, drawn_on_path, entered)


def pair_counts(path: list[int]) -> dict[tuple[int, int], int]:
    """How often each caller->callee call occurs on ``path`` (from the root, ``-1``)."""
    counts: dict[tuple[int, int], int] = {}
    for pair in zip([-1, *path[:-1]], path, strict=True):
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


def reentered_kids(func, total, callees, own_tt, pair_on_path, drawn_on_path, entered=0.0):
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
    if left <= SCALE_EXACT_REL * total:  # nothing beyond the outer calls: keep the plain mix
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
    return [(g, total * w / denom, -1, 0, False) for g, _, w in weights], total * own_tt / denom


def settle(builder, node, total, own, kids, kids_exact, min_s, todo, sampled: bool = False) -> None:
    """Fit ``kids`` into ``node``, set its conserved self time, queue the kids.

    ``own`` is the function's own time expected on this path (its self time in
    proportion). On a ``sampled`` path the samples placed the children, and
    what they leave is the frame's own time; only calls too small to draw
    count as folded there. (The plain proportional case is inlined in
    :func:`build_tree`, where it is most of the nodes.)
    """
    if sampled:
        own = 0.0
    kid_sum = sum([k[1] for k in kids])
    room = max(total - own, 0.0)
    # cProfile's own timer rounding lets callees sum a hair over their caller's
    # time; only a real over-count makes the children's times estimates.
    if kid_sum <= room * (1.0 + SHRINK_EXACT_REL):
        shrink = room / kid_sum if kid_sum > room else 1.0
        queued = [
            (g, t * shrink, node, kids_exact and full, tau, n)
            for g, t, tau, n, full in kids
            if t * shrink >= min_s and t > 0
        ]
    else:
        # Over-subscribed: the function recurses through its callees, so their
        # edge times also count calls made by its inner instances. The heaviest
        # callee keeps its time first (``exec`` -> the script's <module> holds
        # the whole run; the modules it imports ran inside that, not beside it).
        queued, left = [], room
        for g, t, tau, n, _full in sorted(kids, key=heaviest_first):
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


def heaviest_first(kid: tuple) -> tuple:
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
