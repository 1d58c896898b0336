"""A big real cProfile dump: a generated program of 20,000 distinct functions, profiled.

Prints one JSON object describing the profile it wrote (functions and caller->callee
edges as pstats counts them, calls, bytes, seconds).

This reproduces the shape of the project's shared big-profile generator
(``make_big_profiles.py --only large``: 20,312 functions and 49,303 edges in pstats)
without needing it: the same seeded graph recipe, program text and cProfile run, so
the same counts come out. ``benchmarks/open_big_profile.py --compare-with FILE``
opens both side by side to show they cost the same to open.

The program: functions in 30 levels; level 0 is one root; every function below has
one caller on the level above (so each is reached and the deepest stack is 30
frames) plus a seeded number of extra callers 1-3 levels up (a DAG, like utility
code called from many places); every edge points deeper, so nothing recurses.
Extra callers and loops (a callee called 2-5 times) only go to callees whose own
subtree is small, which bounds the run (about 1,050,000 calls, ~9 s profiled).
Each function does a seeded amount of integer arithmetic, so self times differ.

Run: .venv/bin/python benchmarks/make_big_profile.py [--out-dir DIR] [--functions N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time

LARGE_FUNCTIONS = 20_000  # the shared generator's "large" preset
DEPTH = 30  # levels, so the deepest stack is 30 frames
MEAN_EXTRA_CALLERS = 1.5
CALLEE_CAP = 40  # only callees with at most this many calls in their subtree get extra callers
GROWTH = 3.0  # level sizes grow 3x per level until the plateau
PER_MODULE = 100  # functions per generated module
REPEAT = 3  # times the root is called
SEED = 1234
RUN_TIMEOUT_S = 300

VERBS = [
    "load",
    "parse",
    "compute",
    "render",
    "update",
    "resolve",
    "encode",
    "decode",
    "validate",
    "merge",
    "split",
    "scan",
    "build",
    "apply",
    "fetch",
    "store",
    "index",
    "match",
    "filter",
    "reduce",
    "emit",
    "check",
    "format",
    "normalize",
    "collect",
    "dispatch",
    "visit",
    "transform",
    "layout",
    "measure",
]
NOUNS = [
    "config",
    "token",
    "node",
    "tree",
    "cache",
    "record",
    "buffer",
    "schema",
    "query",
    "frame",
    "matrix",
    "vector",
    "graph",
    "edge",
    "header",
    "payload",
    "symbol",
    "module",
    "widget",
    "event",
    "state",
    "path",
    "block",
    "segment",
    "row",
    "column",
    "span",
    "glyph",
    "request",
    "session",
]


def level_sizes(n: int, depth: int) -> list[int]:
    """Functions per level: one root, growth, a plateau, fewer in the last 10 levels; sums to ``n``."""
    rest = n - 1
    weights = []
    for lvl in range(1, depth):
        taper = 1.0 - 0.7 * (lvl - (depth - 10)) / 10.0 if lvl > depth - 10 else 1.0
        weights.append(GROWTH**lvl * taper)
    plateau = rest / (depth - 1) * 1.3
    weights = [min(w, plateau) for w in weights]
    total = sum(weights)
    sizes = [max(1, round(w * rest / total)) for w in weights]
    diff, i = rest - sum(sizes), len(sizes) - 1  # rounding: fix from the deepest level up
    while diff != 0:
        j = i % len(sizes)
        if diff > 0:
            sizes[j] += 1
            diff -= 1
        elif sizes[j] > 1:
            sizes[j] -= 1
            diff += 1
        i -= 1
    return [1, *sizes]


def build_graph(n: int, seed: int) -> dict:
    """The call graph: levels, callees with multiplicities, per-function work and names."""
    rng = random.Random(seed)
    levels, first = [], 0
    for size in level_sizes(n, DEPTH):
        levels.append(list(range(first, first + size)))
        first += size
    children: dict[int, dict[int, int]] = {f: {} for f in range(n)}  # caller -> {callee: times}
    for lvl in range(1, DEPTH):  # the spanning tree: one caller on the level above
        for f in levels[lvl]:
            children[rng.choice(levels[lvl - 1])][f] = 1
    calls_below: dict[int, int] = {}  # calls one call of f makes, itself included
    for lvl in range(DEPTH - 1, -1, -1):  # bottom-up: loops and extra callers, bounded by CALLEE_CAP
        deeper = [c for d in range(lvl + 1, min(lvl + 4, DEPTH)) for c in levels[d]]
        cheap = [c for c in deeper if calls_below[c] <= CALLEE_CAP]
        for f in levels[lvl]:
            kids = children[f]
            for c in list(kids):
                if calls_below[c] <= CALLEE_CAP // 4 and rng.random() < 0.3:
                    kids[c] = rng.choice([2, 2, 3, 3, 4, 5])
            if cheap and lvl > 0:
                extra = 0  # geometric, mean MEAN_EXTRA_CALLERS
                while rng.random() < MEAN_EXTRA_CALLERS / (1.0 + MEAN_EXTRA_CALLERS):
                    extra += 1
                for _ in range(extra):
                    c = rng.choice(cheap)
                    if c not in kids:
                        kids[c] = 1
            calls_below[f] = 1 + sum(m * calls_below[c] for c, m in kids.items())
    work = {f: max(1, int(math.exp(rng.uniform(0, math.log(300))))) for f in range(n)}
    names = {f: f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}_{f:05d}" for f in range(n)}
    names[0] = "run_root"
    return {"levels": levels, "children": children, "work": work, "names": names, "calls_per_repeat": calls_below[0]}


def write_program(graph: dict, pkg_dir: str, pkg_name: str) -> str:
    """Write the package (``PER_MODULE`` functions a module) and its driver; the driver's path."""
    shutil.rmtree(pkg_dir, ignore_errors=True)
    os.makedirs(pkg_dir)
    order = [f for ids in graph["levels"] for f in ids]
    module_of = {f: pos // PER_MODULE for pos, f in enumerate(order)}
    names, children = graph["names"], graph["children"]
    open(os.path.join(pkg_dir, "__init__.py"), "w").close()
    for m in range((len(order) + PER_MODULE - 1) // PER_MODULE):
        funcs = order[m * PER_MODULE : (m + 1) * PER_MODULE]
        deps = sorted({module_of[c] for f in funcs for c in children[f]} - {m})
        lines = ["# generated by make_big_profile.py", ""]
        lines += [f"from {pkg_name} import m{d:04d}" for d in deps]
        lines.append("")
        for f in funcs:
            lines += [
                "",
                f"def {names[f]}(n):",
                "    acc = n",
                f"    for i in range({graph['work'][f]}):",
                "        acc = (acc * 31 + i) % 1000003",
            ]
            for c, times in children[f].items():
                ref = names[c] if module_of[c] == m else f"m{module_of[c]:04d}.{names[c]}"
                if times == 1:
                    lines.append(f"    acc += {ref}(acc)")
                else:
                    lines += [f"    for _ in range({times}):", f"        acc += {ref}(acc)"]
            lines.append("    return acc % 1000003")
        with open(os.path.join(pkg_dir, f"m{m:04d}.py"), "w") as fh:
            fh.write("\n".join(lines) + "\n")
    driver = os.path.join(os.path.dirname(pkg_dir), f"run_{pkg_name}.py")
    with open(driver, "w") as fh:
        fh.write("import sys, os\n")
        fh.write("sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n")
        fh.write(f"from {pkg_name}.m{module_of[0]:04d} import run_root\n\n")
        fh.write(f"def main():\n    total = 0\n    for k in range({REPEAT}):\n")
        fh.write("        total += run_root(k)\n    return total\n\n")
        fh.write("if __name__ == '__main__':\n    main()\n")
    return driver


def make_profile(out_dir: str, n_functions: int = LARGE_FUNCTIONS, name: str = "large") -> dict:
    """Generate, byte-compile and profile the program; ``out_dir/<name>.prof`` and a description."""
    out_dir = os.path.abspath(out_dir)
    prof = os.path.join(out_dir, f"{name}.prof")
    pkg_name = f"gen_{name}"
    pkg_dir = os.path.join(out_dir, "programs", pkg_name)
    graph = build_graph(n_functions, SEED + n_functions)
    driver = write_program(graph, pkg_dir, pkg_name)
    # compiled beforehand, so the profiled run does not include compile()
    subprocess.run([sys.executable, "-m", "compileall", "-q", pkg_dir], check=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cProfile", "-o", prof, driver], check=True, timeout=RUN_TIMEOUT_S)
    run_s = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    return {
        "prof": prof,
        "generated_functions": n_functions,
        "functions_in_pstats": len(stats.stats),
        "edges_in_pstats": sum(len(entry[4]) for entry in stats.stats.values()),
        "total_calls": stats.total_calls,
        "prof_bytes": os.path.getsize(prof),
        "profiled_run_s": round(run_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", default=os.path.join(tempfile.gettempdir(), "gpuprof-big-profile"))
    parser.add_argument("--functions", type=int, default=LARGE_FUNCTIONS)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    print(json.dumps(make_profile(args.out_dir, args.functions)))


if __name__ == "__main__":
    main()
