"""Flame view benchmark: layout time and repaint time while zooming.

    QT_QPA_PLATFORM=offscreen python benchmarks/flame_view.py --nodes 200000

Prints one JSON object. Targets: layout_s <= 1, repaint_ms_median <= 16,
repaint_ms_p95 <= 33 (1920x1080, 20 zoom levels).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpuprof_gui.core.model import CallTree, FunctionRecord, Profile, subtree_sizes

# Branching of the random walk that places each next pre-order node. Tuned so
# that 200,000 nodes reach ~49 levels with bushy middle levels, like a real
# program: descend often, sometimes stay (a sibling), sometimes return a few
# frames (end of a call chain).
P_DESCEND = 0.52
P_SIBLING = 0.30
TOP_FLOOR = 4  # usual lowest depth a call chain returns to
P_TOP_RETURN = 0.002  # chance it returns above that (a new top-level phase)
N_FILES = 120
N_FUNCTIONS = 3000
ESTIMATED_BELOW_DEPTH = 2  # cProfile: paths deeper than caller->callee are estimates
ZOOM_LEVELS = 20
ZOOM_FACTOR_PER_LEVEL = 1.8  # 1.8**20 ~ 1.3e5: from the whole run down to single deep frames
REPAINTS_PER_LEVEL = 3
VIEW_W_PX, VIEW_H_PX = 1920, 1080


def random_profile(n_nodes: int, max_depth: int = 49, seed: int = 1) -> Profile:
    """A seeded cProfile-like :class:`Profile` with ``n_nodes`` tree nodes."""
    rng = np.random.default_rng(seed)
    depth = np.empty(n_nodes, dtype=np.int32)
    parent = np.empty(n_nodes, dtype=np.int32)
    depth[0], parent[0] = 0, -1
    last_at_depth = np.zeros(max_depth + 1, dtype=np.int64)
    u = rng.random(n_nodes)
    back = rng.geometric(0.35, n_nodes)
    shallow = rng.random(n_nodes)
    d = 0
    for i in range(1, n_nodes):
        if d == 0 or (u[i] < P_DESCEND and d < max_depth):
            d += 1
        elif u[i] >= P_DESCEND + P_SIBLING:
            # Real programs rarely return all the way to the top: one
            # <module> frame and a handful of phases sit under the root.
            floor = 1 if shallow[i] < P_TOP_RETURN else TOP_FLOOR
            d = max(min(floor, d), d - int(back[i]))  # never deeper than a descent
        depth[i] = d
        parent[i] = last_at_depth[d - 1]
        last_at_depth[d] = i
    assert (depth[1:] == depth[parent[1:]] + 1).all()
    size = subtree_sizes(parent, depth)
    # Heavy-tailed self times: a few frames dominate, as in real runs.
    self_s = rng.lognormal(mean=-9.0, sigma=2.0, size=n_nodes)
    self_s[0] = 0.0
    csum = np.concatenate([[0.0], np.cumsum(self_s)])
    idx = np.arange(n_nodes)
    total_s = csum[idx + size] - csum[idx]
    # Zipf-like function popularity: a few helpers appear everywhere.
    func = ((rng.zipf(1.3, n_nodes) - 1) % N_FUNCTIONS).astype(np.int32)
    func[0] = -1
    tree = CallTree(
        parent=parent,
        func=func,
        total_s=total_s,
        self_s=self_s,
        exact=depth <= ESTIMATED_BELOW_DEPTH,
        depth=depth,
        size=size,
    )
    functions = [
        FunctionRecord(name=f"mod{f % N_FILES}.function_{f}", file=f"pkg/mod{f % N_FILES}.py", line=1 + f)
        for f in range(N_FUNCTIONS)
    ]
    has = func >= 0
    self_per = np.bincount(func[has], weights=self_s[has], minlength=N_FUNCTIONS)
    total_per = np.bincount(func[has], weights=total_s[has], minlength=N_FUNCTIONS)
    calls_per = np.bincount(func[has], minlength=N_FUNCTIONS)
    for f, rec in enumerate(functions):
        rec.self_s, rec.total_s, rec.calls = float(self_per[f]), float(total_per[f]), int(calls_per[f])
    return Profile(profiler="cprofile", functions=functions, tree=tree, stacks_exact=False, wall_s=float(total_s[0]))


def _zoom_target(layout) -> float:
    """Centre of the widest frame in the deepest row: zooming there keeps frames on screen."""
    row = layout.rows[layout.max_depth]
    i = int(np.argmax(row.width))
    return float(row.start[i] + row.width[i] / 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--depth", type=int, default=49)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QApplication

    from gpuprof_gui.core.flame import layout_for_profile
    from gpuprof_gui.ui.profile.flame_view import FlameCanvas

    profile = random_profile(args.nodes, args.depth, args.seed)
    t0 = time.perf_counter()
    layout = layout_for_profile(profile)
    layout_s = time.perf_counter() - t0

    app = QApplication.instance() or QApplication([])
    canvas = FlameCanvas()
    canvas.resize(VIEW_W_PX, VIEW_H_PX)
    canvas.show()
    canvas.set_profile(profile, layout)
    app.processEvents()
    canvas.repaint()  # warm caches (fonts, name widths) before timing
    full_view = dict(canvas.last_paint_stats)

    target = _zoom_target(layout)
    times_ms = []
    for level in range(ZOOM_LEVELS):
        width = layout.total / ZOOM_FACTOR_PER_LEVEL**level
        x0 = min(max(target - width / 2, 0.0), layout.total - width)
        canvas.set_view_range(x0, x0 + width)
        for _ in range(REPAINTS_PER_LEVEL):
            t = time.perf_counter()
            canvas.repaint()
            times_ms.append((time.perf_counter() - t) * 1e3)
    result = {
        "layout_s": round(layout_s, 4),
        "repaint_ms_median": round(statistics.median(times_ms), 2),
        "repaint_ms_p95": round(float(np.percentile(times_ms, 95)), 2),
        "repaint_ms_max": round(max(times_ms), 2),
        "nodes": args.nodes,
        "max_depth": int(profile.tree.depth.max()),
        "frames_kept": layout.n_frames,
        "rects_drawn_full_view": full_view["rects"],
        "labels_drawn_full_view": full_view["labels"],
        "zoom_levels": ZOOM_LEVELS,
        "repaints": len(times_ms),
        "view_px": [VIEW_W_PX, VIEW_H_PX],
        "qt": qVersion(),
        "pyside6": pyside_version,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}, {os.cpu_count()} cpus",
        "platform": app.platformName(),
    }
    print(json.dumps(result))
    canvas.deleteLater()
    del canvas
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
