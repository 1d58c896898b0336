"""Compare two runs: per-function deltas, a differential call tree, the totals.

Functions are matched by a key that survives moving a checkout between
machines (absolute paths differ there): first ``(name, file basename, def line)``,
then, for what is still unmatched, ``(name, file basename)`` (a def that moved
lines). Built-ins have no file and match by name. Where a key is shared by
several functions (``<module>`` of many ``__init__.py``), the pairs with the
longest common path tail, then the nearest def lines, are taken first.

Units. Two profiles timed in seconds compare in seconds (``unit == "s"``).
If either counts samples (folded stacks carry no clock, and two sampling
runs need not share a rate) both are compared as *shares of their own run*
(``unit == "share"``, fractions 0..1): the one comparison that means the same
on both sides. Every value named ``*_s`` then holds a fraction.

Differential tree. :func:`diff_tree` returns the *union* of both call trees
(a path in either run is a node), not B's tree alone, so a removed call stays
visible: its B total is 0. Frames are as wide as the larger run, widened where
needed so children fit (see :class:`DiffTree`). A node is ``exact`` only where
it is exact in every run that has it (cProfile paths deeper than two calls are
estimates).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from gpuprof_gui.core.model import ROOT, CallTree, FunctionRecord, Profile
from gpuprof_gui.core.selection import run_total_s

SHARE_NOTE = (
    "At least one profile counts samples, not seconds: both runs are compared as "
    "shares of their own run (fractions, 1.0 = the whole run)."
)

MAX_PAIRINGS = 4096
"""Above this many (a, b) candidates for one key (64 x 64), pair by def line
order instead of scoring every pair: a real program never has that many
same-named functions in same-named files, so this only bounds a crafted file."""


def compare_unit(a: Profile, b: Profile) -> str:
    """``"s"`` when both runs are timed in seconds, else ``"share"`` (see the module doc)."""
    return "s" if a.unit == "s" and b.unit == "s" else "share"


def _scale(profile: Profile, unit: str, total: float | None = None) -> float:
    """Factor from the profile's own unit to the compared one (shares of ``total``, default the run's)."""
    if unit == "s":
        return 1.0
    total = run_total_s(profile) if total is None else total
    return 1.0 / total if total > 0 else 0.0


def _share_of_run(amount: float, profile: Profile) -> float:
    """A function's exact time as a share of its own run (pstats' ``ct / total``)."""
    run = run_total_s(profile)
    return min(max(amount / run, 0.0), 1.0) if run > 0 else 0.0


def _split_path(file: str) -> list[str]:
    return [p for p in file.replace("\\", "/").split("/") if p]


def _exact_key(rec: FunctionRecord) -> tuple:
    base = os.path.basename(rec.file.replace("\\", "/"))
    return (rec.name, base, rec.line if rec.file else 0)


def _loose_key(rec: FunctionRecord) -> tuple:
    return _exact_key(rec)[:2]


def _common_tail(pa: list[str], pb: list[str]) -> int:
    n = 0
    while n < min(len(pa), len(pb)) and pa[-1 - n] == pb[-1 - n]:
        n += 1
    return n


def _pair_up(ia_list: list[int], ib_list: list[int], a: Profile, b: Profile) -> list[tuple[int, int]]:
    """Pairs among functions sharing a key: longest common path tail, then nearest def line."""
    if len(ia_list) == 1 and len(ib_list) == 1:
        return [(ia_list[0], ib_list[0])]
    fa, fb = a.functions, b.functions
    if len(ia_list) * len(ib_list) > MAX_PAIRINGS:
        by_line_a = sorted(ia_list, key=lambda i: fa[i].line)
        by_line_b = sorted(ib_list, key=lambda i: fb[i].line)
        return list(zip(by_line_a, by_line_b, strict=False))  # the surplus of the longer side stays unpaired
    paths_a = {i: _split_path(fa[i].file) for i in ia_list}
    paths_b = {i: _split_path(fb[i].file) for i in ib_list}
    scored = sorted(
        (-_common_tail(paths_a[ia], paths_b[ib]), abs(fa[ia].line - fb[ib].line), ia, ib)
        for ia in ia_list
        for ib in ib_list
    )
    used_a, used_b, pairs = set(), set(), []
    for _, _, ia, ib in scored:
        if ia not in used_a and ib not in used_b:
            used_a.add(ia)
            used_b.add(ib)
            pairs.append((ia, ib))
    return pairs


def match_functions(a: Profile, b: Profile) -> list[tuple[int, int]]:
    """``(index in a, index in b)`` per function of either run; -1 on the side that lacks it.

    Matched pairs come first, then A-only (removed), then B-only (added).
    """
    left_a, left_b = set(range(len(a.functions))), set(range(len(b.functions)))
    pairs: list[tuple[int, int]] = []
    for key_of in (_exact_key, _loose_key):
        groups_a: dict[tuple, list[int]] = defaultdict(list)
        groups_b: dict[tuple, list[int]] = defaultdict(list)
        for i in sorted(left_a):
            groups_a[key_of(a.functions[i])].append(i)
        for i in sorted(left_b):
            groups_b[key_of(b.functions[i])].append(i)
        for key, ia_list in groups_a.items():
            ib_list = groups_b.get(key)
            if ib_list:
                for ia, ib in _pair_up(ia_list, ib_list, a, b):
                    pairs.append((ia, ib))
                    left_a.discard(ia)
                    left_b.discard(ib)
    pairs.extend(_pair_renamed_files(a, b, left_a, left_b))
    return pairs + [(ia, -1) for ia in sorted(left_a)] + [(-1, ib) for ib in sorted(left_b)]


def _pair_renamed_files(a: Profile, b: Profile, left_a: set[int], left_b: set[int]) -> list[tuple[int, int]]:
    """Last stage: a function left on both sides under one name, once each, is the same function.

    This pairs the functions of a script saved under a new name (``slow.py`` →
    ``slow_v2.py``), and the two scripts' top ``<module>``; names that are still
    ambiguous (other ``<module>``, ``__init__``) stay apart, and built-ins were
    matched by name already.
    """

    def unique_names(profile: Profile, left: set[int]) -> dict[str, int]:
        seen: dict[str, list[int]] = defaultdict(list)
        for i in left:
            rec = profile.functions[i]
            # "<module>", "<listcomp>", "<lambda>": every script has its own; a name says nothing.
            if rec.file and not rec.name.startswith("<"):
                seen[rec.name].append(i)
        return {name: ids[0] for name, ids in seen.items() if len(ids) == 1}

    names_a, names_b = unique_names(a, left_a), unique_names(b, left_b)
    pairs = [(names_a[n], names_b[n]) for n in sorted(names_a.keys() & names_b.keys())]
    # The scripts themselves (heat_cpu.py against heat_gpu.py, its GPU version): each run's widest
    # <module> right under the root, so the two call trees merge from the top.
    top_a, top_b = _top_module(a), _top_module(b)
    if top_a in left_a and top_b in left_b:
        pairs.append((top_a, top_b))
    for ia, ib in pairs:
        left_a.discard(ia)
        left_b.discard(ib)
    return pairs


def _top_module(profile: Profile) -> int:
    """The function of the widest ``<module>`` frame right under the root (the script run), or -1."""
    tree, funcs = profile.tree, profile.functions
    tops = [(float(tree.total_s[n]), int(tree.func[n])) for n in np.flatnonzero(tree.parent == ROOT)
            if 0 <= tree.func[n] < len(funcs) and funcs[int(tree.func[n])].name == "<module>"]  # fmt: skip
    return max(tops)[1] if tops else -1


def _counts_calls(profile: Profile) -> bool:
    return any(rec.calls is not None for rec in profile.functions)


def diff_functions(a: Profile, b: Profile, pairs: list[tuple[int, int]] | None = None) -> list[dict]:
    """One row per function of either run, largest ``|delta_s|`` first (ties by name).

    ``delta_s = self_s_b - self_s_a`` (self time, or share of the run: see the
    module doc); ``delta_pct`` is that delta in percent of A's run. A function
    absent from a run has zero time there and zero calls (None where that
    profiler does not count calls). ``total_share_a``/``_b`` are the function's
    exact cumulative time over its own run (0..1), never read from a call tree.
    """
    pairs = match_functions(a, b) if pairs is None else pairs
    unit = compare_unit(a, b)
    sa, sb = _scale(a, unit), _scale(b, unit)
    run_a = run_total_s(a) * sa
    absent_calls_a = 0 if _counts_calls(a) else None
    absent_calls_b = 0 if _counts_calls(b) else None
    rows: list[dict] = []
    for ia, ib in pairs:
        ra = a.functions[ia] if ia >= 0 else None
        rb = b.functions[ib] if ib >= 0 else None
        ref = rb if rb is not None else ra
        assert ref is not None, "a pair has a function in at least one run"
        self_a = ra.self_s * sa if ra else 0.0
        self_b = rb.self_s * sb if rb else 0.0
        total_a = ra.total_s * sa if ra else 0.0
        total_b = rb.total_s * sb if rb else 0.0
        delta = self_b - self_a
        rows.append(
            {
                "name": ref.name,
                "file": ref.file,
                "line": ref.line,
                "line_a": ra.line if ra else None,
                "line_b": rb.line if rb else None,
                "self_s_a": self_a,
                "self_s_b": self_b,
                "delta_s": delta,
                "total_s_a": total_a,
                "total_s_b": total_b,
                "total_delta_s": total_b - total_a,
                "total_share_a": _share_of_run(ra.total_s, a) if ra else 0.0,
                "total_share_b": _share_of_run(rb.total_s, b) if rb else 0.0,
                "calls_a": ra.calls if ra else absent_calls_a,
                "calls_b": rb.calls if rb else absent_calls_b,
                "delta_pct": delta / run_a * 100.0 if run_a > 0 else None,
                "status": "changed" if ra and rb else ("removed" if ra else "added"),
            }
        )
    rows.sort(key=lambda r: (-abs(r["delta_s"]), r["name"], r["file"], r["line"]))
    return rows


def diff_summary(a: Profile, b: Profile) -> dict:
    """Both runs' totals (each in its own unit) and, where the units agree, delta and ratio b/a."""
    same = a.unit == b.unit
    ta, tb = run_total_s(a), run_total_s(b)
    return {
        "unit": compare_unit(a, b),
        "unit_a": a.unit,
        "unit_b": b.unit,
        "total_s_a": ta,
        "total_s_b": tb,
        "delta_s": tb - ta if same else None,
        "ratio": tb / ta if same and ta > 0 else None,
    }


