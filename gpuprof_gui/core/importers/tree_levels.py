"""The proportional call tree built level by level with numpy, for the acyclic part of a call graph.

:func:`tree_paths.build_tree` expands one node at a time, about 5 µs
each: half a second for a 100,000-node tree. Where a function cannot be met
again on its own path (it is in no cycle of the call graph), a node's
children depend only on the node itself — its function, time and
exactness — so a whole depth of the tree can be expanded at once. A
function that is in a cycle starts a subtree that the per-node builder
makes (cycles need the path); it is placed into the result as one block.

The result is the same tree, node for node and in the same depth-first
order, with the same arithmetic in the same order, as the per-node build
(``tests/core/test_tree_levels.py`` compares them); the rare node whose children
over-fill it (timer rounding, recursion) is fitted by the per-node code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gpuprof_gui.core.model import CallTree


def cyclic_functions(callees: list[list[tuple[int, float]]]) -> np.ndarray:
    """Bool per function: part of a cycle of the call graph (strongly connected, size > 1).

    Tarjan's algorithm with an explicit stack (deep graphs must not hit
    Python's recursion limit). Self-calls are not in ``callees``.
    """
    n = len(callees)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out = np.zeros(n, dtype=bool)
    counter = 0
    for start in range(n):
        if index[start] >= 0:
            continue
        work = [(start, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            kids = callees[v]
            recurse = False
            while i < len(kids):
                w = kids[i][0]
                i += 1
                if index[w] < 0:
                    work.append((v, i))
                    work.append((w, 0))
                    recurse = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if recurse:
                continue
            if low[v] == index[v]:
                members = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    members.append(w)
                    if w == v:
                        break
                if len(members) > 1:
                    out[members] = True
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
    return out


class EdgeColumns:
    """Every function's callee list (sorted heaviest first) as flat numpy columns."""

    def __init__(self, callees: list[list[tuple[int, float]]]) -> None:
        counts = np.fromiter((len(lst) for lst in callees), dtype=np.int64, count=len(callees))
        self.offset = np.zeros(len(callees) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offset[1:])
        n = int(self.offset[-1])
        pairs = np.array([e for lst in callees for e in lst], dtype=np.float64).reshape(n, 2)
        self.callee = pairs[:, 0].astype(np.int64)
        self.time = np.ascontiguousarray(pairs[:, 1])
        # Running sum over all edges: a function's first h callees take
        # sums[offset + h] - sums[offset] (both builders read it so, for the same floats).
        self.sums = np.zeros(n + 1, dtype=np.float64)
        np.cumsum(self.time, out=self.sums[1:])

    def segment_sum(self, func: int, count: int) -> float:
        """Total time of ``func``'s ``count`` heaviest callees."""
        base = int(self.offset[func])
        return float(self.sums[base + count] - self.sums[base])

    def heavy_counts(self, funcs: np.ndarray, threshold: np.ndarray) -> np.ndarray:
        """Per node: how many of its function's callees have time >= its threshold (a prefix)."""
        lo = self.offset[funcs].copy()
        hi = self.offset[funcs + 1].copy()
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            take = active & (self.time[np.minimum(mid, self.time.shape[0] - 1)] >= threshold)
            lo = np.where(take, mid + 1, lo)
            hi = np.where(active & ~take, mid, hi)
        return lo - self.offset[funcs]


