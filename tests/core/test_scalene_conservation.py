"""Scalene import conserves the run and its function figures agree with an exact reference.

The slow tests run real Scalene and cProfile on tests/scripts/scalene_lines.py
(loops with sampled headers, a nested, a decorated and a class-body region,
module-level work); docs/scalene-functions.md has the measurements behind the
tolerances. The first tests need no Scalene: a small hand-written profile.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pstats
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core.importers.scalene_import import (
    NO_SOURCE_NOTE,
    OUTSIDE_FUNCTIONS_NOTE,
    REPORTED_DIFF_POINTS,
    REPORTED_NOTE,
    import_scalene,
)
from gpuprof_gui.core.model import ROOT, Profile

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "scalene_lines.py"

CONSERVATION_TOL = 0.005
"""The issue's bound: sums agree within 0.5 % (of the run, or of the root)."""

SHARE_TOL_POINTS = 14.0
"""Largest gap allowed between a function's share by Scalene's lines and by cProfile.
Measured over 8 runs: at most 4.5 points for the functions, up to 9.1 for the class
body and module-level code, which Scalene (and py-spy, by about half as much) weighs
more than cProfile. A run has only 180-430 samples, so one share scatters by ~3
points (1 sd); 14 is the worst gap seen plus 1.5 sd. Dropping module-level time
would be an 18-21 point gap."""

LOOP_RATIO = (0.7, 1.3)
"""Summed share of the functions with ``for`` headers, Scalene's lines / cProfile.
Measured 0.85-1.00 over 8 runs; taking Scalene's own function table instead, which
leaves the headers out, gives 0.43-0.54 on the same runs: a dropped header fails widely."""

LOOP_FUNCTIONS = ("for_loop", "outer", "inner", "decorated", "scan")


# --- a hand-written profile -------------------------------------------------

SOURCE = """\
import functools


def work(n):
    s = 0
    for i in range(n):
        s += i
    return s


class Foo:
    table = [i * i for i in range(1000)]

    def method(self):
        return 1


@functools.cache
def cached(n):
    for i in range(n):
        n += i
    return n


total = work(10) + cached(10)
"""
# line -> (start_function_line Scalene gives it, python %, native %)
BUSY = {
    6: (4, 10.0, 0.0),  # the for header: Scalene moved half of each loop sample here
    7: (4, 10.0, 0.0),
    12: (11, 15.0, 5.0),  # class body, run while Foo is defined
    15: (14, 5.0, 0.0),
    20: (19, 2.0, 0.5),  # a decorated function's loop (def at 19, decorator at 18)
    21: (19, 2.0, 0.5),
    25: (0, 40.0, 10.0),  # module-level
}
ELAPSED_S = 2.0


def _raw(source: str = SOURCE, *, whole_source: bool = True) -> dict:
    def line(lineno: int, text: str) -> dict:
        region, py, c = BUSY.get(lineno, (0, 0.0, 0.0))
        text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")  # as Scalene writes it
        return {
            "lineno": lineno, "line": text, "start_function_line": region,
            "n_cpu_percent_python": py, "n_cpu_percent_c": c, "n_sys_percent": 0.0, "n_peak_mb": 0.0,
        }  # fmt: skip

    lines = [line(i, t) for i, t in enumerate(source.splitlines(keepends=True), start=1)]
    if not whole_source:  # Scalene's --reduced-profile keeps only the busy lines
        lines = [ln for ln in lines if ln["lineno"] in BUSY]
    # Scalene's own table: only the lines where a sample landed, never <module>, the
    # decorated function at its decorator line, the class body under the class's name.
    functions = [
        {"line": "work", "lineno": 4, "n_cpu_percent_python": 10.0, "n_cpu_percent_c": 0.0, "n_sys_percent": 0.0},
        {"line": "Foo", "lineno": 11, "n_cpu_percent_python": 15.0, "n_cpu_percent_c": 5.0, "n_sys_percent": 0.0},
        {"line": "Foo.method", "lineno": 14, "n_cpu_percent_python": 5.0, "n_cpu_percent_c": 0.0, "n_sys_percent": 0.0},
        {"line": "cached", "lineno": 18, "n_cpu_percent_python": 2.0, "n_cpu_percent_c": 0.5, "n_sys_percent": 0.0},
    ]
    stacks = [
        (["app.py <module>:25;", "app.py work:7;"], 0.20),
        (["app.py <module>:11;", "app.py Foo:12;"], 0.20),
        (["app.py <module>:25;", "app.py Foo.method:15;"], 0.05),
        (["app.py <module>:25;", "app.py cached:21;"], 0.05),
        (["app.py <module>:25;"], 0.50),
    ]
    return {
        "elapsed_time_sec": ELAPSED_S,
        "memory": False,
        "files": {"app.py": {"functions": functions, "lines": lines}},
        "stacks": [[frames, {"cpu_samples": w}] for frames, w in stacks],
    }


