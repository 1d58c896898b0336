"""Importers against real cProfile / Scalene output (tests/data, regen_samples.py)."""

from __future__ import annotations

import cProfile
import itertools
import json
import math
import os
import pstats
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core.importers import (
    ProfileFormatError,
    UntrustedFormat,
    import_folded,
    import_pstats,
    import_scalene,
    load_profile,
    pstats_import,
    sniff_format,
)
from gpuprof_gui.core.importers.tree_paths import MAX_CYCLE_TURNS
from gpuprof_gui.core.model import ROOT, Profile

DATA = Path(__file__).resolve().parents[1] / "data"
PROF = DATA / "pstats_sample.prof"
SCALENE = DATA / "scalene_sample.json"


def _stats(path: Path) -> dict:
    return pstats.Stats(str(path)).stats


def _key(stats: dict, name: str) -> tuple:
    (key,) = [k for k in stats if k[2] == name]
    return key


def _node(profile: Profile, *names: str) -> int:
    """The tree node at the path of function names below the root."""
    tree, node = profile.tree, ROOT
    for name in names:
        kids = [int(c) for c in tree.children(node) if profile.function_label(int(tree.func[c])) == name]
        assert kids, f"no {name!r} under {profile.function_label(int(tree.func[node]))!r}"
        node = kids[0]
    return node


def _check_tree_invariants(profile: Profile) -> None:
    tree = profile.tree
    n = len(tree)
    assert tree.parent[0] == -1 and np.all(tree.parent[1:] < np.arange(1, n))
    child_sum = np.zeros(n)
    np.add.at(child_sum, tree.parent[1:], tree.total_s[1:])
    # Children never exceed their parent; self fits in what is left.
    assert np.all(child_sum <= tree.total_s * (1 + 1e-9) + 1e-12)
    assert np.all(tree.self_s[1:] <= tree.total_s[1:] * (1 + 1e-9) + 1e-12)
    # Conserved: a frame's width is its self time plus its drawn children.
    assert tree.conservation_gap() < 1e-9


# --- cProfile --------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_profile() -> Profile:
    return load_profile(PROF, trusted=True)


def test_pstats_flat_records_match_pstats(sample_profile):
    stats = _stats(PROF)
    by_name = {f.name: f for f in sample_profile.functions}
    for name in ("spin", "work", "heavy", "recurse"):
        _cc, nc, tt, ct, _ = stats[_key(stats, name)]
        rec = by_name[name]
        assert (rec.calls, rec.self_s, rec.total_s) == (nc, tt, ct)
        assert rec.file == "pstats_sample_script.py" and rec.line > 0
    assert by_name["recurse"].calls == 31  # 1 primitive + 30 recursive, as cProfile prints
    assert by_name["builtins.exec"].file == "" and by_name["builtins.exec"].line == 0
    assert not any("disable" in f.name for f in sample_profile.functions)


def test_pstats_root_total_is_the_measured_time(sample_profile):
    stats = _stats(PROF)
    kept = [v[2] for k, v in stats.items() if "disable" not in k[2]]
    assert sample_profile.total_s == pytest.approx(math.fsum(kept), rel=1e-9)
    assert sample_profile.profiler == "cprofile" and not sample_profile.stacks_exact
    assert any("proportional attribution" in n for n in sample_profile.notes)
    assert sample_profile.source_path == str(PROF)
    _check_tree_invariants(sample_profile)


def test_pstats_exact_edges_and_estimated_paths(sample_profile):
    stats = _stats(PROF)
    spin, work, heavy, light = (_key(stats, n) for n in ("spin", "work", "heavy", "light"))
    tree = sample_profile.tree
    path = ("builtins.exec", "<module>", "main")
    # heavy is only called from main: its edge time is exact, and so are its callees.
    heavy_node = _node(sample_profile, *path, "heavy")
    assert tree.total_s[heavy_node] == pytest.approx(stats[heavy][4][_key(stats, "main")][3])
    assert tree.exact[heavy_node]
    work_under_heavy = _node(sample_profile, *path, "heavy", "work")
    assert tree.total_s[work_under_heavy] == pytest.approx(stats[work][4][heavy][3])
    assert tree.exact[work_under_heavy]
    spin_under_heavy = _node(sample_profile, *path, "heavy", "spin")
    assert tree.total_s[spin_under_heavy] == pytest.approx(stats[spin][4][heavy][3])
    assert tree.exact[spin_under_heavy]
    # work is called from heavy and light: spin below it is attributed in proportion.
    scale = stats[work][4][heavy][3] / stats[work][3]
    spin_deep = _node(sample_profile, *path, "heavy", "work", "spin")
    assert tree.total_s[spin_deep] == pytest.approx(stats[spin][4][work][3] * scale)
    assert not tree.exact[spin_deep]
    assert 0.5 < scale < 0.95  # the sample really splits work's time (600k vs 200k loops)
    spin_light = _node(sample_profile, *path, "light", "work", "spin")
    assert not tree.exact[spin_light]
    # The two estimates add up to the exact work->spin edge.
    assert tree.total_s[spin_deep] + tree.total_s[spin_light] == pytest.approx(
        stats[spin][4][work][3] * (stats[work][4][heavy][3] + stats[work][4][light][3]) / stats[work][3]
    )


