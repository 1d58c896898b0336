"""Profiles and helpers shared by the flame-graph reading tests (deep stacks, both orientations).

This folder is on sys.path for its tests (pytest's prepend import mode), so they import it by name.
"""

from __future__ import annotations

import cProfile
import pstats

from PySide6.QtCore import QPoint

from gpuprof_gui.core.importers.pstats_import import import_pstats
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder

DEEP_LEVELS = 34
"""Call levels of :func:`deep_profile`'s chain: deeper than a 400 px canvas shows (about 21 rows of 19 px)."""


def deep_profile(levels: int = DEEP_LEVELS) -> Profile:
    """A real cProfile profile of a call chain ``levels`` functions deep, ending in a leaf that works.

    The chain is made of distinct functions: cProfile records caller→callee pairs, so a
    recursive function folds back into one frame, while a chain keeps every level
    (as the sampled stacks of a real run keep a recursion's).
    """
    lines = ["def leaf(n):\n    return sum(i * i for i in range(n))\n"]
    for i in range(levels):
        callee = "leaf" if i == levels - 1 else f"level_{i + 1:02d}"
        lines.append(f"def level_{i:02d}(n):\n    return {callee}(n)\n")
    namespace: dict = {}
    exec(compile("".join(lines), "/src/deep_chain.py", "exec"), namespace)  # our own generated text
    prof = cProfile.Profile()
    prof.runcall(namespace["level_00"], 30_000)
    return import_pstats(pstats.Stats(prof).stats)


FUNCS = [
    FunctionRecord("main", "/src/app.py", 1, calls=1),
    FunctionRecord("load_data", "/src/io_utils.py", 10, calls=2),
    FunctionRecord("compute", "/src/compute.py", 20, calls=3),
    FunctionRecord("helper", "/src/kernels.py", 30, calls=7),
]


def small_profile(estimated: bool = False) -> Profile:
    """all 10: main 9 (load_data 3, compute 5 -> helper 4), helper 1; ``estimated`` hatches compute's path."""
    b = TreeBuilder(10.0)
    main = b.add(0, 0, 9.0, 1.0)  # node 1
    b.add(main, 1, 3.0, 3.0)  # node 2
    comp = b.add(main, 2, 5.0, 1.0, exact=not estimated)  # node 3
    b.add(comp, 3, 4.0, 4.0, exact=not estimated)  # node 4
    b.add(0, 3, 1.0, 1.0)  # node 5
    return Profile("cprofile", list(FUNCS), b.build(), stacks_exact=not estimated)


def expected_centre(canvas, node: int, root_at_bottom: bool, scrolled_px: float = 0.0) -> QPoint:
    """Where ``node``'s frame should be, worked out from the layout alone (not the canvas's own arithmetic).

    ``scrolled_px``: how far the view was scrolled away from the root.
    """
    start, width, depth = canvas.layout_data.node_extent(node)
    x0, x1 = canvas.view_range
    x = (start + width / 2 - x0) * canvas.width() / (x1 - x0)
    rh = canvas.row_height_px
    if root_at_bottom:
        y = canvas.height() - (depth + 0.5) * rh + scrolled_px
    else:
        y = (depth + 0.5) * rh - scrolled_px
    return QPoint(int(x), int(y))
