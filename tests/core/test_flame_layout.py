"""Flame layout (core.flame): geometry, dropping, hit testing, search share."""

from __future__ import annotations

import importlib.util
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core.flame import (
    N_COLOUR_BUCKETS,
    build_layout,
    colour_bucket_of,
    frame_tooltip_text,
    layout_for_profile,
    match_mask,
    match_share,
    search,
)
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder

FUNCS = [
    FunctionRecord("main", "/src/app.py", 1, calls=1),
    FunctionRecord("Load_Data", "/src/io_utils.py", 10, calls=2),
    FunctionRecord("compute", "/src/app.py", 20, calls=3),
    FunctionRecord("helper", "/src/Kernels.py", 30, calls=7),
    FunctionRecord("<built-in method sum>", "", 0, calls=None),
]


def small_profile(stacks_exact: bool = True) -> Profile:
    """root 10 -> main 6 (Load 2, compute 3 -> helper 1), compute 4 (sum 0, helper 4)."""
    b = TreeBuilder(10.0)
    main = b.add(0, 0, 6.0, 1.0)  # node 1
    b.add(main, 1, 2.0, 2.0)  # node 2
    comp = b.add(main, 2, 3.0, 2.0)  # node 3
    b.add(comp, 3, 1.0, 1.0, exact=stacks_exact)  # node 4
    comp2 = b.add(0, 2, 4.0, 0.0)  # node 5
    b.add(comp2, 4, 0.0, 0.0)  # node 6: zero width
    b.add(comp2, 3, 4.0, 4.0, exact=stacks_exact)  # node 7
    return Profile("cprofile", list(FUNCS), b.build(), stacks_exact=stacks_exact)


def naive_layout(tree, min_width):
    """Reference: recursive per-node layout in plain Python."""
    start, width = {0: 0.0}, {0: float(tree.total_s[0])}

    def visit(node):
        cursor = start[node]
        end = start[node] + width[node]
        for c in tree.children(node).tolist():
            w = max(0.0, min(float(tree.total_s[c]), end - cursor))
            start[c], width[c] = cursor, w
            cursor += w
            visit(c)

    visit(0)
    kept = {0: width[0] > 0}
    for node in range(1, len(tree)):
        p = int(tree.parent[node])
        kept[node] = kept[p] and width[node] > 0 and width[node] >= min_width
    return start, width, kept


def test_starts_widths_and_sibling_order():
    lay = build_layout(small_profile().tree)
    assert lay.total == 10.0
    assert lay.max_depth == 3
    assert lay.rows[0].node.tolist() == [0]
    assert lay.rows[1].node.tolist() == [1, 5]
    np.testing.assert_allclose(lay.rows[1].start, [0.0, 6.0])
    np.testing.assert_allclose(lay.rows[1].width, [6.0, 4.0])
    # Node 6 has zero width: dropped, node 7 starts at its parent's start.
    assert lay.rows[2].node.tolist() == [2, 3, 7]
    np.testing.assert_allclose(lay.rows[2].start, [0.0, 2.0, 6.0])
    np.testing.assert_allclose(lay.rows[2].end, [2.0, 5.0, 10.0])
    assert lay.rows[3].node.tolist() == [4]
    assert lay.node_extent(4) == (2.0, 1.0, 3)
    assert not lay.kept[6] and lay.node_extent(6)[1] == 0.0
    assert lay.n_frames == 7


def test_below_threshold_frames_and_their_subtrees_are_dropped():
    lay = build_layout(small_profile().tree, min_fraction=0.25)  # frames < 2.5 go
    assert lay.rows[2].node.tolist() == [3, 7]
    assert lay.max_depth == 2  # node 4 (width 1) went with nothing left below
    assert not lay.kept[[2, 4, 6]].any()


def test_children_wider_than_parent_are_clipped_so_rows_never_overlap():
    b = TreeBuilder(5.0)
    p = b.add(0, 0, 5.0, 0.0)
    b.add(p, 1, 3.0, 3.0)
    b.add(p, 2, 4.0, 4.0)  # estimates can over-fill the parent
    b.add(0, 3, 1.0, 1.0)  # over-fills the root too: no room left
    lay = build_layout(b.build())
    np.testing.assert_allclose(lay.rows[2].width, [3.0, 2.0])
    assert lay.rows[1].node.tolist() == [1]


def test_matches_naive_recursive_layout_on_random_tree():
    rng = np.random.default_rng(7)
    b = TreeBuilder()
    stack = [0]
    for _ in range(3000):
        if len(stack) > 1 and rng.random() < 0.4:
            stack.pop()
        node = b.add(stack[-1], int(rng.integers(0, 50)), float(rng.exponential()), 0.0)
        if rng.random() < 0.45:
            stack.append(node)
    b.set_root_total(400.0)
    tree = b.build()
    lay = build_layout(tree, min_fraction=1e-3)
    start, width, kept = naive_layout(tree, 0.4)
    idx = np.arange(len(tree))
    assert lay.kept.tolist() == [kept[i] for i in idx]
    np.testing.assert_allclose(lay.node_start[lay.kept], [start[i] for i in idx[lay.kept]], atol=1e-9)
    np.testing.assert_allclose(lay.node_width[lay.kept], [width[i] for i in idx[lay.kept]], atol=1e-9)
    for row in lay.rows:
        assert np.all(np.diff(row.start) > 0)
        assert np.all(row.end[:-1] <= row.start[1:] + 1e-12)


