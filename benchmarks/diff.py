"""Diff benchmark: match functions and merge two large call trees.

    python benchmarks/diff.py --nodes 200000 --functions 5000

Prints one JSON object. The profiles are SYNTHETIC (seeded random trees from
``benchmarks/flame_view.py``), not measured runs: B is A's generator with
another seed, so the trees share functions but few paths, which makes the
union close to the worst case (about the two trees' sizes added).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import flame_view  # noqa: E402  (the same synthetic tree generator as the flame benchmark)

from gpuprof_gui.core.diff import diff_functions, diff_tree, match_functions  # noqa: E402


def synthetic_profile(n_nodes: int, n_functions: int, seed: int):
    flame_view.N_FUNCTIONS = n_functions  # the generator reads this module constant
    return flame_view.random_profile(n_nodes, seed=seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--functions", type=int, default=5_000)
    args = ap.parse_args(argv)
    a = synthetic_profile(args.nodes, args.functions, seed=1)
    b = synthetic_profile(args.nodes, args.functions, seed=2)
    t0 = time.perf_counter()
    pairs = match_functions(a, b)
    t1 = time.perf_counter()
    rows = diff_functions(a, b, pairs)
    t2 = time.perf_counter()
    union = diff_tree(a, b, pairs)
    t3 = time.perf_counter()
    print(
        json.dumps(
            {
                "synthetic": True,
                "nodes_a": len(a.tree),
                "nodes_b": len(b.tree),
                "nodes_union": len(union.tree),
                "functions_a": len(a.functions),
                "functions_b": len(b.functions),
                "rows": len(rows),
                "match_s": round(t1 - t0, 4),
                "diff_functions_s": round(t2 - t1, 4),
                "diff_tree_s": round(t3 - t2, 4),
                "total_s": round(t3 - t0, 4),
                "root_delta_ok": bool(abs(union.delta_s[0] - (b.total_s - a.total_s)) <= 1e-9 * max(a.total_s, 1.0)),
                "python": platform.python_version(),
                "machine": platform.machine(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