def _line_total_s(profile: Profile) -> float:
    return sum(rec.self_s for recs in profile.lines.values() for rec in recs.values())


def _check_conservation(profile: Profile) -> None:
    """Functions add up to the lines; every flame node is its self plus its children; root = CPU total."""
    line_total = _line_total_s(profile)
    assert line_total > 0
    assert sum(f.self_s for f in profile.functions) == pytest.approx(line_total, rel=CONSERVATION_TOL)
    tree = profile.tree
    assert tree.total_s[ROOT] == pytest.approx(line_total, rel=CONSERVATION_TOL)
    child_sum = np.zeros(len(tree))
    np.add.at(child_sum, tree.parent[1:], tree.total_s[1:])
    gap = np.abs(tree.self_s + child_sum - tree.total_s)
    gap[ROOT] = abs(child_sum[ROOT] - tree.total_s[ROOT])  # the root holds no self time
    assert gap.max() <= CONSERVATION_TOL * tree.total_s[ROOT], f"node {int(gap.argmax())} does not add up"


def _by_name(profile: Profile) -> dict:
    return {f.name: f for f in profile.functions}


def test_lines_outside_functions_are_kept_and_labelled():
    profile = import_scalene(_raw())
    _check_conservation(profile)
    funcs = _by_name(profile)
    pct = {name: f.self_s / ELAPSED_S * 100 for name, f in funcs.items()}
    assert pct["<module>"] == pytest.approx(50.0)
    assert pct["<class Foo body>"] == pytest.approx(20.0)
    assert funcs["<class Foo body>"].line == 11 and "Foo" not in funcs  # Scalene's name leads to the label
    assert pct["work"] == pytest.approx(20.0)  # header line 6 included
    assert pct["Foo.method"] == pytest.approx(5.0)
    assert pct["cached"] == pytest.approx(5.0)  # lines at the def line, Scalene's entry at the decorator
    assert funcs["cached"].line == 18
    assert OUTSIDE_FUNCTIONS_NOTE in profile.notes
    # The flame graph names the class body the way the table does.
    labels = {profile.function_label(int(f)) for f in profile.tree.func[1:]}
    assert {"<module>", "<class Foo body>", "work"} <= labels


def test_scalene_figure_kept_where_it_differs():
    profile = import_scalene(_raw())
    funcs = _by_name(profile)
    assert funcs["work"].reported_pct == pytest.approx(10.0)  # Scalene's table: the body line only
    assert funcs["cached"].reported_pct == pytest.approx(2.5)
    assert funcs["Foo.method"].reported_pct is None  # same figure: nothing to show
    assert funcs["<class Foo body>"].reported_pct is None
    assert funcs["<module>"].reported_pct is None  # Scalene's table has no module-level entry
    assert REPORTED_NOTE in profile.notes
    assert f"{REPORTED_DIFF_POINTS:g} points" in REPORTED_NOTE


def _without_foo_entries(raw: dict) -> dict:
    """Nothing names the class body: not Scalene's table, not a stack."""
    raw["files"]["app.py"]["functions"] = [f for f in raw["files"]["app.py"]["functions"] if f["line"] != "Foo"]
    raw["stacks"] = [s for s in raw["stacks"] if not any(" Foo:" in f for f in s[0])]
    return raw


def test_class_body_found_from_the_source_alone():
    profile = import_scalene(_without_foo_entries(_raw()))
    _check_conservation(profile)
    funcs = _by_name(profile)
    assert funcs["<class Foo body>"].self_s / ELAPSED_S * 100 == pytest.approx(20.0)
    assert funcs["<module>"].self_s / ELAPSED_S * 100 == pytest.approx(50.0)


def test_without_source_class_body_counts_as_module_level():
    profile = import_scalene(_without_foo_entries(_raw(whole_source=False)))
    _check_conservation(profile)
    funcs = _by_name(profile)
    assert funcs["<module>"].self_s / ELAPSED_S * 100 == pytest.approx(70.0)
    assert not any(name.startswith("<class ") for name in funcs)
    assert NO_SOURCE_NOTE.format(files="app.py") in profile.notes
    # The stacks still tell which lines the decorated function owns.
    assert funcs["cached"].self_s / ELAPSED_S * 100 == pytest.approx(5.0)


def test_without_stacks_the_flat_tree_conserves():
    raw = _raw()
    del raw["stacks"]
    profile = import_scalene(raw)
    _check_conservation(profile)
    assert int(profile.tree.depth.max()) == 1


# --- real Scalene against cProfile ------------------------------------------

# cProfile with a CPU clock: on a busy machine wall time would charge time spent
# waiting for a core to whatever function happened to be running.
_CPROFILE_RUNNER = """\
import cProfile, runpy, sys, time
script, out = sys.argv[1], sys.argv[2]
sys.argv = [script]
profiler = cProfile.Profile(time.process_time)
profiler.runcall(runpy.run_path, script, run_name="__main__")
profiler.dump_stats(out)
"""


