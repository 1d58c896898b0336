"""Share of a run covered by a selection of tree nodes or functions."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gpuprof_gui.core.model import ROOT, CallTree, Profile


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
    """Share of the run spent in ``funcs`` (all their nodes, nested calls once)."""
    funcs = list(funcs)
    if any(int(f) < 0 for f in funcs):  # the root pseudo-function: everything
        return 1.0 if len(profile.tree) else 0.0
    return selected_fraction(profile.tree, function_nodes(profile.tree, funcs))