@dataclass(slots=True)
class DiffTree:
    """The union of two call trees, merged by call path (function keys from the root).

    ``tree`` is a :class:`CallTree` (pre-order, drawable with
    :func:`gpuprof_gui.core.flame.build_layout`) whose ``func`` indexes
    ``functions``. A node's width ``tree.total_s`` is ``max(total_a, total_b)``,
    widened to the sum of its children's widths where runs put the same time
    under different children (so frames always nest); ``tree.self_s`` is the
    width its children leave. A path present in one run only has zero total on
    the other side. The columns below are aligned with ``tree`` (in the
    compared unit, see :func:`compare_unit`).
    """

    tree: CallTree
    functions: list[FunctionRecord]  # B's record where B has the function, else A's
    unit: str  # "s" or "share"
    total_a: np.ndarray  # float64 inclusive time of the path in run A (0 where absent)
    total_b: np.ndarray
    self_a: np.ndarray
    self_b: np.ndarray
    delta_s: np.ndarray  # total_b - total_a: > 0 grew, < 0 shrank
    # Per entry of ``functions``: its exact cumulative time over its own run (0..1; 0 where absent).
    func_share_a: np.ndarray | None = None
    func_share_b: np.ndarray | None = None

    @property
    def base_s(self) -> np.ndarray:
        """The baseline (run A) inclusive time of every node."""
        return self.total_a


