"""The level-by-level (numpy) call-tree build gives the per-node build's tree, node for node.

The per-node build (:func:`tree_paths.build_tree`) is the reference: it
is what runs with sampled stacks, and its rules are the ones the other
tests pin. Here both build the same profiles — an acyclic graph of 2,000
generated functions, `python -m cProfile` of an import-heavy script (exec
reached again through importlib: cycles, re-entered functions), recursion —
and every column must be equal, bit for bit.
"""

from __future__ import annotations

import json
import pstats
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpuprof_gui.core.importers.pstats_import as pstats_import
from gpuprof_gui.core.importers.tree_levels import cyclic_functions

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parents[1] / "scripts" / "callpaths"


def _both(stats: dict, monkeypatch):
    by_levels = pstats_import.import_pstats(stats)
    with monkeypatch.context() as m:
        m.setattr(pstats_import, "_build_by_levels", lambda *args, **kw: None)
        per_node = pstats_import.import_pstats(stats)
    return by_levels, per_node


def _assert_same_tree(a, b) -> None:
    ta, tb = a.tree, b.tree
    assert len(ta) == len(tb)
    for col in ("parent", "func", "total_s", "self_s", "exact", "depth", "size"):
        assert np.array_equal(getattr(ta, col), getattr(tb, col)), col
    assert (ta.folded_s is None) == (tb.folded_s is None)
    if ta.folded_s is not None:
        assert np.array_equal(ta.folded_s, tb.folded_s)
    assert a.notes == b.notes
    assert ta.conservation_gap() < 1e-9


def _cprofile(tmp_path: Path, *argv: str) -> dict:
    out = tmp_path / "x.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), *argv],
        check=True,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=240,
    )
    return pstats.Stats(str(out)).stats


@pytest.mark.slow
def test_acyclic_generated_program(tmp_path, monkeypatch):
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "make_big_profile.py"),
            "--out-dir",
            str(tmp_path),
            "--functions",
            "2000",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=240,
    )
    stats = pstats.Stats(json.loads(proc.stdout.strip().splitlines()[-1])["prof"]).stats
    a, b = _both(stats, monkeypatch)
    assert len(a.tree) > 2000
    _assert_same_tree(a, b)


@pytest.mark.slow
def test_import_heavy_script_with_cycles_and_reentered_functions(tmp_path, monkeypatch):
    stats = _cprofile(tmp_path, str(PROGRAMS / "stdlib_imports.py"))
    a, b = _both(stats, monkeypatch)
    _assert_same_tree(a, b)
    names = {f.name for f in a.functions}
    assert "exec" in names or "builtins.exec" in names


def test_recursion(monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from test_importers import _deep, _ping, _run_profiled
    finally:
        sys.path.pop(0)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        stats = _run_profiled(lambda: (_deep(3000), _ping(3000)))
    finally:
        sys.setrecursionlimit(old)
    _assert_same_tree(*_both(stats, monkeypatch))


def test_cyclic_functions_finds_cycles_only():
    # 0 -> 1 -> 2 -> 1 (cycle 1,2); 0 -> 3 -> 4; 4 -> 5 -> 6 -> 4 (cycle 4,5,6); 7 alone
    callees = [[(1, 1.0), (3, 1.0)], [(2, 1.0)], [(1, 1.0)], [(4, 1.0)], [(5, 1.0)], [(6, 1.0)], [(4, 1.0)], []]
    assert cyclic_functions(callees).tolist() == [False, True, True, False, True, True, True, False]
