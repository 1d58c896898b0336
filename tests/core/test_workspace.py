"""The Qt-free Workspace, its lab-fit rule and Provenance names (no window needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.core.lab_fit import lab_fit
from gpuprof_gui.core.lab_model import LabRun, load_run
from gpuprof_gui.core.loaded import prepare
from gpuprof_gui.core.provenance import RUN_SESSION_NAME, Provenance, distinct_names
from gpuprof_gui.core.workspace import Topic, Workspace

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def loaded():
    return prepare(load_profile(str(DATA / "pstats_sample.prof"), trusted=True))


def _recorder(ws: Workspace) -> list[str]:
    heard: list[str] = []
    for topic in Topic:
        ws.subscribe(topic, lambda t=topic: heard.append(t.value))
    return heard


def test_showing_a_profile_clears_the_selection_and_tells_subscribers(loaded):
    ws = Workspace()
    heard = _recorder(ws)
    ws.show(loaded, Provenance.for_run("/x/train.py", ["--fast"], "cprofile"))
    assert heard == ["profile", "selection"] and ws.selection == ()
    assert ws.name.startswith("train.py ")
    assert ws.select([2, 2, 1, -5, 10**9]) and ws.selection == (2, 1)  # unknown ids dropped, order kept
    assert not ws.select([2, 1])  # unchanged: nobody is told again
    assert heard.count("selection") == 2


def test_a_run_marks_the_profile_stale_and_a_failure_clears_it(loaded):
    ws = Workspace()
    ws.show(loaded, Provenance.for_file(str(DATA / "pstats_sample.prof")))
    ws.select([0])
    assert not ws.stale
    ws.run_started(Provenance.for_run("broken.py"))
    assert ws.stale and ws.shown is loaded
    ws.run_ended(False, "SyntaxError: invalid syntax")
    assert not ws.stale and ws.shown is None and ws.selection == () and ws.name == ""
    assert ws.failure is not None and ws.failure.provenance.name.startswith("broken.py")
    ws.run_started(Provenance.for_run("ok.py"))
    assert ws.failure is None and not ws.stale  # nothing on show: nothing stale
    ws.run_ended(True)
    ws.show(loaded, Provenance.for_run("ok.py"))
    assert ws.failure is None and ws.shown is loaded


@pytest.mark.expect_traceback("the broken subscriber's exception is logged with its traceback, on purpose")
def test_a_broken_subscriber_does_not_stop_the_others(loaded, caplog):
    ws = Workspace()
    heard = []

    def broken():
        raise RuntimeError("view bug")

    ws.subscribe(Topic.PROFILE, broken)
    ws.subscribe(Topic.PROFILE, lambda: heard.append(1))
    ws.show(loaded, Provenance())
    assert heard == [1] and "view bug" in caplog.text


@pytest.mark.parametrize(
    ("offloads", "problem", "file", "names", "fits"),
    [
        ((), "SAXPY", "saxpy.py", ["pairwise_distances"], False),  # the reported defect
        ((), "SAXPY", "saxpy.py", ["saxpy"], True),  # named like the problem
        ((), "Heat diffusion", "heat_kernels.py", ["heat_diffusion"], True),  # spaces and case do not matter
        (("diffuse",), "Heat diffusion", "heat_kernels.py", ["diffuse"], True),
        (("diffuse",), "Heat diffusion", "heat_kernels.py", ["heat_cpu.py:diffuse"], True),
        (("diffuse",), "Heat diffusion", "heat_kernels.py", ["diffuse", "reheat"], False),  # one of two only
        (("diffuse",), "Heat diffusion", "heat_kernels.py", ["heatdiffusion"], False),  # declared names win
        ((), "", "", ["anything"], False),
    ],
)
def test_lab_fit(offloads, problem, file, names, fits):
    run = LabRun(problem={"name": problem, "offloads": list(offloads)}, file=file)
    fit = lab_fit(run, names)
    assert fit.fits is fits
    assert (fit.reason == "") is fits
    if not fits:
        assert any(n.rsplit(":", 1)[-1] in fit.reason for n in names)


def test_the_recorded_saxpy_run_does_not_fit_pairwise_distances():
    run = load_run(str(DATA / "lab" / "lab_saxpy.json"))
    fit = Workspace()
    fit.set_lab_run(run)
    assert not lab_fit(run, ["pairwise_distances"]).fits
    assert "SAXPY" in lab_fit(run, ["pairwise_distances"]).reason


def test_run_names_tell_two_runs_of_one_script_apart():
    a = Provenance.for_run("/p/train.py", started=1_700_000_000, path="/runs/1/profile.prof")
    b = Provenance.for_run("/p/train.py", started=1_700_000_007, path="/runs/2/profile.prof")
    na, nb = distinct_names(a, b)
    assert na != nb and na.startswith("train.py ") and "profile.prof" not in na + nb
    same = Provenance.for_file("/x/1/profile.prof"), Provenance.for_file("/x/2/profile.prof")
    na, nb = distinct_names(*same)
    assert na != nb


def test_a_runs_profile_is_named_after_its_run(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    prof = run_dir / "profile.prof"
    prof.write_bytes((DATA / "pstats_sample.prof").read_bytes())
    assert Provenance.for_path(str(prof)).name == "profile.prof"  # nothing beside it yet
    (run_dir / RUN_SESSION_NAME).write_text(
        json.dumps(
            {
                "created": "2026-12-03T14:02:31+00:00",
                "host": "box",
                "script": {"path": "/home/u/fit.py", "args": ["--n", "3"], "profiler": "cprofile"},
                "run": {"wall_s": 12.5},
            }
        ),
        encoding="utf-8",
    )
    prov = Provenance.for_path(str(prof))
    assert prov.kind == "run" and prov.name.startswith("fit.py ") and prov.args == ("--n", "3")
    facts = dict(prov.facts())
    assert facts["Arguments"] == "--n 3" and facts["Run time"] == "12.50 s" and facts["Host"] == "box"
    # A damaged or hostile sibling never breaks naming.
    for junk in ("{", "[]", json.dumps({"script": "x"}), "[" * 100_000):
        (run_dir / RUN_SESSION_NAME).write_text(junk, encoding="utf-8")
        assert Provenance.for_path(str(prof)).name == "profile.prof"


def test_provenance_from_hostile_dicts_is_still_a_provenance():
    for data in (
        {"wall_s": float("nan")},
        {"wall_s": -1},
        {"kind": "evil", "args": [1, 2]},
        {"script": 5, "title": None},
        None,
    ):
        prov = Provenance.from_dict(data)
        assert prov.kind in ("run", "file", "session", "advice")
        assert prov.wall_s is None or prov.wall_s >= 0
        assert isinstance(prov.name, str) and prov.name
    round_trip = Provenance.for_run("a.py", ["x"], "scalene", started=0)
    assert Provenance.from_dict(round_trip.to_dict()) == round_trip
    assert os.path.basename(round_trip.script) == "a.py"