class _Side:
    """One run's tree with its nodes grouped by depth and functions mapped to union ids."""

    def __init__(self, profile: Profile, union_code: np.ndarray, scale: float) -> None:
        tree = profile.tree
        self.tree = tree
        self.scale = scale
        # +1: code 0 stands for "no function" (the root, or a damaged -1), never a real one.
        self.code = np.concatenate([[0], union_code + 1]) if len(tree) else np.zeros(1, np.int64)
        self.order = np.argsort(tree.depth, kind="stable")
        self.max_depth = int(tree.depth.max(initial=0))
        self.bounds = np.searchsorted(tree.depth[self.order], np.arange(self.max_depth + 2))
        self.node_u = np.zeros(len(tree), dtype=np.int64)  # union node of each node; root -> 0

    def level(self, d: int) -> np.ndarray:
        if d > self.max_depth:
            return np.zeros(0, dtype=np.int64)
        return self.order[self.bounds[d] : self.bounds[d + 1]]

    def keys(self, idx: np.ndarray, n_codes: int) -> np.ndarray:
        return self.node_u[self.tree.parent[idx]] * n_codes + self.code[self.tree.func[idx] + 1]

    def per_union(self, column: np.ndarray, n: int) -> np.ndarray:
        if not len(self.tree):
            return np.zeros(n)
        return np.bincount(self.node_u, weights=column * self.scale, minlength=n)


