"""Where the CLI writes: what sits at the output path is never destroyed, a failure is one sentence."""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
from pathlib import Path

import pytest

from gpuprof_gui import cli
from gpuprof_gui.core.importers import import_folded

DATA = Path(__file__).resolve().parents[1] / "data"


def run_export(*args) -> int:
    return cli.main(["export", *map(str, args)])


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "in.json"
    shutil.copy(DATA / "scalene_sample.json", path)
    return path


def _one_sentence(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("gpuprof export: ") and "\n" not in err and "Traceback" not in err, err
    return err


def test_export_to_a_fifo_is_refused_and_the_fifo_kept(source, tmp_path, capsys):
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    assert run_export(source, "--format", "csv", "-o", fifo) == 2
    assert "FIFO" in _one_sentence(capsys)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_export_to_a_link_to_a_device_is_refused_and_the_link_kept(source, tmp_path, capsys):
    link = tmp_path / "out.csv"
    link.symlink_to("/dev/null")
    assert run_export(source, "--format", "csv", "-o", link) == 2
    assert "device" in _one_sentence(capsys)
    assert link.is_symlink() and os.readlink(link) == "/dev/null"


def test_export_through_a_link_writes_its_target_and_keeps_the_link(source, tmp_path):
    target = tmp_path / "keep" / "hot.csv"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "hot.csv"
    link.symlink_to(target)
    assert run_export(source, "--format", "csv", "-o", link) == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("name,file,")


def test_export_to_a_dangling_link_is_refused(source, tmp_path, capsys):
    link = tmp_path / "hot.csv"
    link.symlink_to(tmp_path / "missing" / "hot.csv")
    assert run_export(source, "--format", "csv", "-o", link) == 2
    assert "does not exist" in _one_sentence(capsys)
    assert link.is_symlink()


def test_export_under_a_parent_that_is_a_file_says_so(source, tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    assert run_export(source, "--format", "csv", "-o", tmp_path / "plain" / "hot.csv") == 2
    assert "is a file, not a folder" in _one_sentence(capsys)


def test_export_on_a_full_disk_keeps_the_old_file(source, tmp_path, capsys, monkeypatch):
    import errno

    out = tmp_path / "hot.csv"
    out.write_text("previous")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    assert run_export(source, "--format", "csv", "-o", out) == 2
    assert "disk is full" in _one_sentence(capsys)
    assert out.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["hot.csv", "in.json"]


def test_csv_cells_that_start_like_a_formula_are_kept_as_text(tmp_path):
    from gpuprof_gui.core import export_formats

    profile = import_folded('=HYPERLINK("http://x");+a;-b;@c;plain 5\n')
    rows = list(csv.DictReader(io.StringIO(export_formats.hotspot_csv(profile), newline="")))
    names = {r["name"] for r in rows}
    assert {'\'=HYPERLINK("http://x")', "'+a", "'-b", "'@c", "plain"} <= names, names
    assert all(not r["self_samples"].startswith("'") for r in rows)  # numbers stay numbers
