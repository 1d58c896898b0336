"""Comparing two runs: `gpuprof diff` and gpuprof_gui.core.diff, on real profiles."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core.diff import diff_functions, diff_summary, diff_tree, match_functions
from gpuprof_gui.core.importers import import_folded
from gpuprof_gui.core.model import subtree_sizes
from gpuprof_gui.jobs.runner import RunSpec, open_profile_safely, run_profile

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"

pytestmark = pytest.mark.timeout(240)

# A small script with distinct phases; V2 moves every def down MOVED_BY lines
# and renames old_helper to new_helper.
WORK_V1 = """\
def parse(n):
    return [str(i) for i in range(n)]


def crunch(items):
    total = 0
    for s in items:
        total += len(s) * 3
    return total


def old_helper(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def main():
    for _ in range(10):
        crunch(parse(20000))
    old_helper(300000)


if __name__ == "__main__":
    main()
"""
MOVED_BY = 4
WORK_V2 = "# an edit above every def\n" * MOVED_BY + WORK_V1.replace("old_helper", "new_helper")
SCRIPT_FUNCS = {"parse", "crunch", "main", "<module>"}

# Folded stacks (sample counts): B doubles `inner`, drops `old`, adds `new`.
FOLDED_A = "main;load 10\nmain;work;inner 30\nmain;work 10\nmain;old 5\n"
FOLDED_B = "main;load 10\nmain;work;inner 60\nmain;work 10\nmain;new 20\n"

# hotspots_demo at this scale runs well under a second per profile under cProfile.
DEMO_SCALE = "0.3"
SLOWED = "histogram"
# Its loop runs over the values this many times in the slowed copy: the added
# time (7x its own ~10% of the run) dwarfs the run-to-run noise of the others.
SLOW_FACTOR = 8


def gpuprof(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args], capture_output=True, text=True, env=env, timeout=200
    )


def _profile(script: Path) -> tuple[str, object]:
    outcome = run_profile(RunSpec(str(script), output_dir=str(script.parent)))
    assert outcome.status == "finished", outcome.message
    return outcome.profile_path, open_profile_safely(outcome.profile_path, trusted=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Real cProfile runs: V1 from folders x/ and y/, V2 from folder z/."""
    root = tmp_path_factory.mktemp("diff_runs")
    out = {}
    for label, folder, text in (("x1", "x", WORK_V1), ("y1", "y", WORK_V1), ("z2", "z", WORK_V2)):
        script = root / folder / "work.py"
        script.parent.mkdir()
        script.write_text(text, encoding="utf-8")
        out[label] = _profile(script)
    return out


def _script_rows(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["file"].endswith("work.py")]


# -- acceptance ---------------------------------------------------------------


@pytest.mark.slow
def test_diff_names_the_slowed_function_first(examples_dir, tmp_path):
    text = (Path(examples_dir) / "hotspots_demo.py").read_text(encoding="utf-8")
    loop = "    for v in values:\n"
    assert text.count(loop) == 1, "hotspots_demo.histogram changed: update this test"
    slowed_text = text.replace(loop, f"    for v in values * {SLOW_FACTOR}:\n")
    profiles = []
    for folder, body in (("base", text), ("slowed", slowed_text)):
        script = tmp_path / folder / "hotspots_demo.py"  # two folders: matched by basename
        script.parent.mkdir()
        script.write_text(body, encoding="utf-8")
        out = tmp_path / f"{folder}.prof"
        res = gpuprof("profile", "--output", str(out), str(script), "--", "--scale", DEMO_SCALE)
        assert res.returncode == 0, res.stderr
        profiles.append(str(out))

    res = gpuprof("diff", *profiles, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["unit"] == "s"
    rows = doc["functions"]
    first = rows[0]
    assert first["name"] == SLOWED and first["status"] == "changed", rows[:3]
    assert first["delta_s"] > 0
    # The loop ran SLOW_FACTOR times: about (factor - 1) x its baseline self time more.
    grew = first["delta_s"] / first["self_s_a"]
    assert 0.4 * (SLOW_FACTOR - 1) < grew < 2.0 * (SLOW_FACTOR - 1), first
    for row in rows[1:]:
        assert abs(row["delta_s"]) < 0.5 * first["delta_s"], row
    assert not [r for r in rows if r["file"].endswith("hotspots_demo.py") and r["status"] != "changed"]
    assert doc["b"]["total_s"] > doc["a"]["total_s"]


# -- matching -----------------------------------------------------------------


def test_same_script_from_two_folders_matches_by_basename(runs):
    (_, a), (_, b) = runs["x1"], runs["y1"]
    assert {f.file for f in a.functions if f.name == "crunch"} != {f.file for f in b.functions if f.name == "crunch"}
    rows = _script_rows(diff_functions(a, b))
    assert {r["name"] for r in rows} >= SCRIPT_FUNCS
    assert all(r["status"] == "changed" for r in rows), rows
    assert all(r["line_a"] == r["line_b"] for r in rows)
    assert all(os.sep + "y" + os.sep in r["file"] for r in rows)  # B's file is the one shown
    calls = {r["name"]: (r["calls_a"], r["calls_b"]) for r in rows}
    assert calls["parse"] == (10, 10) and calls["crunch"] == (10, 10)


def test_moved_defs_match_and_renamed_ones_are_added_and_removed(runs):
    (_, a), (_, b) = runs["x1"], runs["z2"]
    rows = {r["name"]: r for r in _script_rows(diff_functions(a, b))}
    for name in ("parse", "crunch", "main"):
        assert rows[name]["status"] == "changed", rows[name]
        assert rows[name]["line_b"] == rows[name]["line_a"] + MOVED_BY
        assert rows[name]["line"] == rows[name]["line_b"]
    old, new = rows["old_helper"], rows["new_helper"]
    assert old["status"] == "removed" and old["self_s_b"] == 0.0 and old["calls_b"] == 0
    assert old["self_s_a"] > 0 and old["delta_s"] == -old["self_s_a"]
    assert new["status"] == "added" and new["self_s_a"] == 0.0 and new["calls_a"] == 0
    assert new["delta_s"] == new["self_s_b"] > 0
    total_a = sum(f.self_s for f in a.functions)  # the run's total as pstats counts it
    assert old["delta_pct"] == pytest.approx(-100.0 * old["self_s_a"] / total_a)
    crunch = next(f for f in b.functions if f.name == "crunch")
    assert rows["crunch"]["total_share_b"] == pytest.approx(crunch.total_s / sum(f.self_s for f in b.functions))


def test_rows_are_sorted_by_size_of_change_and_cover_both_runs(runs):
    (_, a), (_, b) = runs["x1"], runs["z2"]
    rows = diff_functions(a, b)
    mags = [abs(r["delta_s"]) for r in rows]
    assert mags == sorted(mags, reverse=True)
    pairs = match_functions(a, b)
    assert len(rows) == len(pairs)
    assert sorted(ia for ia, _ in pairs if ia >= 0) == list(range(len(a.functions)))
    assert sorted(ib for _, ib in pairs if ib >= 0) == list(range(len(b.functions)))
    assert sum(r["self_s_a"] for r in rows) == pytest.approx(sum(f.self_s for f in a.functions))


def test_folded_profiles_compare_as_shares():
    a, b = import_folded(FOLDED_A), import_folded(FOLDED_B)
    rows = {r["name"]: r for r in diff_functions(a, b)}
    assert rows["inner"]["self_s_a"] == pytest.approx(30 / 55)
    assert rows["inner"]["self_s_b"] == pytest.approx(60 / 100)
    assert rows["new"]["status"] == "added" and rows["new"]["delta_s"] == pytest.approx(0.2)
    assert rows["old"]["status"] == "removed" and rows["old"]["delta_s"] == pytest.approx(-5 / 55)
    assert sum(r["self_s_a"] for r in rows.values()) == pytest.approx(1.0)
    assert sum(r["self_s_b"] for r in rows.values()) == pytest.approx(1.0)
    summary = diff_summary(a, b)
    assert summary["unit"] == "share" and summary["ratio"] == pytest.approx(100 / 55)


def test_same_named_files_pair_by_longest_common_path_tail():
    # Two package bodies share name, basename and line; the machines' prefixes differ.
    a = import_folded(
        "<module> (/home/al/proj/alpha/__init__.py:1) 30\n<module> (/home/al/proj/beta/__init__.py:1) 10\n"
    )
    b = import_folded("<module> (/srv/ci/beta/__init__.py:1) 12\n<module> (/srv/ci/alpha/__init__.py:1) 28\n")
    pairs = match_functions(a, b)
    assert len(pairs) == 2 and all(ia >= 0 and ib >= 0 for ia, ib in pairs)
    for ia, ib in pairs:
        assert a.functions[ia].file.split("/")[-2] == b.functions[ib].file.split("/")[-2]


# -- the differential tree ----------------------------------------------------


def _check_tree_shape(d) -> None:
    t = d.tree
    n = len(t)
    assert t.parent[0] == -1 and (t.parent[1:] < np.arange(1, n)).all()
    assert (t.depth[1:] == t.depth[t.parent[1:]] + 1).all()
    assert (t.size == subtree_sizes(t.parent, t.depth)).all()
    children_w = np.bincount(t.parent[1:], weights=t.total_s[1:], minlength=n)
    assert (children_w <= t.total_s * (1 + 1e-9) + 1e-12).all()  # frames nest
    assert (t.total_s >= np.maximum(d.total_a, d.total_b) - 1e-12).all()
    for col in (d.total_a, d.total_b, d.delta_s, d.base_s):
        assert col.shape == (n,)


def _node(d, path: list[str]) -> int:
    """The tree node reached by following function names from the root."""
    node = 0
    for name in path:
        kids = d.tree.children(node)
        match = [k for k in kids if d.functions[d.tree.func[k]].name == name]
        assert len(match) == 1, (path, name)
        node = int(match[0])
    return node


def test_union_tree_of_folded_profiles_adds_up():
    a, b = import_folded(FOLDED_A), import_folded(FOLDED_B)
    d = diff_tree(a, b)
    _check_tree_shape(d)
    assert len(d.tree) == 7  # all, main, load, work, inner, old, new
    t = d.tree
    # Exact stacks: a node's change is its own change plus its children's.
    own = d.self_b - d.self_a
    from_children = np.bincount(t.parent[1:], weights=d.delta_s[1:], minlength=len(t))
    assert np.allclose(d.delta_s, own + from_children)
    assert d.delta_s[0] == pytest.approx(0.0)  # shares: each run is 1.0
    old, new, inner = _node(d, ["main", "old"]), _node(d, ["main", "new"]), _node(d, ["main", "work", "inner"])
    assert d.total_b[old] == 0.0 and d.total_a[old] == pytest.approx(5 / 55)
    assert d.total_a[new] == 0.0 and d.total_b[new] == pytest.approx(0.2)
    assert d.delta_s[inner] == pytest.approx(0.6 - 30 / 55)
    # main holds a removed and an added child: it is widened so both fit.
    main = _node(d, ["main"])
    assert t.total_s[main] == pytest.approx(sum(t.total_s[k] for k in t.children(main)))
    assert t.total_s[main] > 1.0


def test_union_tree_of_real_runs(runs):
    (_, a), (_, b) = runs["x1"], runs["z2"]
    d = diff_tree(a, b)
    _check_tree_shape(d)
    assert d.unit == "s"
    assert d.delta_s[0] == pytest.approx(b.total_s - a.total_s)
    assert d.base_s[0] == pytest.approx(a.total_s)
    names = [d.functions[f].name if f >= 0 else "all" for f in d.tree.func]
    old = [i for i, name in enumerate(names) if name == "old_helper"]
    new = [i for i, name in enumerate(names) if name == "new_helper"]
    assert old and all(d.total_b[i] == 0.0 and d.total_a[i] > 0 for i in old)
    assert new and all(d.total_a[i] == 0.0 and d.total_b[i] > 0 for i in new)
    # The moved-but-matched main() is one node, present in both runs.
    main = [i for i, name in enumerate(names) if name == "main"]
    assert len(main) == 1 and d.total_a[main[0]] > 0 and d.total_b[main[0]] > 0


# -- the command line ---------------------------------------------------------


def test_cli_text_table_names_functions_with_signed_deltas(runs):
    res = gpuprof("diff", runs["x1"][0], runs["z2"][0])
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.startswith("A: ") and "\nB: " in out
    assert re.search(r"^\+\S+ (s|ms|µs)\s.*new_helper \(added\)", out, re.M), out
    assert re.search(r"^−\S+ (s|ms|µs)\s.*old_helper \(removed\)", out, re.M), out
    assert re.search(r"\|\+{5,}", out) and re.search(r"−{5,}\|", out)  # bars grow apart


def _folded_files(tmp_path: Path) -> list[str]:
    files = []
    for name, text in (("a.folded", FOLDED_A), ("b.folded", FOLDED_B)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    return files


def test_cli_json_top_limits_rows(tmp_path):
    files = _folded_files(tmp_path)
    doc_all = json.loads(gpuprof("diff", *files, "--json").stdout)
    doc_top = json.loads(gpuprof("diff", *files, "--json", "--top", "2").stdout)
    text = gpuprof("diff", *files, "--top", "1").stdout
    assert doc_all["unit"] == "share" and doc_all["notes"]
    assert len(doc_all["functions"]) == doc_all["n_functions"] == 6
    assert [r["name"] for r in doc_top["functions"]] == [r["name"] for r in doc_all["functions"][:2]]
    assert doc_top["functions"][0]["name"] == "new"
    for key in ("name", "self_s_a", "self_s_b", "delta_s"):
        assert key in doc_top["functions"][0]
    assert "new (added)" in text and "old (removed)" not in text
    assert "5 smaller changes not shown" in text


def test_cli_mixed_units_compare_as_shares(tmp_path):
    folded = _folded_files(tmp_path)[0]
    res = gpuprof("diff", str(DATA / "pstats_sample.prof"), folded, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["unit"] == "share" and doc["a"]["unit"] == "s" and doc["b"]["unit"] == "samples"
    assert doc["delta_s"] is None
    rows = doc["functions"]
    assert sum(r["self_s_a"] for r in rows) == pytest.approx(1.0, abs=1e-6)
    assert sum(r["self_s_b"] for r in rows) == pytest.approx(1.0)


def _assert_one_sentence_naming(res: subprocess.CompletedProcess, path: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and path in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_cli_missing_file_exits_2_naming_it(tmp_path):
    good = _folded_files(tmp_path)[0]
    missing = str(tmp_path / "no_such.prof")
    _assert_one_sentence_naming(gpuprof("diff", good, missing), missing)
    _assert_one_sentence_naming(gpuprof("diff", missing, good, "--json"), missing)


def test_cli_malformed_files_exit_2_naming_them(tmp_path, runs):
    good = _folded_files(tmp_path)[0]
    raw = Path(runs["x1"][0]).read_bytes()
    truncated = tmp_path / "truncated.prof"
    truncated.write_bytes(raw[: len(raw) // 2])  # a real cProfile dump cut short: marshal data
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"elapsed_time_sec": 1, "files": ', encoding="utf-8")
    for bad in (truncated, garbage):
        _assert_one_sentence_naming(gpuprof("diff", good, str(bad)), str(bad))


def test_benchmark_runs_and_says_synthetic():
    res = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "diff.py"), "--nodes", "20000", "--functions", "500"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["synthetic"] is True and doc["root_delta_ok"] is True
    assert doc["nodes_a"] == doc["nodes_b"] == 20000 and doc["nodes_union"] >= 20000


def test_sessions_are_inputs_and_module_bodies_of_different_scripts_stay_apart(tmp_path):
    """A session file diffs like a profile; `<module>` of two unrelated scripts is not one function."""
    from gpuprof_gui.core.diff import match_functions
    from gpuprof_gui.core.importers import load_profile

    data = Path(__file__).resolve().parents[1] / "data"
    proc = gpuprof(
        "diff",
        str(data / "sessions" / "heat_h100.gpuprof-session.json"),
        str(data / "advisor" / "session_heat_h100.json"),
        "--json",
        "--top",
        "3",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["functions"][0]["name"] == "diffuse"
    a = load_profile(data / "scalene_sample.json", trusted=True)
    b = load_profile(data / "pstats_sample.prof", trusted=True)
    for ia, ib in match_functions(a, b):
        if ia >= 0 and ib >= 0 and a.functions[ia].name == "<module>":
            assert Path(a.functions[ia].file).name == Path(b.functions[ib].file).name
