"""Absurd numbers in a profile file are refused at the door, naming the field, never shown."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gpuprof_gui.core.importers import ProfileFormatError, import_scalene, load_profile
from gpuprof_gui.core.serialize import dump_profile, profile_from_dict, profile_to_dict

DATA = Path(__file__).resolve().parents[1] / "data"


def _scalene() -> dict:
    return json.loads((DATA / "scalene_sample.json").read_text(encoding="utf-8"))


def _busy_line(obj: dict) -> dict:
    for fdata in obj["files"].values():
        for ln in fdata["lines"]:
            if ln.get("n_cpu_percent_python"):
                return ln
    raise AssertionError("no busy line in the sample")


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda o: _busy_line(o).__setitem__("n_cpu_percent_python", 1e308), "n_cpu_percent_python"),
        (lambda o: _busy_line(o).__setitem__("n_cpu_percent_c", -40.0), "n_cpu_percent_c"),
        (lambda o: _busy_line(o).__setitem__("lineno", 2**31), "lineno"),
        (lambda o: _busy_line(o).__setitem__("n_peak_mb", math.inf), "n_peak_mb"),
        (lambda o: o.__setitem__("elapsed_time_sec", math.nan), "elapsed_time_sec"),
        (lambda o: o.__setitem__("elapsed_time_sec", -2.5), "elapsed_time_sec"),
        (lambda o: o.__setitem__("elapsed_time_sec", math.inf), "elapsed_time_sec"),
        (lambda o: o.__setitem__("elapsed_time_sec", 10**400), "elapsed_time_sec"),
    ],
)
def test_scalene_absurd_numbers_are_refused_naming_the_field(change, field):
    obj = _scalene()
    change(obj)
    with pytest.raises(ProfileFormatError, match=field) as info:
        import_scalene(obj)
    assert "out of range" in str(info.value)


def test_scalene_percentages_a_rounding_step_over_100_are_clamped():
    obj = _scalene()
    _busy_line(obj)["n_cpu_percent_python"] = 100.4
    profile = import_scalene(obj)
    assert all(0.0 <= rec.cpu_python_pct <= 100.0 for recs in profile.lines.values() for rec in recs.values())


def _saved(tmp_path) -> dict:
    profile = load_profile(DATA / "scalene_sample.json")
    path = tmp_path / "p.json"
    dump_profile(profile, path)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "column, value",
    [
        (("functions", "self_s"), math.nan),
        (("functions", "total_s"), -2.5),
        (("functions", "line"), 2**40),
        (("functions", "calls"), -1),
        (("functions", "cpu_python_pct"), 1e308),
        (("tree", "total_s"), math.inf),
        (("tree", "self_s"), -7.0),
    ],
)
def test_gpuprof_profile_absurd_numbers_are_refused(tmp_path, column, value):
    raw = _saved(tmp_path)
    table, name = column
    raw[table][name][-1] = value
    with pytest.raises(ProfileFormatError, match=name):
        profile_from_dict(raw)


def test_gpuprof_profile_absurd_wall_time_and_line_numbers_are_refused(tmp_path):
    raw = _saved(tmp_path)
    raw["wall_s"] = math.inf
    with pytest.raises(ProfileFormatError, match="wall_s"):
        profile_from_dict(raw)
    raw = _saved(tmp_path)
    file = next(iter(raw["lines"]))
    raw["lines"][file]["lineno"][0] = 2**31
    with pytest.raises(ProfileFormatError, match="lineno"):
        profile_from_dict(raw)


def test_a_saved_profile_still_reads_back(tmp_path):
    profile = profile_from_dict(_saved(tmp_path))
    again = profile_from_dict(profile_to_dict(profile))
    assert [f.name for f in again.functions] == [f.name for f in profile.functions]
