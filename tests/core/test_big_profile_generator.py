"""The big-profile generator behind benchmarks/open_big_profile.py keeps its shape.

It reproduces the shared generator's "large" preset (20,312 functions and 49,303
edges in pstats once profiled); the seeded graph pins that shape without the
10-second profiled run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "make_big_profile.py"


def _generator():
    spec = importlib.util.spec_from_file_location("make_big_profile", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_large_graph_has_the_shared_generators_shape():
    gen = _generator()
    n = gen.LARGE_FUNCTIONS
    graph = gen.build_graph(n, gen.SEED + n)
    assert sum(len(kids) for kids in graph["children"].values()) == 48_750  # edges before profiling
    assert graph["calls_per_repeat"] == 332_932
    assert [len(level) for level in graph["levels"]][:4] == [1, 3, 8, 25]
    assert len(graph["levels"]) == gen.DEPTH and sum(map(len, graph["levels"])) == n


def test_small_program_profiles(tmp_path):
    made = _generator().make_profile(str(tmp_path), 300, "small")
    assert made["functions_in_pstats"] > 300 and made["edges_in_pstats"] >= 299