def test_pstats_recursion_is_cut(sample_profile):
    tree = sample_profile.tree
    node = _node(sample_profile, "builtins.exec", "<module>", "main", "recurse")
    kids = [sample_profile.function_label(int(tree.func[c])) for c in tree.children(node)]
    assert kids == ["spin"]


def _run_profiled(func, *args) -> dict:
    prof = cProfile.Profile()
    prof.enable()
    try:
        func(*args)
    finally:
        prof.disable()
    prof.create_stats()
    return prof.stats


def _deep(k):
    return 0 if k == 0 else _deep(k - 1) + 1


def _ping(k):
    return 0 if k == 0 else _pong(k - 1)


def _pong(k):
    return 0 if k == 0 else _ping(k - 1)


def test_pstats_5000_deep_recursion():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        stats = _run_profiled(lambda: (_deep(5000), _ping(5000)))
    finally:
        sys.setrecursionlimit(old)
    profile = import_pstats(stats)
    by_name = {f.name: f for f in profile.functions}
    assert by_name["_deep"].calls == 5001
    # Recursion without sampled stacks: a caller->callee call repeats at most
    # MAX_CYCLE_TURNS times on a path; the rest is folded into the frame.
    tree = profile.tree
    for node in range(1, len(tree)):
        funcs = [int(tree.func[n]) for n in tree.path(node)]
        pairs = list(itertools.pairwise(funcs))
        assert all(pairs.count(p) <= MAX_CYCLE_TURNS for p in pairs)
    assert int(tree.depth.max()) < 10
    _check_tree_invariants(profile)
    # The recursion's time is all there: the root holds the run's total.
    assert tree.total_s[0] == pytest.approx(sum(f.self_s for f in profile.functions), rel=1e-9)


def test_pstats_drops_worker_frames_and_reroots_callees(tmp_path):
    # A real run whose outer frame lives in gpuprof_gui/workers/, as the profile worker's does.
    worker_file = os.path.join("site", "gpuprof_gui", "workers", "profile_worker.py")
    ns: dict = {}
    exec(compile("def run_target(f):\n    return f()\n", worker_file, "exec"), ns)

    def user_main():
        return sum(i * i for i in range(20_000))

    profile = import_pstats(_run_profiled(ns["run_target"], user_main))
    assert not any("workers" in f.file for f in profile.functions)
    top = [profile.function_label(int(profile.tree.func[c])) for c in profile.tree.children(ROOT)]
    assert "user_main" in top


def test_pstats_prunes_and_caps(monkeypatch):
    stats = _run_profiled(_fan_out, 300)
    full = import_pstats(stats)
    monkeypatch.setattr(pstats_import, "MAX_NODES", 50)
    capped = import_pstats(stats)
    assert len(capped.tree) == 50 < len(full.tree)
    assert any("cut at" in n for n in capped.notes)
    _check_tree_invariants(capped)


def _fan_out(n):
    ns: dict = {}
    src = "".join(f"def f{i}():\n    return sum(range({50 + i}))\n" for i in range(n))
    exec(compile(src, "generated_fanout.py", "exec"), ns)
    for i in range(n):
        ns[f"f{i}"]()


def test_pstats_5000_functions_import_whole():
    # Speed (target well under 0.2 s) is measured by benchmarks/open_big_profile.py, not asserted here.
    stats = _run_profiled(_fan_out, 5000)
    assert len(stats) > 5000
    profile = import_pstats(stats)
    assert len(profile.functions) >= 5000


