"""Before and after a move to the GPU (core/diff_gpu.py): exact arithmetic on a hand-built pair of runs
and trace (tests/gpu_move_case.py), and the sentences and totals line made from it."""

from __future__ import annotations

import pytest
from gpu_move_case import MOD_A, MOD_B, MiB, profile_a, profile_b, trace

from gpuprof_gui.core.diff import diff_tree, match_functions
from gpuprof_gui.core.diff_gpu import before_after
from gpuprof_gui.core.diff_gpu_text import totals_line
from gpuprof_gui.core.importers.folded_import import import_folded


def _rows(result) -> dict[str, dict]:
    return {r["name"]: r for r in result["functions"]}


def test_the_moved_function_gets_its_cpu_time_before_and_the_gpu_work_done_inside_it():
    result = before_after(profile_a(), profile_b(), trace())
    rows = _rows(result)
    # Callers above the moved function (simulate, main, <module>) only repeat the run: not listed.
    assert [r["name"] for r in result["functions"]] == ["diffuse", "sweeps_on_device"]
    diffuse = rows["diffuse"]
    assert diffuse["moved"] and diffuse["file"].endswith("heat_gpu.py")
    assert diffuse["cpu_before_s"] == pytest.approx(6.0) and diffuse["before_file"].endswith("heat_cpu.py")
    assert diffuse["cpu_after_s"] == pytest.approx(0.6)
    # Inclusive: the kernels and memset sweeps_on_device issued count for diffuse too.
    assert diffuse["kernel_s"] == pytest.approx(600e-6) and diffuse["launches"] == 3
    assert diffuse["memset_s"] == pytest.approx(10e-6)
    assert diffuse["copy_s"] == pytest.approx(3e-3) and diffuse["copies"] == 2
    assert diffuse["copy_bytes"] == 8 * MiB
    assert diffuse["sync_s"] == pytest.approx(50e-6)
    sweeps = rows["sweeps_on_device"]
    assert not sweeps["moved"] and sweeps["cpu_before_s"] is None and sweeps["cpu_after_s"] == pytest.approx(0.2)
    assert sweeps["kernel_s"] == pytest.approx(600e-6) and sweeps["copies"] == 0 and sweeps["sync_s"] == 0


def test_the_totals_say_what_moved_and_what_stays_on_the_cpu():
    t = before_after(profile_a(), profile_b(), trace())["totals"]
    assert t["run_before_s"] == pytest.approx(10.0) and t["run_after_s"] == pytest.approx(5.6)
    assert t["speedup"] == pytest.approx(10.0 / 5.6)
    assert t["moved_before_s"] == pytest.approx(6.0) and t["moved_after_s"] == pytest.approx(0.6)
    assert t["cpu_after_s"] == pytest.approx(5.0) and t["cpu_share_after"] == pytest.approx(5.0 / 5.6)
    assert t["kernel_s"] == pytest.approx(600e-6) and t["copy_bytes"] == 8 * MiB and t["copies"] == 2
    assert t["sync_s"] == pytest.approx(57e-6) and t["unattributed_s"] == pytest.approx(7e-6)
    # numpy's percentile counts for summarize, importing CuPy for <module>; CuPy under diffuse moved.
    still = [(f["name"], round(f["s"], 9)) for f in t["still_cpu"]]
    assert still == [("summarize", 3.0), ("<module>", 1.0), ("simulate", 0.6)]


def test_sentences_and_totals_line_carry_the_figures():
    result = before_after(profile_a(), profile_b(), trace())
    assert result["sentences"] == [
        "diffuse: 6.00 s on the CPU became 600 µs of GPU kernels plus 3.00 ms of copies (8.00 MiB) "
        "plus 10.0 µs of memsets; it now takes 600 ms of CPU time (launching and waiting).",
        "The run took 10.0 s on the CPU and 5.60 s with the GPU: 1.79× faster.",
        "89.3% of the GPU run is still CPU work: summarize 3.00 s, <module> 1.00 s, simulate 600 ms.",
        "The CPU waited 57.0 µs in all for the GPU to catch up (syncs).",
    ]
    assert totals_line(result) == (
        "Run 10.0 s → 5.60 s; moved 6.00 s of CPU time → GPU kernels 600 µs, copies 3.00 ms "
        "(8.00 MiB, 2), sync 57.0 µs; still on the CPU 5.00 s (89.3% of B)"
    )


def test_the_gpu_function_takes_its_time_before_from_the_sibling_script_even_when_b_calls_the_cpu_one():
    """B checks its answer with heat_cpu.diffuse, so the diff pairs the two heat_cpu.diffuse and leaves
    heat_gpu.diffuse unpaired: its time before is still heat_cpu.diffuse's in A."""
    result = before_after(profile_a(), profile_b(checking=True), trace())
    diffuse = _rows(result)["diffuse"]
    assert diffuse["file"].endswith("heat_gpu.py") and diffuse["before_match"] == "sibling"
    assert diffuse["cpu_before_s"] == pytest.approx(6.0)
    assert result["totals"]["moved_before_s"] == pytest.approx(6.0)


def test_runs_counting_samples_get_a_sentence_not_figures():
    sampled = import_folded("main;diffuse 10\n")
    result = before_after(sampled, profile_b(), trace())
    assert result["functions"] == [] and "timed in seconds" in result["sentences"][0]
    assert totals_line(result) == ""  # the sentence says why, once


def test_the_cpu_script_and_its_gpu_version_merge_from_the_top_of_the_diff_flame_graph():
    """heat_cpu.py's <module> and heat_gpu.py's are the same program's top: one frame, not two trees."""
    a, b = profile_a(), profile_b()
    pairs = match_functions(a, b)
    named = {(a.functions[ia].file, b.functions[ib].file) for ia, ib in pairs if ia >= 0 and ib >= 0
             and a.functions[ia].name == "<module>"}  # fmt: skip
    assert named == {(MOD_A[0], MOD_B[0])}
    tree = diff_tree(a, b, pairs)
    tops = [int(f) for f, p in zip(tree.tree.func, tree.tree.parent, strict=True) if p == 0]
    assert [tree.functions[f].name for f in tops] == ["<module>"]
