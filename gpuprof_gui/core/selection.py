"""Share of a run covered by a selection of tree nodes or functions.

One function's share is read from its exact cumulative time
(``FunctionRecord.total_s``: cProfile's ``ct``, recursion counted once, or
the sum over real sampled stacks), never from the call tree: cProfile's
deeper tree paths are estimates that can be far off for one function (a
shared dispatcher, a repeated wrapper). Several functions' union cannot be
read exactly from per-function totals when one calls another, so it comes
from the tree (nested calls once) and, where that tree is estimated, is
clamped between the largest single total and the sum of the totals, and
says so (:attr:`Share.note`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from gpuprof_gui.core.fmt import format_pct
from gpuprof_gui.core.model import ROOT, CallTree, Profile

UNION_FROM_TREE = "union from the estimated call tree; each alone: exact"
UNION_AT_LEAST = "union ≥ the largest exact total; the estimated tree gave {tree}"
UNION_AT_MOST = "union ≤ the sum of exact totals; the estimated tree gave {tree}"
TREE_ONLY = "from the estimated call tree"
"""Short enough for a status bar or a label; each follows a percentage, in brackets."""

BOUNDS_MEET_REL = 1e-12
"""Bounds closer than this (relative) are one value: the union is exact (float round-off only)."""


@dataclass(frozen=True, slots=True)
class Share:
    """A share of the run and how it was found (see :func:`function_share`)."""

    fraction: float  # 0..1 of the run
    exact: bool  # True: exact per-function totals, or a tree of real stacks
    note: str = ""  # how it was computed where that is not plainly exact; "" otherwise
    tree_fraction: float | None = None  # several functions on an estimated tree: what the tree said
    bounds: tuple[float, float] | None = None  # (largest single total, min(1, sum of totals))

    def text(self) -> str:
        """``"41.2% of run"``, with the note in brackets where there is one."""
        out = f"{format_pct(100.0 * self.fraction)} of run"
        return f"{out} ({self.note})" if self.note else out


def run_total_s(profile: Profile) -> float:
    """The run's profiled time, the denominator of every share (profile units).

    cProfile: the sum of every function's own time, which is pstats' total
    (its ``total_tt`` less the profiler's own stop call, which the importer
    drops). The estimated tree's root may differ from it by time no recorded
    caller explains. Elsewhere (sampled stacks) the tree's root is the run.
    """
    if profile.profiler == "cprofile":
        own = math.fsum(max(rec.self_s, 0.0) for rec in profile.functions)
        if own > 0:
            return own
    return profile.total_s


def has_function_totals(profile: Profile) -> bool:
    """Whether the function records carry their cumulative times (a hand-built tree may not)."""
    return any(rec.total_s > 0 for rec in profile.functions)


def function_share(profile: Profile, funcs: Iterable[int]) -> Share:
    """Share of the run in ``funcs``, exact where exact data exists (module doc)."""
    wanted = sorted({int(f) for f in funcs})
    if not wanted or not len(profile.tree):
        return Share(0.0, True)
    if wanted[0] < 0:  # the root pseudo-function: everything
        return Share(1.0, True)
    wanted = [f for f in wanted if f < len(profile.functions)]
    run = run_total_s(profile)
    if not wanted or run <= 0:
        return Share(0.0, True)
    if not has_function_totals(profile):
        tree = function_fraction(profile, wanted)
        return Share(tree, profile.stacks_exact, "" if profile.stacks_exact else TREE_ONLY)
    totals = [_unit(profile.functions[f].total_s / run) for f in wanted]
    if len(totals) == 1:
        return Share(totals[0], True)
    low, high = max(totals), min(1.0, math.fsum(totals))
    tree = _unit(function_fraction(profile, wanted) * profile.total_s / run)
    union = min(max(tree, low), high)
    if profile.stacks_exact:  # real stacks: the tree is exact (the clamp only absorbs round-off)
        return Share(union, True)
    if high - low <= BOUNDS_MEET_REL * max(high, 1e-300):
        return Share(high, True)  # e.g. only one of them took any time
    if union > tree:
        note = UNION_AT_LEAST.format(tree=format_pct(100.0 * tree))
    elif union < tree:
        note = UNION_AT_MOST.format(tree=format_pct(100.0 * tree))
    else:
        note = UNION_FROM_TREE
    return Share(union, False, note, tree, (low, high))


def _unit(x: float) -> float:
    return min(max(float(x), 0.0), 1.0)


def selected_fraction(tree: CallTree, nodes: Iterable[int]) -> float:
    """Share of the root's time under ``nodes``; a node inside another counts once."""
    idx = np.unique(np.fromiter((int(n) for n in nodes), dtype=np.int64))
    n = len(tree)
    idx = idx[(idx >= 0) & (idx < n)]
    if idx.size == 0 or n == 0:
        return 0.0
    if idx[0] == ROOT:
        return 1.0
    root_s = float(tree.total_s[ROOT])
    if root_s <= 0:
        return 0.0
    return min(float(tree.total_s[_outermost(tree, idx)].sum()) / root_s, 1.0)


def _outermost(tree: CallTree, idx: np.ndarray) -> np.ndarray:
    """Keep the nodes not inside an earlier selected node's subtree.

    In pre-order, subtree ranges ``[i, i + size[i])`` nest or are disjoint, so a
    sorted node is covered exactly when it lies before the furthest end seen.
    """
    ends = idx + tree.size[idx].astype(np.int64)
    furthest = np.maximum.accumulate(ends)
    covered = np.zeros(idx.shape[0], dtype=bool)
    covered[1:] = idx[1:] < furthest[:-1]
    return idx[~covered]


def function_nodes(tree: CallTree, funcs: Iterable[int]) -> np.ndarray:
    """All tree nodes of the given functions, in pre-order."""
    wanted = np.fromiter((int(f) for f in funcs), dtype=np.int64)
    if wanted.size == 0 or len(tree) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.nonzero(np.isin(tree.func, wanted))[0]


def function_fraction(profile: Profile, funcs: Iterable[int]) -> float:
    """Share of the tree's root under ``funcs``' nodes (nested calls once): the tree's figure.

    On an estimated tree (cProfile) this is an estimate even for one function;
    what the views and the advisor show is :func:`function_share`.
    """
    funcs = list(funcs)
    if any(int(f) < 0 for f in funcs):  # the root pseudo-function: everything
        return 1.0 if len(profile.tree) else 0.0
    return selected_fraction(profile.tree, function_nodes(profile.tree, funcs))
