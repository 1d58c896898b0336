"""The convert worker's hand-off format (numpy columns in one .npz): exact round trips, and damage refused."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.core import serialize
from gpuprof_gui.core.importers import ProfileFormatError, import_folded, load_profile
from gpuprof_gui.core.model import CallTree, FunctionRecord
from gpuprof_gui.core.profile_npz import dump_profile_npz, load_profile_npz

DATA = Path(__file__).resolve().parents[1] / "data"


def assert_identical(a, b) -> None:
    """Every field of two profiles equal, every tree column equal in dtype and value (source_path aside)."""
    for field in dataclasses.fields(a):
        if field.name not in ("tree", "source_path"):
            left, right = getattr(a, field.name), getattr(b, field.name)
            assert left == right, field.name
            if field.name == "functions":  # an int must not come back as a float, nor a float as an int
                assert [tuple(map(type, dataclasses.astuple(r))) for r in left] == [
                    tuple(map(type, dataclasses.astuple(r))) for r in right
                ]
    for field in dataclasses.fields(CallTree):
        left, right = getattr(a.tree, field.name), getattr(b.tree, field.name)
        if left is None or right is None:
            assert left is None and right is None, field.name
        else:
            assert left.dtype == right.dtype and np.array_equal(left, right), field.name


@pytest.mark.parametrize("name", ["pstats_sample.prof", "scalene_sample.json"])
def test_round_trip_real_profiles(tmp_path, name):
    original = load_profile(DATA / name, trusted=True)
    dump_profile_npz(original, tmp_path / "p.npz")
    back = load_profile_npz(tmp_path / "p.npz")
    assert_identical(original, back)
    assert back.source_path == original.source_path


def test_round_trip_keeps_none_and_mixed_columns(tmp_path):
    original = import_folded("a;b 3\na;c 2\nd 1\n")
    original.functions[0].calls = 7  # one known count among None: the column stays exact
    original.functions[1].self_s = 2  # an int among floats
    original.functions[2].mem_peak_mb = 1.5
    original.wall_s = 1.25
    dump_profile_npz(original, tmp_path / "p.npz")
    assert_identical(original, load_profile_npz(tmp_path / "p.npz"))


def test_optional_tree_columns_travel(tmp_path):
    original = import_folded("a;b 3\na;c 2\nd 1\n")
    n = len(original.tree)
    original.tree.folded_s = np.linspace(0.0, 1.0, n)
    original.tree.samples = np.arange(n, dtype=np.int32)
    dump_profile_npz(original, tmp_path / "p.npz")
    assert_identical(original, load_profile_npz(tmp_path / "p.npz"))


def test_serialize_function_fields_follow_the_dataclass_order():
    # serialize builds FunctionRecords positionally from these columns.
    assert tuple(f.name for f in dataclasses.fields(FunctionRecord)) == serialize._FUNC_FIELDS


def _members(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        return {name: npz[name] for name in npz.files}


def _rewrite(path: Path, members: dict) -> Path:
    with open(path, "wb") as fh:
        np.savez(fh, **members)
    return path


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "p.npz"
    dump_profile_npz(load_profile(DATA / "pstats_sample.prof", trusted=True), path)
    return path


def _meta(members: dict) -> dict:
    return json.loads(members["meta"].tobytes())


def _with_meta(members: dict, meta: dict) -> dict:
    return {**members, "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: {**m, "tree.parent": m["tree.parent"].astype(np.int64)},  # a dtype the column does not have
        lambda m: {**m, "tree.parent": m["tree.parent"][:-1]},  # uneven columns
        lambda m: {
            **m,
            "tree.func": np.where(np.arange(len(m["tree.func"])) == 1, 10**6, m["tree.func"]).astype(np.int32),
        },
        lambda m: {**m, "tree.parent": np.full_like(m["tree.parent"], 0)},  # the root has a parent
        lambda m: {**m, "functions.line": m["functions.line"][:-1]},
        lambda m: {**m, "functions.line": m["functions.line"].reshape(1, -1)},
        lambda m: {**m, "something.else": np.zeros(3)},
        lambda m: {k: v for k, v in m.items() if k != "meta"},
        lambda m: {k: v for k, v in m.items() if k != "tree.parent"},
        lambda m: {**m, "meta": np.frombuffer(b"{not json", dtype=np.uint8)},
        lambda m: {**m, "meta": m["meta"].astype(np.int16)},
        lambda m: _with_meta(m, {**_meta(m), "format": "something else"}),
        lambda m: _with_meta(m, {**_meta(m), "functions": []}),
        lambda m: _with_meta(m, {**_meta(m), "version": 99}),
    ],
)
def test_damaged_files_are_format_errors(saved, damage):
    _rewrite(saved, damage(_members(saved)))
    with pytest.raises(ProfileFormatError):
        load_profile_npz(saved)


def test_pickled_objects_are_refused(saved):
    members = _members(saved)
    members["functions.line"] = np.array([object()] * len(members["functions.line"]), dtype=object)
    _rewrite(saved, members)
    with pytest.raises(ProfileFormatError):
        load_profile_npz(saved)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 40])
def test_not_an_npz_is_a_format_error(tmp_path, content):
    path = tmp_path / "p.npz"
    path.write_bytes(content)
    with pytest.raises(ProfileFormatError):
        load_profile_npz(path)


def test_truncated_file_is_a_format_error(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProfileFormatError):
        load_profile_npz(saved)


def test_a_member_claiming_a_huge_array_is_a_format_error(saved):
    # A .npy header may claim any shape; the reader must fail, not allocate terabytes or crash.
    members = _members(saved)
    with zipfile.ZipFile(saved, "w") as zf:
        for name, array in members.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, array)
            data = buf.getvalue()
            if name == "tree.self_s":
                data = data.replace(f"({len(array)},)".encode(), b"(10000000000000,)", 1)
            zf.writestr(name + ".npy", data)
    with pytest.raises(ProfileFormatError, match="cannot be read"):
        load_profile_npz(saved)