def test_untrusted_pstats_is_refused(tmp_path):
    with pytest.raises(UntrustedFormat) as err:
        load_profile(PROF)
    assert "separate process" in str(err.value)
    assert isinstance(err.value, ProfileFormatError)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_truncated_prof_is_a_format_error(tmp_path, cut):
    data = PROF.read_bytes()
    bad = tmp_path / "cut.prof"
    bad.write_bytes(data[: int(len(data) * cut)])
    assert sniff_format(bad) == "pstats"
    with pytest.raises(ProfileFormatError, match="truncated or damaged cProfile"):
        load_profile(bad, trusted=True)


def test_garbage_prof_is_a_format_error(tmp_path):
    rng = random.Random(7)
    garbage = tmp_path / "garbage.prof"
    garbage.write_bytes(rng.randbytes(4096))
    with pytest.raises(ProfileFormatError):
        load_profile(garbage, trusted=True)
    # Garbage behind a valid marshal-dict header reaches pstats, and still fails cleanly.
    for seed in range(20):
        garbage.write_bytes(b"\xfb)" + random.Random(seed).randbytes(512))
        with pytest.raises(ProfileFormatError):
            load_profile(garbage, trusted=True)


def test_marshal_of_wrong_shape_is_a_format_error(tmp_path):
    import marshal

    bad = tmp_path / "wrong.prof"
    bad.write_bytes(marshal.dumps({("f.py", 1, "f"): (1, 1, "x", 2.0, {})}))
    with pytest.raises(ProfileFormatError):
        load_profile(bad, trusted=True)
    with pytest.raises(ProfileFormatError):
        import_pstats([1, 2, 3])


def test_pstats_with_only_profiler_noise_is_empty():
    stats = _run_profiled(lambda: None)
    stats = {k: v for k, v in stats.items() if k[2] == pstats_import.DISABLE_NOISE}
    assert stats, "a real cProfile run always records its own disable() call"
    with pytest.raises(ProfileFormatError, match="no function calls"):
        import_pstats(stats)
    with pytest.raises(ProfileFormatError, match="no function calls"):
        import_pstats({})


# --- sniffing --------------------------------------------------------------


def test_sniff_recognises_each_format(tmp_path):
    assert sniff_format(PROF) == "pstats"
    assert sniff_format(SCALENE) == "scalene"
    folded = tmp_path / "stacks.txt"
    folded.write_text("main (a.py:3);work (a.py:9) 12\n")
    assert sniff_format(folded) == "folded"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"print('hello')\nx = compute()\n", "not a profile"),
        (b'{"a": 1}', "neither a Scalene"),
        (b"\x00\x01\x02\xff" * 100, "binary"),
    ],
)
def test_sniff_rejects_other_files(tmp_path, content, message):
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    with pytest.raises(ProfileFormatError, match=message):
        sniff_format(path)


def test_sniff_rejects_missing_and_folders(tmp_path):
    with pytest.raises(ProfileFormatError, match="does not exist"):
        sniff_format(tmp_path / "nope.prof")
    with pytest.raises(ProfileFormatError, match="folder"):
        sniff_format(tmp_path)


# --- Scalene ---------------------------------------------------------------


@pytest.fixture(scope="module")
def scalene_raw() -> dict:
    return json.loads(SCALENE.read_text())


def test_scalene_lines(scalene_raw):
    profile = load_profile(SCALENE)
    elapsed_s = scalene_raw["elapsed_time_sec"]
    raw_lines = {
        (os.path.basename(f), ln["lineno"]): ln for f, fd in scalene_raw["files"].items() for ln in fd["lines"]
    }
    assert profile.profiler == "scalene" and profile.stacks_exact and profile.wall_s == elapsed_s
    assert profile.lines, "per-line data expected"
    for file, recs in profile.lines.items():
        for lineno, rec in recs.items():
            raw = raw_lines[(os.path.basename(file), lineno)]
            cpu = raw["n_cpu_percent_python"] + raw["n_cpu_percent_c"] + raw["n_sys_percent"]
            assert rec.cpu_pct == pytest.approx(cpu)
            assert rec.self_s == pytest.approx(cpu / 100 * elapsed_s)
    # The helper's hot loop lines (3 and 4) are there.
    helper = next(f for f in profile.lines if f.endswith("scalene_sample_helper.py"))
    assert {3, 4} <= set(profile.lines[helper])


