"""Hotspot rows, search, selection fractions and number formatting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core import fmt
from gpuprof_gui.core.hotspots import hotspot_rows, search
from gpuprof_gui.core.importers import import_folded, load_profile
from gpuprof_gui.core.model import ROOT
from gpuprof_gui.core.selection import function_fraction, selected_fraction

DATA = Path(__file__).resolve().parents[1] / "data"

# A real-shaped folded profile: "work" recurses and also appears under "io".
FOLDED = """\
main;work;work;leaf 20
main;work 10
main;io;work 30
main;io 15
other 25
"""


@pytest.fixture()
def folded():
    return import_folded(FOLDED)


def _node(profile, *names):
    tree, node = profile.tree, ROOT
    for name in names:
        node = next(int(c) for c in tree.children(node) if profile.function_label(int(tree.func[c])) == name)
    return node


def test_hotspot_rows_sorted_by_self_time(folded):
    rows = hotspot_rows(folded)
    assert [r["name"] for r in rows] == ["work", "other", "leaf", "io", "main"]
    work = rows[0]
    assert (work["self_s"], work["total_s"]) == (40, 60)
    assert work["self_pct"] == pytest.approx(40.0) and work["total_pct"] == pytest.approx(60.0)
    assert set(work) >= {"func", "name", "file", "line", "calls", "self_s", "total_s", "self_pct", "total_pct"}
    assert folded.functions[work["func"]].name == "work"


def test_hotspot_rows_real_pstats():
    profile = load_profile(DATA / "pstats_sample.prof", trusted=True)
    rows = hotspot_rows(profile)
    assert rows[0]["name"] == "spin" and rows[0]["calls"] == 4
    selfs = [r["self_s"] for r in rows]
    assert selfs == sorted(selfs, reverse=True)
    assert sum(r["self_pct"] for r in rows) == pytest.approx(100.0, rel=1e-6)


def test_search_share_counts_nested_matches_once(folded):
    funcs, share = search(folded, "WORK")
    assert [folded.functions[f].name for f in funcs] == ["work"]
    # work under main (30, containing work->work 20) + work under io (30) = 60 of 100.
    assert share == pytest.approx(0.60)
    funcs, share = search(folded, "o")  # io, work, other: io contains a work
    assert share == pytest.approx((60 + 45 + 25 - 30) / 100)
    assert search(folded, "   ") == ([], 0.0)
    assert search(folded, "nothing-like-this") == ([], 0.0)


def test_search_matches_file_paths():
    profile = load_profile(DATA / "scalene_sample.json")
    funcs, share = search(profile, "sample_helper")
    assert [profile.functions[f].name for f in funcs] == ["mod_work"]
    assert 0 < share < 1


def test_selected_fraction_nested_and_edges(folded):
    tree = folded.tree
    main, io = _node(folded, "main"), _node(folded, "main", "io")
    inner_work = _node(folded, "main", "io", "work")
    assert selected_fraction(tree, []) == 0.0
    assert selected_fraction(tree, [ROOT]) == 1.0
    assert selected_fraction(tree, [ROOT, io]) == 1.0
    assert selected_fraction(tree, [io]) == pytest.approx(0.45)
    assert selected_fraction(tree, [io, inner_work]) == pytest.approx(0.45)  # nested: once
    assert selected_fraction(tree, [inner_work, io, io]) == pytest.approx(0.45)  # order, duplicates
    other = _node(folded, "other")
    assert selected_fraction(tree, np.array([main, other])) == pytest.approx(1.0)
    assert selected_fraction(tree, [inner_work, other]) == pytest.approx(0.55)
    assert selected_fraction(tree, [10_000, -5]) == 0.0  # out-of-range indices ignored


def test_function_fraction(folded):
    idx = {f.name: i for i, f in enumerate(folded.functions)}
    assert function_fraction(folded, []) == 0.0
    assert function_fraction(folded, [idx["work"]]) == pytest.approx(0.60)
    assert function_fraction(folded, [idx["main"], idx["work"]]) == pytest.approx(0.75)
    assert function_fraction(folded, [idx["leaf"], idx["other"]]) == pytest.approx(0.45)
    assert function_fraction(folded, [-1]) == 1.0


@pytest.mark.parametrize(
    "seconds, text",
    [
        (1.234, "1.23 s"),
        (45.6e-3, "45.6 ms"),
        (789e-6, "789 µs"),
        (12e-9, "12 ns"),
        (0.99996, "1.00 s"),
        (999.96e-6, "1.00 ms"),
        (0, "0 s"),
        (None, "—"),
        (float("nan"), "—"),
        (-0.5, "−500 ms"),
    ],
)
def test_format_time(seconds, text):
    assert fmt.format_time(seconds) == text


def test_format_pct_count_bytes():
    assert fmt.format_pct(45.61) == "45.6%"
    assert fmt.format_pct(100.0) == "100%"
    assert fmt.format_pct(0.004) == "<0.01%"
    assert fmt.format_pct(None) == "—"
    assert fmt.format_count(1_234_567) == "1,234,567"
    assert fmt.format_count(None) == "—"
    assert fmt.format_bytes(512) == "512 B"
    assert fmt.format_bytes(1536) == "1.50 KiB"
    assert fmt.format_bytes(12.3 * 2**20) == "12.3 MiB"
    assert fmt.format_bytes(None) == "—"


def test_short_path():
    path = "/home/user/projects/deep/pkg/module.py"
    assert fmt.short_path(path, 100) == path
    short = fmt.short_path(path, 20)
    assert short == "…/deep/pkg/module.py" and len(short) <= 20
    long_name = fmt.short_path("/x/averyveryverylongfilename.py", 12)
    assert len(long_name) == 12 and long_name.endswith("filename.py")
    assert fmt.short_path("", 10) == ""