def build_by_levels(
    root_kids: list[tuple],
    root_self: float,
    root_folded: float,
    root_total: float,
    edges: EdgeColumns,
    cyclic: np.ndarray,
    fn_ct: np.ndarray,
    self_tt: np.ndarray,
    min_s: float,
    scale_exact_rel: float,
    folded_floor: float,
    max_nodes: int,
    fit_one: Callable,
    fit_reentered: Callable,
) -> CallTree | None:
    """The call tree (see the module doc), or None when it would pass ``max_nodes``.

    ``root_kids``: ``(func, total, exact)`` of the root's children in drawing
    order. ``fit_one(func, total, exact, scale, own, room, heavy)`` fits one
    over-filled node as the per-node build does; ``fit_reentered(func, total,
    exact, path_funcs, path_totals)`` expands a function met again on its own
    path. Both return ``(kids as (func, total, exact) in drawing order, self, folded)``.
    """
    e_parent = [np.array([-1], dtype=np.int64)]
    e_func = [np.array([-1], dtype=np.int64)]
    e_total = [np.array([root_total])]
    e_self = [np.array([root_self])]
    e_folded = [np.array([root_folded])]
    e_exact = [np.array([True])]
    levels: list[np.ndarray] = []  # entry ids per depth >= 1, grouped by parent, siblings in order
    # Python copies of parent/func/total, for walking up the path of a function in a cycle.
    up_parent, up_func, up_total = [-1], [-1], [root_total]
    n_entries = 1
    lv_func = np.array([k[0] for k in root_kids], dtype=np.int64)
    lv_total = np.array([k[1] for k in root_kids], dtype=np.float64)
    lv_exact = np.array([k[2] for k in root_kids], dtype=bool)
    lv_parent = np.zeros(len(root_kids), dtype=np.int64)
    while lv_func.shape[0]:
        ids = np.arange(n_entries, n_entries + lv_func.shape[0])
        n_entries += lv_func.shape[0]
        if n_entries > max_nodes:
            return None
        levels.append(ids)
        up_parent.extend(lv_parent.tolist())
        up_func.extend(lv_func.tolist())
        up_total.extend(lv_total.tolist())
        f = lv_func
        ct = fn_ct[f]
        scale = np.zeros(f.shape[0])
        np.divide(lv_total, ct, out=scale, where=ct > 0)
        own = np.minimum(self_tt[f] * scale, lv_total)
        room = np.where(lv_total > own, lv_total - own, 0.0)
        threshold = np.full(f.shape[0], np.inf)
        np.divide(min_s, scale, out=threshold, where=scale > 0)
        # Only a function in a cycle can be met again on its path; look up its ancestors.
        reentered = np.zeros(f.shape[0], dtype=bool)
        paths: dict[int, tuple[list[int], list[float]]] = {}
        for i in np.nonzero(cyclic[f])[0].tolist():
            funcs, totals = _path_up(int(ids[i]), up_parent, up_func, up_total)
            if int(f[i]) in funcs[:-1]:
                reentered[i] = True
                paths[i] = (funcs, totals)
        expand = ~reentered
        heavy = np.where(expand, edges.heavy_counts(f, threshold), 0)
        base = edges.offset[f]
        kid_sum = scale * (edges.sums[base + heavy] - edges.sums[base])
        kexact = lv_exact & (np.abs(scale - 1.0) <= scale_exact_rel)
        plain = expand & (kid_sum <= room)
        self_s = np.where(plain, lv_total - kid_sum, 0.0)
        self_s = np.where(self_s > 0, self_s, 0.0)
        folded = np.where(plain, self_s - own, 0.0)
        folded = np.where(folded > folded_floor, folded, 0.0)
        # Children of the plain nodes, all at once: heavy callees, heaviest first.
        n_kids = np.where(plain, heavy, 0)
        total_kids = int(n_kids.sum())
        starts = np.repeat(edges.offset[f] - np.cumsum(n_kids) + n_kids, n_kids)
        idx = starts + np.arange(total_kids)
        k_parent = np.repeat(ids, n_kids)
        k_func = edges.callee[idx]
        k_total = edges.time[idx] * np.repeat(scale, n_kids)
        k_exact = np.repeat(kexact, n_kids)
        # The rare node that is over-filled or re-entered: fitted as the per-node build does.
        extra: list[tuple[int, int, float, bool]] = []
        for i in np.nonzero(~plain)[0].tolist():
            if reentered[i]:
                kids, s, fo = fit_reentered(int(f[i]), float(lv_total[i]), bool(lv_exact[i]), *paths[i])
            else:
                kids, s, fo = fit_one(
                    int(f[i]),
                    float(lv_total[i]),
                    bool(lv_exact[i]),
                    float(scale[i]),
                    float(own[i]),
                    float(room[i]),
                    int(heavy[i]),
                )
                fo = fo if fo > folded_floor else 0.0
            self_s[i], folded[i] = s, fo
            extra.extend((int(ids[i]), g, t, ex) for g, t, ex in kids)
        if extra:
            k_parent = np.concatenate([k_parent, np.array([e[0] for e in extra], dtype=np.int64)])
            k_func = np.concatenate([k_func, np.array([e[1] for e in extra], dtype=np.int64)])
            k_total = np.concatenate([k_total, np.array([e[2] for e in extra], dtype=np.float64)])
            k_exact = np.concatenate([k_exact, np.array([e[3] for e in extra], dtype=np.bool_)])
            order = np.argsort(k_parent, kind="stable")  # siblings stay together, in order
            k_parent, k_func, k_total, k_exact = k_parent[order], k_func[order], k_total[order], k_exact[order]
        e_parent.append(lv_parent)
        e_func.append(lv_func)
        e_total.append(lv_total)
        e_self.append(self_s)
        e_folded.append(folded)
        e_exact.append(lv_exact)
        lv_func, lv_total, lv_exact, lv_parent = k_func, k_total, k_exact, k_parent
    return _assemble(e_parent, e_func, e_total, e_self, e_folded, e_exact, levels)