def test_scalene_tree_follows_sampled_stacks(scalene_raw):
    profile = import_scalene(scalene_raw)
    tree = profile.tree
    assert tree.exact.all()
    total_cpu_pct = sum(
        ln["n_cpu_percent_python"] + ln["n_cpu_percent_c"] + ln["n_sys_percent"]
        for fd in scalene_raw["files"].values()
        for ln in fd["lines"]
    )
    assert profile.total_s == pytest.approx(total_cpu_pct / 100 * scalene_raw["elapsed_time_sec"])
    share = sum(st["cpu_samples"] for frames, st in scalene_raw["stacks"] if any(" mod_work:" in f for f in frames))
    share /= sum(st["cpu_samples"] for _, st in scalene_raw["stacks"])
    node = _node(profile, "<module>", "rec", "rec", "rec", "rec", "middle", "mod_work")
    assert tree.total_s[node] / profile.total_s == pytest.approx(share)
    # Recursion in a true stack stays as sampled; the function's inclusive time counts it once.
    by_name = {f.name: f for f in profile.functions}
    assert by_name["rec"].total_s == pytest.approx(float(tree.total_s[_node(profile, "<module>", "rec")]))
    assert by_name["mod_work"].line == 1 and by_name["leaf"].line == 5
    assert by_name["mod_work"].calls is None
    _check_tree_invariants(profile)


def test_scalene_function_self_is_the_sum_of_its_lines(scalene_raw):
    profile = import_scalene(scalene_raw)
    mod_work = next(f for f in profile.functions if f.name == "mod_work")
    helper = next(f for f in profile.lines if f.endswith("scalene_sample_helper.py"))
    assert mod_work.self_s == pytest.approx(sum(r.self_s for r in profile.lines[helper].values()))
    assert mod_work.mem_peak_mb is None  # a --cpu-only run measured no memory


def test_scalene_empty_and_sampleless(scalene_raw, tmp_path):
    empty = tmp_path / "short.json"
    empty.write_text("{}\n")
    assert sniff_format(empty) == "scalene"
    with pytest.raises(ProfileFormatError, match=r"empty profile \(\{\}\).*too short to sample"):
        load_profile(empty)
    no_samples = dict(scalene_raw, stacks=[], combined_stacks=[])
    no_samples["files"] = {
        f: dict(fd, lines=[dict(ln, n_cpu_percent_python=0, n_cpu_percent_c=0, n_sys_percent=0) for ln in fd["lines"]])
        for f, fd in scalene_raw["files"].items()
    }
    with pytest.raises(ProfileFormatError, match="no CPU samples"):
        import_scalene(no_samples)


def test_scalene_without_stacks_uses_combined_then_flat(scalene_raw):
    combined = import_scalene(dict(scalene_raw, stacks=[]))
    assert combined.tree.total_s[ROOT] == pytest.approx(import_scalene(scalene_raw).total_s)
    assert int(combined.tree.depth.max()) > 2
    flat = import_scalene(dict(scalene_raw, stacks=[], combined_stacks=[]))
    assert int(flat.tree.depth.max()) == 1 and any("no call stacks" in n for n in flat.notes)
    assert flat.total_s == pytest.approx(combined.total_s)


def test_scalene_truncated_json(tmp_path):
    bad = tmp_path / "cut.json"
    bad.write_text(SCALENE.read_text()[:5000])
    with pytest.raises(ProfileFormatError, match="not valid JSON"):
        load_profile(bad)


# --- folded ----------------------------------------------------------------

FOLDED = """\
<module> (app.py:1);main (app.py:10);work (app.py:20) 30
<module> (app.py:1);main (app.py:11);work (app.py:21);work (app.py:21) 10
<module> (app.py:1);main (app.py:12);idle 5

<module> (app.py:1) 5
"""


def test_folded_valid(tmp_path):
    path = tmp_path / "app.folded"
    path.write_text(FOLDED)
    assert sniff_format(path) == "folded"
    profile = load_profile(path)
    assert profile.unit == "samples" and profile.stacks_exact and profile.total_s == 50
    by_name = {f.name: f for f in profile.functions}
    assert (by_name["work"].file, by_name["work"].line) == ("app.py", 20)
    assert by_name["work"].self_s == 40 and by_name["work"].total_s == 40  # recursion counted once
    assert by_name["main"].total_s == 45 and by_name["<module>"].self_s == 5
    assert by_name["idle"].file == "" and by_name["idle"].line == 0
    tree = profile.tree
    rec_node = _node(profile, "<module>", "main", "work", "work")
    assert tree.total_s[rec_node] == 10
    _check_tree_invariants(profile)