def diff_tree(a: Profile, b: Profile, pairs: list[tuple[int, int]] | None = None) -> DiffTree:
    """Merge both call trees by call path, level by level with numpy (no per-node loop)."""
    pairs = match_functions(a, b) if pairs is None else pairs
    unit = compare_unit(a, b)
    union_a = np.full(len(a.functions), -1, dtype=np.int64)
    union_b = np.full(len(b.functions), -1, dtype=np.int64)
    for u, (ia, ib) in enumerate(pairs):
        if ia >= 0:
            union_a[ia] = u
        if ib >= 0:
            union_b[ib] = u
    # The tree is drawn in shares of each tree's root, so both roots are 1.0 when compared as shares.
    sides = (_Side(a, union_a, _scale(a, unit, a.total_s)), _Side(b, union_b, _scale(b, unit, b.total_s)))
    n_codes = len(pairs) + 1
    parent, func, level_start = [np.array([-1])], [np.array([-1])], [0, 1]
    next_id = 1
    for d in range(1, max(s.max_depth for s in sides) + 1):
        idx = [s.level(d) for s in sides]
        # One key per (union parent, union function): equal keys are the same call path.
        keys = np.concatenate([s.keys(i, n_codes) for s, i in zip(sides, idx, strict=True)])
        uniq, inv = np.unique(keys, return_inverse=True)
        sides[0].node_u[idx[0]] = next_id + inv[: idx[0].size]
        sides[1].node_u[idx[1]] = next_id + inv[idx[0].size :]
        parent.append(uniq // n_codes)
        func.append(uniq % n_codes - 1)
        next_id += uniq.size
        level_start.append(next_id)
    parent_u, func_u = np.concatenate(parent), np.concatenate(func)
    n = next_id
    total_a, total_b = (s.per_union(s.tree.total_s, n) for s in sides)
    self_a, self_b = (s.per_union(s.tree.self_s, n) for s in sides)
    inexact = np.zeros(n)
    for s in sides:
        if len(s.tree):
            inexact += np.bincount(s.node_u, weights=~s.tree.exact, minlength=n)
    width, children_w, size = _widths_and_sizes(np.maximum(total_a, total_b), parent_u, level_start)
    pos = _preorder_positions(parent_u, width, size, level_start)
    at = np.empty(n, dtype=np.int64)
    at[pos] = np.arange(n)  # union id of each pre-order slot
    par = parent_u[at]
    tree = CallTree(
        parent=np.where(par >= 0, pos[np.maximum(par, 0)], -1).astype(np.int32),
        func=func_u[at].astype(np.int32),
        total_s=width[at],
        self_s=np.clip(width[at] - children_w[at], 0.0, None),
        exact=inexact[at] == 0,
        depth=(np.searchsorted(level_start, at, side="right") - 1).astype(np.int32),
        size=size[at].astype(np.int32),
    )
    functions = [b.functions[ib] if ib >= 0 else a.functions[ia] for ia, ib in pairs]
    share_a = np.array([_share_of_run(a.functions[ia].total_s, a) if ia >= 0 else 0.0 for ia, _ in pairs])
    share_b = np.array([_share_of_run(b.functions[ib].total_s, b) if ib >= 0 else 0.0 for _, ib in pairs])
    return DiffTree(
        tree,
        functions,
        unit,
        total_a[at],
        total_b[at],
        self_a[at],
        self_b[at],
        total_b[at] - total_a[at],
        share_a,
        share_b,
    )


def _group_starts(p: np.ndarray) -> np.ndarray:
    """First index of each run of equal values in ``p`` (sorted by parent)."""
    return np.concatenate([[0], np.nonzero(p[1:] != p[:-1])[0] + 1]) if p.size else p


def _widths_and_sizes(
    width: np.ndarray, parent_u: np.ndarray, level_start: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bottom-up: (widths widened to hold the children, children's width sum, subtree sizes)."""
    width = width.copy()
    children_w = np.zeros_like(width)
    size = np.ones(width.shape[0], dtype=np.int64)
    for d in range(len(level_start) - 2, 0, -1):
        lo, hi = level_start[d], level_start[d + 1]
        width[lo:hi] = np.maximum(width[lo:hi], children_w[lo:hi])
        p = parent_u[lo:hi]
        starts = _group_starts(p)  # a level's ids are sorted by parent (np.unique)
        if starts.size:
            children_w[p[starts]] += np.add.reduceat(width[lo:hi], starts)
            size[p[starts]] += np.add.reduceat(size[lo:hi], starts)
    width[ROOT] = max(width[ROOT], children_w[ROOT])
    return width, children_w, size


def _preorder_positions(
    parent_u: np.ndarray, width: np.ndarray, size: np.ndarray, level_start: list[int]
) -> np.ndarray:
    """Top-down: each node's pre-order index, siblings widest first (ties: first merged)."""
    pos = np.zeros(parent_u.shape[0], dtype=np.int64)
    for d in range(1, len(level_start) - 1):
        ids = np.arange(level_start[d], level_start[d + 1])
        order = ids[np.lexsort((ids, -width[ids], parent_u[ids]))]
        p = parent_u[order]
        s = size[order]
        excl = np.cumsum(s) - s
        first = np.zeros(order.size, dtype=bool)
        first[_group_starts(p)] = True
        offset = excl - excl[first][np.cumsum(first) - 1]
        pos[order] = pos[p] + 1 + offset
    return pos


# -- colours of the differential flame graph ------------------------------------------------------

# Relative change of a frame, (b − a) / max(a, b), at which its colour steps up: a
# change under 5% is noise on a repeated run (neutral), one over 60% is most of the frame.
DIFF_LEVELS = (0.05, 0.15, 0.30, 0.60)
# Buckets: shrunk strongest … weakest (one per level), neutral, grown weakest … strongest.
DIFF_NEUTRAL_BUCKET = len(DIFF_LEVELS)
DIFF_N_BUCKETS = 2 * len(DIFF_LEVELS) + 1


def relative_change(diff: DiffTree) -> np.ndarray:
    """(b − a) / max(a, b) per node, in [−1, 1]: −1 only in A (removed), +1 only in B (added)."""
    base = np.maximum(diff.total_a, diff.total_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(base > 0, diff.delta_s / base, 0.0)
    return np.clip(rel, -1.0, 1.0)


def diff_buckets(diff: DiffTree) -> np.ndarray:
    """Colour bucket per node: 0 = shrunk most … DIFF_NEUTRAL_BUCKET … grown most (int16)."""
    rel = relative_change(diff)
    steps = np.searchsorted(np.asarray(DIFF_LEVELS), np.abs(rel), side="right")  # 0 = neutral
    bucket = np.where(rel < 0, DIFF_NEUTRAL_BUCKET - steps, DIFF_NEUTRAL_BUCKET + steps)
    return bucket.astype(np.int16)


def diff_as_profile(diff: DiffTree, a: Profile, b: Profile) -> Profile:
    """The union tree as a Profile (widths max(a, b)), so flame views and hit-testing work on it."""
    unit = "s" if diff.unit == "s" else "share"
    compared_in = "seconds" if unit == "s" else "shares of each run"
    notes = [f"Compared in {compared_in}; frame width is the larger of the two runs."]
    return Profile(
        profiler=f"diff:{a.profiler}/{b.profiler}",
        functions=diff.functions,
        tree=diff.tree,
        unit="s" if unit == "s" else "samples",
        stacks_exact=a.stacks_exact and b.stacks_exact,
        notes=notes,
    )