def test_node_at_exact_edges_and_gaps():
    lay = build_layout(small_profile().tree)
    assert lay.node_at(1, 0.0) == 1
    assert lay.node_at(1, 5.999) == 1
    assert lay.node_at(1, 6.0) == 5  # frames are half open [start, end)
    assert lay.node_at(1, 10.0) == -1
    assert lay.node_at(1, -0.001) == -1
    assert lay.node_at(2, 5.0) == -1  # gap left by node 3's end and node 7's start
    assert lay.node_at(2, 4.999) == 3
    assert lay.node_at(3, 2.0) == 4
    assert lay.node_at(3, 3.0) == -1
    assert lay.node_at(4, 1.0) == -1
    assert lay.node_at(-1, 1.0) == -1


def test_visible_span_includes_only_overlapping_frames():
    lay = build_layout(small_profile().tree)
    assert lay.visible_span(2, 1.0, 2.5) == (0, 2)
    assert lay.visible_span(2, 2.0, 5.0) == (1, 2)  # touching edges are not visible
    assert lay.visible_span(2, 5.0, 6.0) == (2, 2)
    assert lay.visible_span(2, -10.0, 100.0) == (0, 3)
    assert lay.visible_span(9, 0.0, 10.0) == (0, 0)


def test_colour_buckets_are_stable_per_function():
    prof = small_profile()
    lay = layout_for_profile(prof)
    by_node = {int(n): int(b) for row in lay.rows for n, b in zip(row.node, row.bucket, strict=True)}
    assert by_node[3] == by_node[5]  # compute, twice: one function, one colour
    assert by_node[4] == by_node[7]  # helper, twice
    assert by_node[3] == zlib.crc32(b"/src/app.py:compute") % N_COLOUR_BUCKETS
    assert by_node[1] == colour_bucket_of("/src/app.py:main")  # same file, its own colour key
    # Without a file mapping colours still follow the function, so equal funcs match.
    plain = build_layout(prof.tree)
    pb = {int(n): int(b) for row in plain.rows for n, b in zip(row.node, row.bucket, strict=True)}
    assert pb[3] == pb[5] and pb[4] == pb[7]


def test_match_mask_is_case_insensitive_on_name_or_file():
    prof = small_profile()
    assert match_mask(prof, "load").tolist() == [False, True, False, False, False]
    assert match_mask(prof, "KERNELS").tolist() == [False, False, False, True, False]
    assert match_mask(prof, "app.py").tolist() == [True, False, True, False, False]
    assert not match_mask(prof, "  ").any()


def test_search_share_counts_nested_matches_once():
    prof = small_profile()
    # main (6) and compute (4) live in app.py; main's subtree holds another
    # compute (3) that must not be counted again.
    res = search(prof, "app.py")
    assert res.n_functions == 2
    assert res.n_nodes == 3  # main, compute, compute
    assert res.share == pytest.approx(1.0)
    res = search(prof, "helper")
    assert res.n_nodes == 2 and res.share == pytest.approx(0.5)
    res = search(prof, "compute")
    assert res.share == pytest.approx(0.7)
    assert search(prof, "nothing-like-this").share == 0.0


def test_match_share_nested_chain():
    b = TreeBuilder(10.0)
    a = b.add(0, 0, 8.0, 0.0)
    a2 = b.add(a, 0, 5.0, 0.0)  # recursion: same function nested
    b.add(a2, 0, 2.0, 2.0)
    b.add(0, 0, 1.0, 1.0)
    tree = b.build()
    mask = tree.func == 0
    assert match_share(tree, mask) == pytest.approx(0.9)


def test_tooltip_text_has_location_times_share_and_estimate():
    prof = small_profile(stacks_exact=False)
    text = frame_tooltip_text(prof, 7)
    assert text.splitlines()[0] == "helper"
    assert "/src/Kernels.py:30" in text
    assert "40.0% of run" in text
    assert "calls 7" in text
    assert "estimated" in text
    assert "estimated" not in frame_tooltip_text(prof, 1)
    assert "<built-in>" in frame_tooltip_text(prof, 6)


def _load_benchmark():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "flame_view.py"
    spec = importlib.util.spec_from_file_location("flame_view_benchmark", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_layout_of_200k_nodes_is_fast():
    prof = _load_benchmark().random_profile(200_000, 49, seed=1)
    assert int(prof.tree.depth.max()) == 49
    t0 = time.perf_counter()
    lay = layout_for_profile(prof)
    elapsed_s = time.perf_counter() - t0
    assert lay.max_depth == 49
    assert elapsed_s < 1.0, f"layout took {elapsed_s:.2f} s"