def _path_up(entry: int, up_parent: list[int], up_func: list[int], up_total: list[float]):
    """Functions and totals from the root's child down to ``entry`` (itself included)."""
    funcs, totals = [], []
    while entry > 0:
        funcs.append(up_func[entry])
        totals.append(up_total[entry])
        entry = up_parent[entry]
    return funcs[::-1], totals[::-1]


def _assemble(e_parent, e_func, e_total, e_self, e_folded, e_exact, levels) -> CallTree:
    """Depth-first order from the levels: a node's first child follows it, then each sibling's subtree."""
    parent = np.concatenate(e_parent)
    sizes = np.ones(parent.shape[0], dtype=np.int64)
    for ids in reversed(levels):
        np.add.at(sizes, parent[ids], sizes[ids])
    pos = np.zeros(parent.shape[0], dtype=np.int64)
    depth = np.zeros(parent.shape[0], dtype=np.int32)
    for d, ids in enumerate(levels, start=1):
        par = parent[ids]
        sz = sizes[ids]
        excl = np.cumsum(sz) - sz
        first = np.ones(ids.shape[0], dtype=bool)
        first[1:] = par[1:] != par[:-1]
        group = np.cumsum(first) - 1
        pos[ids] = pos[par] + 1 + excl - excl[first][group]
        depth[ids] = d
    n = parent.shape[0]
    out_parent = np.empty(n, dtype=np.int32)
    out_parent[pos] = np.where(parent >= 0, pos[np.maximum(parent, 0)], -1)

    def placed(cols, dtype):
        out = np.empty(n, dtype=dtype)
        out[pos] = np.concatenate(cols)
        return out

    out_depth = np.empty(n, dtype=np.int32)
    out_depth[pos] = depth
    folded = placed(e_folded, np.float64)
    any_folded = bool(folded.any())
    return CallTree(
        parent=out_parent,
        func=placed(e_func, np.int32),
        total_s=placed(e_total, np.float64),
        self_s=placed(e_self, np.float64),
        exact=placed(e_exact, bool),
        depth=out_depth,
        size=sizes[np.argsort(pos)].astype(np.int32),
        folded_s=folded if any_folded else None,
        samples=np.zeros(n, dtype=np.int32) if any_folded else None,
    )
