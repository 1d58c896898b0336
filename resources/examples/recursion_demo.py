"""Recursion and shared helpers: where a cProfile flame graph has to guess.

Three parts:

* ``fib`` -- naive recursion. cProfile reports its calls as ``total/primitive``
  (e.g. ``21891/1``) and counts cumulative time once, at the outermost call.
* ``tree_size`` / ``tree_depth`` -- a recursive walk of a random tree.
* ``shared_step`` -- one helper called from two places that use it very
  differently: ``from_reports`` always takes the light branch
  (``light_kernel``) and ``from_alerts`` always the heavy one
  (``heavy_kernel``), and the two callers spend about the same time in it.

cProfile records only caller -> callee pairs, never whole stacks. A flame graph
built from it must *estimate* deeper paths by splitting ``shared_step``'s
callees in proportion to each caller's time in ``shared_step``: it draws
about half of ``heavy_kernel`` under ``from_reports``, where it never ran.
Scalene samples whole stacks, so its flame graph is *exact*: ``heavy_kernel``
appears only under ``from_alerts`` (``TRUE_PATHS`` below).

Usage: python recursion_demo.py [--scale S] [--seed N]   (about 1 s at 1.0)
"""

from __future__ import annotations

import argparse
import random
import time

# The only call paths that really happen to the two kernels (outermost first).
TRUE_PATHS = {
    "light_kernel": ["main", "from_reports", "shared_step", "light_kernel"],
    "heavy_kernel": ["main", "from_alerts", "shared_step", "heavy_kernel"],
}

FIB_N = 24  # 150,049 calls: enough to see recursion counts, ~0.05 s
TREE_NODES_AT_SCALE_1 = 40_000
TREE_MAX_CHILDREN = 4
# Work units per shared_step call. Reports make many small calls and alerts
# few big ones; REPORT_CALLS * LIGHT_WORK == ALERT_CALLS * HEAVY_WORK, so each
# caller spends about the same time in shared_step.
# Both kernels do the same arithmetic per unit, so equal units mean equal time;
# 7 M units each is ~0.35 s per caller in plain CPython 3.11.
REPORT_CALLS_AT_SCALE_1 = 20_000
LIGHT_WORK = 350
ALERT_CALLS_AT_SCALE_1 = 100
HEAVY_WORK = 70_000


def fib(n: int) -> int:
    """The n-th Fibonacci number, by naive recursion."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def build_tree(n_nodes: int, rng: random.Random) -> dict:
    """A random tree of nested dicts ``{"value": int, "children": [...]}``."""
    root: dict = {"value": 0, "children": []}
    frontier = [root]
    for i in range(1, n_nodes):
        pos = rng.randrange(len(frontier))
        parent = frontier[pos]
        child: dict = {"value": i, "children": []}
        parent["children"].append(child)
        if len(parent["children"]) >= TREE_MAX_CHILDREN:
            # Swap-remove by position: list.remove would make the build O(n^2)
            # and the hottest thing in the profile, which is not the point here.
            frontier[pos] = frontier[-1]
            frontier.pop()
        frontier.append(child)
    return root


def tree_size(node: dict) -> int:
    """Number of nodes in the subtree."""
    return 1 + sum(tree_size(child) for child in node["children"])


def tree_depth(node: dict) -> int:
    """Length of the longest root-to-leaf path, in nodes."""
    return 1 + max((tree_depth(child) for child in node["children"]), default=0)


def light_kernel(work: int) -> float:
    total = 0.0
    for i in range(work):
        total += (i % 5) * 0.5 + i * 0.125
    return total


def heavy_kernel(work: int) -> float:
    total = 0.0
    for i in range(work):
        total += (i % 7) * 1.5 - i * 0.25
    return total


def shared_step(work: int, heavy: bool) -> float:
    """The helper both callers share; which kernel runs depends on the caller."""
    return heavy_kernel(work) if heavy else light_kernel(work)


def from_reports(calls: int) -> float:
    return sum(shared_step(LIGHT_WORK, heavy=False) for _ in range(calls))


def from_alerts(calls: int) -> float:
    return sum(shared_step(HEAVY_WORK, heavy=True) for _ in range(calls))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="work multiplier (default 1.0)")
    parser.add_argument("--seed", type=int, default=11, help="random seed (default 11)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    rng = random.Random(args.seed)
    started_s = time.perf_counter()

    print(f"fib({FIB_N}) = {fib(FIB_N)}", flush=True)
    tree = build_tree(max(2, round(TREE_NODES_AT_SCALE_1 * args.scale)), rng)
    print(f"tree: {tree_size(tree)} nodes, depth {tree_depth(tree)}", flush=True)
    reports = from_reports(max(1, round(REPORT_CALLS_AT_SCALE_1 * args.scale)))
    alerts = from_alerts(max(1, round(ALERT_CALLS_AT_SCALE_1 * args.scale)))
    print(f"reports {reports:.1f}, alerts {alerts:.1f}", flush=True)
    print(f"done in {time.perf_counter() - started_s:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
