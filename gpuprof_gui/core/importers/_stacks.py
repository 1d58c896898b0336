"""Build a true call tree from sampled stacks (Scalene, folded stacks)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from gpuprof_gui.core.model import CallTree, TreeBuilder


def tree_from_stacks(
    stacks: Iterable[tuple[Sequence[int], float]], n_funcs: int
) -> tuple[CallTree, np.ndarray, np.ndarray]:
    """Aggregate ``(frames outermost first, weight)`` into a pre-order tree.

    Returns the tree plus per-function self and inclusive weight; inclusive
    weight counts a recursive function once per stack, so it never exceeds
    the run's total.
    """
    # Trie of dicts: node -> {func: child node}. Pre-order comes later.
    kids: list[dict[int, int]] = [{}]
    node_func = [-1]
    node_total = [0.0]
    node_self = [0.0]
    func_self = np.zeros(n_funcs, dtype=np.float64)
    func_total = np.zeros(n_funcs, dtype=np.float64)
    for frames, weight in stacks:
        if weight <= 0 or not frames:
            continue
        node = 0
        node_total[0] += weight
        for func in frames:
            child = kids[node].get(func)
            if child is None:
                child = len(node_func)
                kids[node][func] = child
                kids.append({})
                node_func.append(func)
                node_total.append(0.0)
                node_self.append(0.0)
            node_total[child] += weight
            node = child
        node_self[node] += weight
        func_self[frames[-1]] += weight
        for func in set(frames):
            func_total[func] += weight

    builder = TreeBuilder(node_total[0])
    # Explicit stack (no recursion): deep stacks must not hit Python's limit.
    todo = [(child, 0) for child in _ordered(kids[0], node_total)]
    while todo:
        trie_node, parent = todo.pop()
        new = builder.add(parent, node_func[trie_node], node_total[trie_node], node_self[trie_node], True)
        todo.extend((child, new) for child in _ordered(kids[trie_node], node_total))
    return builder.build(), func_self, func_total


def _ordered(children: dict[int, int], node_total: list[float]) -> list[int]:
    """Children reversed for the pop-stack, so the heaviest is drawn first."""
    return sorted(children.values(), key=lambda c: (node_total[c], -c))