@pytest.mark.parametrize(
    "text, line_no",
    [
        ("a;b 3\na;c\n", 2),
        ("a;b 3\n\na;b x\n", 3),
        ("a;;b 4\n", 1),
        ("a;b -2\n", 1),
    ],
)
def test_folded_malformed_names_the_line(text, line_no):
    with pytest.raises(ProfileFormatError, match=f"Line {line_no} "):
        import_folded(text)


def test_folded_empty():
    with pytest.raises(ProfileFormatError, match="no stacks"):
        import_folded("\n  \n")


def test_folded_200k_node_tree_imports_whole():
    # 200 x 1,000 distinct two-level paths -> 200,200 nodes (synthetic load, not a result).
    # No timed assertion: one failed on a loaded 2-core machine (3.2 s against a 3 s bound);
    # import speed is a benchmark's business (benchmarks/open_big_profile.py).
    lines = [f"top{i};mid{j} 1" for i in range(200) for j in range(1000)]
    profile = import_folded("\n".join(lines))
    assert len(profile.tree) == 1 + 200 + 200_000


def test_load_profile_copies_keep_working(tmp_path):
    # A renamed copy is recognised by content, not by extension.
    copy = tmp_path / "profile.data"
    shutil.copy(SCALENE, copy)
    assert load_profile(copy).source_path == str(copy)


def test_time_entering_from_an_unrecorded_caller_hangs_from_the_root():
    # The worker exec()s the script with the profiler already on, so exec's
    # recorded callers (an import) explain only a sliver of its time; the rest
    # must still reach the tree, or the flame graph shows nothing but "all".
    exec_key = ("~", 0, "<built-in method builtins.exec>")
    importer = ("<frozen importlib._bootstrap>", 233, "_call_with_frames_removed")
    module = ("script.py", 1, "<module>")
    work = ("script.py", 5, "work")
    stats = {
        importer: (1, 1, 0.001, 0.002, {}),
        exec_key: (2, 2, 0.0, 3.0, {importer: (1, 1, 0.0, 0.001)}),
        module: (1, 1, 0.5, 2.999, {exec_key: (1, 1, 0.5, 2.999)}),
        work: (1, 1, 2.499, 2.499, {module: (1, 1, 2.499, 2.499)}),
    }
    profile = import_pstats(stats)
    names = [profile.function_label(int(f)) for f in profile.tree.func]
    assert "work" in names
    work_node = names.index("work")
    assert profile.tree.total_s[work_node] == pytest.approx(2.499, rel=0.01)


def test_the_gpu_tracers_callback_and_the_builtins_only_it_calls_are_not_the_scripts_time():
    """Inside each CUDA call the tracer's callback runs on the script's thread, under its cProfile: its
    cost is the tracer's (the run's notes give it), not a function of the script's."""
    from gpuprof_gui.core.importers.pstats_import import import_pstats

    script = ("/home/u/prog.py", 3, "step")
    launch = ("~", 0, "<method '__call__' of 'cupy._core.raw.RawKernel' objects>")
    callback = ("/site/gpuprof_gui/gpu/cupti_trace.py", 170, "_on_api")
    getframe = ("~", 0, "<built-in method sys._getframe>")
    shared = ("~", 0, "<built-in method builtins.len>")
    stats = {
        script: (1, 1, 0.5, 1.0, {}),
        launch: (10, 10, 0.3, 0.5, {script: (10, 10, 0.3, 0.5)}),
        callback: (10, 10, 0.15, 0.2, {launch: (10, 10, 0.15, 0.2)}),
        getframe: (10, 10, 0.05, 0.05, {callback: (10, 10, 0.05, 0.05)}),
        shared: (3, 3, 0.01, 0.01, {script: (2, 2, 0.005, 0.005), callback: (1, 1, 0.005, 0.005)}),
    }
    profile = import_pstats(stats)
    names = {f.name for f in profile.functions}
    assert "_on_api" not in names and "<built-in method sys._getframe>" not in names
    assert "step" in names and "builtins.len" in " ".join(names)  # also the script's: kept
    assert profile.total_s == pytest.approx(0.5 + 0.3 + 0.01)