def _run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{cmd[2:4]} failed:\n{done.stderr[-3000:]}"


def _short(name: str) -> str:
    """One key for our name and cProfile's: Table.scan -> scan, <class Table body> -> Table."""
    if name.startswith("<class ") and name.endswith(" body>"):
        name = name[len("<class ") : -len(" body>")]
    return name if name.startswith("<") else name.rsplit(".", 1)[-1]


def _shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {k: 100.0 * v / total for k, v in weights.items()}


def _cprofile_shares(prof: Path) -> dict[str, float]:
    """Self time per function of the script, builtins it calls charged to the caller (as a line is)."""
    self_s: Counter = Counter()
    for (file, _line, name), (_cc, _nc, tt, _ct, callers) in pstats.Stats(str(prof)).stats.items():
        if os.path.basename(file) == SCRIPT.name:
            self_s[name] += tt
        elif file == "~":
            for (cfile, _cl, cname), (_n, _c, caller_tt, _t) in callers.items():
                if os.path.basename(cfile) == SCRIPT.name:
                    self_s[cname] += caller_tt
    return _shares(self_s)


def _scalene_shares(profile: Profile) -> dict[str, float]:
    """Percent of the run's CPU time (all its lines), so time an importer loses shows as lost."""
    run_s = _line_total_s(profile)
    return {
        _short(f.name): 100.0 * f.self_s / run_s for f in profile.functions if os.path.basename(f.file) == SCRIPT.name
    }


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> tuple[Profile, dict, dict]:
    """(imported Scalene profile, its shares, cProfile's shares) of one run each."""
    if importlib.util.find_spec("scalene") is None:
        pytest.skip("Scalene is not installed")
    tmp = tmp_path_factory.mktemp("scalene_lines")
    out = tmp / "scalene.json"
    _run([sys.executable, "-m", "scalene", "run", "-o", str(out), "--cpu-only", str(SCRIPT)], tmp)
    raw = json.loads(out.read_text())
    assert raw, "Scalene wrote {}: the run was too short to sample"
    profile = import_scalene(raw)
    prof = tmp / "reference.prof"
    _run([sys.executable, "-c", _CPROFILE_RUNNER, str(SCRIPT), str(prof)], tmp)
    return profile, _scalene_shares(profile), _cprofile_shares(prof)


@pytest.mark.slow
def test_real_scalene_run_conserves(measured):
    profile, _ours, _ref = measured
    _check_conservation(profile)


@pytest.mark.slow
def test_real_module_level_and_class_body_time_is_labelled(measured):
    profile, ours, ref = measured
    names = {f.name for f in profile.functions if os.path.basename(f.file) == SCRIPT.name}
    assert {"<module>", "<class Table body>", "decorated", "outer.<locals>.inner", "Table.scan"} <= names
    assert "Table" not in names
    assert OUTSIDE_FUNCTIONS_NOTE in profile.notes
    for key in ("<module>", "Table"):  # ~19 % and ~15 % of the run by cProfile
        assert abs(ours[key] - ref[key]) <= SHARE_TOL_POINTS, (key, ours[key], ref[key])


@pytest.mark.slow
def test_real_function_shares_agree_with_cprofile(measured):
    _profile, ours, ref = measured
    table = "\n".join(f"{k:12} scalene {ours.get(k, 0):5.1f}  cprofile {v:5.1f}" for k, v in sorted(ref.items()))
    for key, share in ref.items():
        assert abs(ours.get(key, 0.0) - share) <= SHARE_TOL_POINTS, f"{key}\n{table}"
    loops = sum(ours[k] for k in LOOP_FUNCTIONS) / sum(ref[k] for k in LOOP_FUNCTIONS)
    assert LOOP_RATIO[0] <= loops <= LOOP_RATIO[1], f"loop functions {loops:.2f} of cProfile's\n{table}"


@pytest.mark.slow
def test_real_scalene_table_is_further_from_cprofile_than_the_lines(measured):
    """Where Scalene's own figure is kept, it is the worse one: the evidence for showing ours."""
    profile, ours, ref = measured
    total_s = sum(f.self_s for f in profile.functions)
    kept = [f for f in profile.functions if f.reported_pct is not None]
    for f in kept:
        assert abs(f.reported_pct - 100.0 * f.self_s / total_s) > REPORTED_DIFF_POINTS
    if kept:
        assert REPORTED_NOTE in profile.notes
        ours_gap = sum(abs(ours[_short(f.name)] - ref[_short(f.name)]) for f in kept)
        table_gap = sum(abs(f.reported_pct - ref[_short(f.name)]) for f in kept)
        assert table_gap > ours_gap
