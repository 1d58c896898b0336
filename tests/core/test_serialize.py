"""Our JSON profile format: round trips, versioning, damage, atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core import serialize
from gpuprof_gui.core.importers import ProfileFormatError, import_folded, load_profile, sniff_format
from gpuprof_gui.core.serialize import dump_profile, load_profile_json

DATA = Path(__file__).resolve().parents[1] / "data"


def _assert_same(a, b):
    def head(p):
        return (p.profiler, p.unit, p.stacks_exact, p.wall_s, p.notes)

    assert head(a) == head(b)
    assert a.functions == b.functions
    for col in ("parent", "func", "total_s", "self_s", "exact", "depth", "size"):
        left, right = getattr(a.tree, col), getattr(b.tree, col)
        assert left.dtype == right.dtype and np.array_equal(left, right), col
    assert a.lines == b.lines


@pytest.mark.parametrize("name", ["pstats_sample.prof", "scalene_sample.json"])
def test_round_trip_real_profiles(tmp_path, name):
    original = load_profile(DATA / name, trusted=True)
    out = tmp_path / "saved.gpuprof.json"
    dump_profile(original, out)
    assert sniff_format(out) == "gpuprof"
    back = load_profile(out)
    _assert_same(original, back)
    assert back.source_path == str(out)
    assert load_profile_json(out).source_path == str(DATA / name)  # where the data came from
    assert [p.name for p in tmp_path.iterdir()] == ["saved.gpuprof.json"]  # no temp file left


def test_round_trip_folded_samples(tmp_path):
    original = import_folded("a;b 3\na;c 2\nd 1\n")
    dump_profile(original, tmp_path / "p.json")
    _assert_same(original, load_profile_json(tmp_path / "p.json"))


def test_newer_version_is_refused(tmp_path):
    path = tmp_path / "future.json"
    dump_profile(import_folded("a 1\n"), path)
    obj = json.loads(path.read_text())
    obj["version"] = serialize.FORMAT_VERSION + 1
    path.write_text(json.dumps(obj))
    with pytest.raises(ProfileFormatError, match="newer gpuprof-gui"):
        load_profile(path)


def _damaged(tmp_path, mutate):
    path = tmp_path / "bad.json"
    dump_profile(import_folded("a;b 3\na;c 2\nd 1\n"), path)
    obj = json.loads(path.read_text())
    mutate(obj)
    path.write_text(json.dumps(obj))
    return path


@pytest.mark.parametrize(
    "mutate",
    [
        lambda o: o["tree"]["parent"].__setitem__(2, 5),  # child before parent
        lambda o: o["tree"]["func"].__setitem__(1, 99),  # unknown function
        lambda o: o["tree"]["total_s"].pop(),  # uneven columns
        lambda o: o["functions"]["name"].pop(),
        lambda o: o.pop("tree"),
    ],
)
def test_damaged_files_are_format_errors(tmp_path, mutate):
    with pytest.raises(ProfileFormatError, match="damaged"):
        load_profile_json(_damaged(tmp_path, mutate))


def test_tree_out_of_pre_order_is_refused(tmp_path):
    # Node 3 is a child of node 1 but comes after node 2, a sibling of node 1.
    path = _damaged(tmp_path, lambda o: o["tree"].__setitem__("parent", [-1, 0, 0, 1, 0]))
    with pytest.raises(ProfileFormatError, match="not in pre-order"):
        load_profile_json(path)


def test_truncated_file_is_a_format_error(tmp_path):
    path = tmp_path / "cut.json"
    dump_profile(load_profile(DATA / "scalene_sample.json"), path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ProfileFormatError):
        load_profile(path)


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    dump_profile(import_folded("a 1\n"), path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(serialize.os, "replace", explode)
    with pytest.raises(OSError):
        dump_profile(import_folded("b 2\n"), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["p.json"]
