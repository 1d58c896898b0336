"""The offload advisor's arithmetic, its inputs from a profile and a lab run, and its words.

Recorded inputs: tests/data/advisor/session_heat_h100.json is a real `gpuprof advise`
session of the bundled pair on an H100 (benchmarks/advisor_truth.py, date inside).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core.advice_session import AdviceSession, build_advice, load_session, save_session
from gpuprof_gui.core.advice_text import explain, report_lines, times
from gpuprof_gui.core.advisor import (
    Advice,
    amdahl_limit,
    amdahl_speedup,
    break_even_kernel_speedup,
    break_even_transfer_s,
    find_offload_functions,
    lab_inputs,
    profile_inputs,
    speedup_curve,
    transfer_time_s,
)
from gpuprof_gui.core.importers.folded_import import import_folded
from gpuprof_gui.core.selection import run_total_s

DATA = Path(__file__).resolve().parents[1] / "data"
SESSION = DATA / "advisor" / "session_heat_h100.json"


# -- Amdahl ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "p, s, expected",
    [
        (0.0, 10.0, 1.0),  # nothing offloaded: no change, whatever s
        (1.0, 10.0, 10.0),  # everything offloaded: the kernel's own speed-up
        (0.5, 1.0, 1.0),  # a kernel no faster than the CPU changes nothing
        (0.5, 2.0, 1 / 0.75),
        (0.9, 10.0, 1 / (0.1 + 0.09)),
        (0.75, math.inf, 4.0),  # infinitely fast kernel: the limit
    ],
)
def test_amdahl_speedup(p, s, expected):
    assert amdahl_speedup(p, s) == pytest.approx(expected)


@pytest.mark.parametrize("p, limit", [(0.0, 1.0), (0.5, 2.0), (0.9, 10.0), (0.99, 100.0), (1.0, math.inf)])
def test_amdahl_limit(p, limit):
    assert amdahl_limit(p) == pytest.approx(limit)


def test_speedup_never_exceeds_the_limit_and_grows_with_s():
    s = np.logspace(0, 5, 50)
    curve = speedup_curve(0.8, s)
    assert np.all(np.diff(curve) > 0)
    assert curve[-1] < amdahl_limit(0.8) and curve[-1] == pytest.approx(5.0, rel=1e-3)
    assert curve == pytest.approx([amdahl_speedup(0.8, x) for x in s])


def test_slower_kernel_slows_the_program():
    assert amdahl_speedup(0.5, 0.5) == pytest.approx(1 / 1.5)


@pytest.mark.parametrize("bad", [-0.1, 1.1, float("nan")])
def test_p_outside_0_1_is_refused(bad):
    with pytest.raises(ValueError):
        amdahl_limit(bad)
    with pytest.raises(ValueError):
        Advice(total_s=1.0, p=bad)


@pytest.mark.parametrize("bad", [0.0, -2.0, float("nan")])
def test_nonpositive_kernel_speedup_is_refused(bad):
    with pytest.raises(ValueError):
        amdahl_speedup(0.5, bad)


# -- transfers and break-even ---------------------------------------------------------------
def test_transfers_reduce_the_speedup():
    base = amdahl_speedup(0.8, 100.0)
    with_copies = amdahl_speedup(0.8, 100.0, overhead_fraction=0.1)
    assert with_copies == pytest.approx(1 / (0.2 + 0.008 + 0.1)) and with_copies < base


def test_transfer_time():
    assert transfer_time_s(32 * 2**20, 10.0) == pytest.approx(32 * 2**20 / 10e9)
    with pytest.raises(ValueError):
        transfer_time_s(1, 0.0)


def test_break_even_points_are_where_the_gain_is_zero():
    p, s, T, calls = 0.6, 50.0, 10.0, 20  # noqa: N806 - the advisor's formula names
    limit = break_even_transfer_s(p, s, T, calls)
    assert limit == pytest.approx(p * T * (1 - 1 / s) / calls)
    overhead = calls * limit / T
    assert amdahl_speedup(p, s, overhead) == pytest.approx(1.0)  # exactly no gain
    s_min = break_even_kernel_speedup(p, overhead_fraction=0.2)
    assert s_min == pytest.approx(0.6 / 0.4)
    assert amdahl_speedup(p, s_min, 0.2) == pytest.approx(1.0)


def test_no_break_even_when_copies_exceed_the_hotspot():
    assert break_even_kernel_speedup(0.3, overhead_fraction=0.3) is None
    assert break_even_kernel_speedup(0.0, 0.0) is None
    assert break_even_transfer_s(0.5, 1.0, 10.0, 5) is None  # s = 1: no gain to eat
    assert break_even_transfer_s(0.5, 10.0, 10.0, 0) is None  # no calls


def test_advice_derived_figures_agree_with_the_formulas():
    a = Advice(
        total_s=8.0,
        p=0.75,
        calls=12,
        kernel_speedup=1000.0,
        transfer_s_per_call=0.003,
        bytes_per_call=32 * 2**20,
        transfer_gbps=11.0,
        setup_s=0.5,
    )
    overhead = (12 * 0.003 + 0.5) / 8.0
    assert a.transfer_s == pytest.approx(0.036)
    assert a.predicted_speedup == pytest.approx(1 / (0.25 + 0.00075))
    assert a.predicted_speedup_with_transfers == pytest.approx(1 / (0.25 + 0.00075 + overhead))
    assert a.predicted_time_s == pytest.approx(8.0 * (0.25 + 0.00075 + overhead))
    budget = a.time_budget_s()
    assert sum(budget.values()) == pytest.approx(a.predicted_time_s)
    assert a.break_even_bytes_per_call == pytest.approx(a.break_even_transfer_s_per_call * 11e9)
    d = a.to_dict()
    for key in (
        "p",
        "kernel_speedup",
        "transfer_s",
        "predicted_speedup",
        "predicted_speedup_with_transfers",
        "amdahl_limit",
    ):
        assert d[key] is not None
    assert Advice.from_dict(d).predicted_speedup_with_transfers == pytest.approx(a.predicted_speedup_with_transfers)


def test_p_of_one_has_no_finite_limit_in_json():
    a = Advice(total_s=1.0, p=1.0)
    assert math.isinf(a.amdahl_limit) and a.to_dict()["amdahl_limit"] is None
    assert times(a.amdahl_limit) == "∞"


# -- p from a profile: nested selections count once ------------------------------------------
FOLDED = """\
main;load 10
main;solve;step;kernel 50
main;solve;step 10
main;solve;kernel 20
main;report 10
"""


def test_nested_offload_functions_are_not_counted_twice():
    profile = import_folded(FOLDED)
    profile.wall_s = 2.0  # samples: T comes from the wall time
    step = find_offload_functions(profile, "step")
    kernel = find_offload_functions(profile, "kernel")
    total, p_step, _ = profile_inputs(profile, step)
    _, p_kernel, _ = profile_inputs(profile, kernel)
    _, p_both, _ = profile_inputs(profile, step + kernel)
    assert total == pytest.approx(2.0)
    assert p_step == pytest.approx(0.6) and p_kernel == pytest.approx(0.7)
    assert p_both == pytest.approx(0.8)  # step (60) + kernel outside step (20), not 60 + 70
    _, p_solve_and_step, _ = profile_inputs(profile, find_offload_functions(profile, "solve") + step)
    assert p_solve_and_step == pytest.approx(0.8)  # step lies inside solve


def test_unknown_and_ambiguous_function_names_say_why():
    profile = import_folded("main;work (a.py:3) 5\nmain;work (b.py:9) 5\n")
    with pytest.raises(LookupError, match="no function named 'wrk'"):
        find_offload_functions(profile, "wrk")
    with pytest.raises(LookupError, match="similar names: work"):
        find_offload_functions(profile, "wor")
    with pytest.raises(LookupError, match=r"several files .* write FILE:work"):
        find_offload_functions(profile, "work")
    assert len(find_offload_functions(profile, "b.py:work")) == 1


# -- from the recorded H100 session ----------------------------------------------------------
@pytest.fixture(scope="module")
def session() -> AdviceSession:
    return load_session(str(SESSION))


def test_recorded_session_is_real_and_complete(session):
    assert not session.synthetic and "H100" in session.lab.device.name
    assert session.lab.device.startup_ms and session.measured["speedup"] > 1
    a = session.advice
    assert a.candidate == "raw_jacobi" and a.calls == 12 and 0.5 < a.p < 0.95


def test_advice_rebuilt_from_profile_and_lab_matches_the_recording(session):
    funcs = find_offload_functions(session.profile, "diffuse")
    total, p, calls = profile_inputs(session.profile, funcs)
    rebuilt = build_advice(total, p, calls, session.lab, functions=["diffuse"])
    # p is diffuse's exact cumulative time over pstats' total (the sum of own times); the
    # recording took the estimated tree's root as T, 0.0035% longer, so it agrees to 1e-4 only.
    assert rebuilt.p == pytest.approx(
        session.profile.functions[funcs[0]].total_s / run_total_s(session.profile), rel=1e-12
    )
    assert rebuilt.p * rebuilt.total_s == pytest.approx(session.profile.functions[funcs[0]].total_s, rel=1e-12)
    assert rebuilt.p == pytest.approx(session.advice.p, rel=1e-4)
    assert rebuilt.kernel_speedup == pytest.approx(session.advice.kernel_speedup)
    assert rebuilt.predicted_speedup_with_transfers == pytest.approx(
        session.advice.predicted_speedup_with_transfers, rel=1e-4
    )  # the same T and p, to 1e-4
    assert rebuilt.needs_gpu == []


def test_lab_inputs_use_the_measured_pageable_copies(session):
    got = lab_inputs(session.lab)
    timing = session.lab.transfers[0]
    assert got["bytes_per_call"] == timing.bytes_in + timing.bytes_out == 2 * 4 * 2048 * 2048
    assert got["transfer_s_per_call"] == pytest.approx((timing.h2d_pageable_ms + timing.d2h_pageable_ms) / 1e3)
    best = next(r for r in session.lab.records if r.candidate == "raw_jacobi")
    # Start-up: CuPy import and context, plus what the first call cost beyond a timed one.
    assert got["setup_s"] == pytest.approx((session.lab.device.startup_ms + best.first_call_ms - best.median_ms) / 1e3)
    assert best.first_call_ms > best.median_ms
    assert [c["name"] for c in got["candidates"]] == ["raw_jacobi", "cupy_slicing"]


def test_bytes_per_call_entered_by_hand_scale_the_copy_time(session):
    a = build_advice(10.0, 0.7, 12, session.lab)
    b = build_advice(10.0, 0.7, 12, session.lab, bytes_per_call=a.bytes_per_call * 4)
    assert b.transfer_s == pytest.approx(4 * a.transfer_s)
    assert b.predicted_speedup_with_transfers < a.predicted_speedup_with_transfers


def test_without_a_lab_run_p_and_limit_remain_and_gpu_needs_are_named():
    a = build_advice(5.0, 0.6, 3, None, functions=["f"], no_gpu_reason="No NVIDIA driver was found.")
    d = a.to_dict()
    assert d["p"] == 0.6 and d["amdahl_limit"] == pytest.approx(2.5)
    assert d["kernel_speedup"] is None and d["predicted_speedup_with_transfers"] is None
    assert len(a.needs_gpu) == 3 and a.no_gpu_reason == "No NVIDIA driver was found."
    text = "\n".join(report_lines(a, "x.py"))
    assert "Needs a GPU (No NVIDIA driver was found)" in text and "2.50×" in text


def test_session_round_trip(tmp_path, session):
    path = tmp_path / "s.json"
    save_session(session, str(path))
    again = load_session(str(path))
    assert again.advice.to_dict() == session.advice.to_dict()
    assert len(again.profile.functions) == len(session.profile.functions)


@pytest.mark.parametrize("content", ["", "{", '{"format": "other"}', '{"format": "gpuprof-advice-session"}'])
def test_malformed_session_is_a_plain_value_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError):
        load_session(str(path))


def test_explanation_walks_every_number_in_order(session):
    steps = explain(session.advice)
    assert [s.key for s in steps] == ["p", "limit", "s", "transfers", "prediction", "break_even"]
    by_key = {s.key: s for s in steps}
    assert by_key["limit"].value == times(session.advice.amdahl_limit)
    assert by_key["prediction"].value == times(session.advice.predicted_speedup_with_transfers)
    assert "12 calls" in by_key["transfers"].body
