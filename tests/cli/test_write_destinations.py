"""Where the CLI writes: what sits at the output path is never destroyed, a failure is one sentence."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
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


# -- gpuprof profile --output ---------------------------------------------------------------

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
REPO_ROOT = Path(__file__).resolve().parents[2]


def gpuprof(*args, stdin=subprocess.DEVNULL, input=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *map(str, args)],
        capture_output=True,
        env=env,
        stdin=None if input is not None else stdin,
        input=input,
        timeout=120,
    )


def _refused_before_the_run(res: subprocess.CompletedProcess) -> str:
    err = res.stderr.decode().strip()
    assert res.returncode == 2, err
    assert err.startswith("gpuprof profile: ") and "\n" not in err and "Traceback" not in err, err
    assert b"quick" not in res.stdout  # the script never ran
    return err


def test_profile_output_under_a_file_is_refused_before_the_run(tmp_path):
    (tmp_path / "plain").write_text("x")
    err = _refused_before_the_run(gpuprof("profile", SCRIPTS / "quick.py", "--output", tmp_path / "plain" / "x.prof"))
    assert "is a file, not a folder" in err


def test_profile_output_that_is_a_folder_or_a_device_link_is_refused(tmp_path):
    assert "folder" in _refused_before_the_run(gpuprof("profile", SCRIPTS / "quick.py", "--output", tmp_path))
    link = tmp_path / "x.prof"
    link.symlink_to("/dev/null")
    assert "device" in _refused_before_the_run(gpuprof("profile", SCRIPTS / "quick.py", "--output", link))
    assert link.is_symlink()


def test_profile_output_in_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        err = _refused_before_the_run(gpuprof("profile", SCRIPTS / "quick.py", "--output", folder / "x.prof"))
    finally:
        folder.chmod(0o700)
    assert "read-only" in err


def test_profile_output_on_a_full_disk_keeps_the_old_file_and_says_where_the_run_is(tmp_path, monkeypatch, capsys):
    import errno

    out = tmp_path / "kept.prof"
    out.write_bytes(b"previous profile")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)  # the parent's copy; the worker is another process
    rc = cli.main(["profile", str(SCRIPTS / "quick.py"), "--output", str(out), "--json"])
    captured = capsys.readouterr()
    assert rc == 1, captured.err
    assert out.read_bytes() == b"previous profile"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    line = next(ln for ln in captured.err.splitlines() if "was not kept" in ln)
    assert "disk is full" in line
    doc = json.loads(captured.out)
    assert doc["profile_path"] and doc["profile_path"] in line and os.path.isfile(doc["profile_path"])


def test_profile_output_replaces_the_old_file_and_its_stale_samples(tmp_path):
    out = tmp_path / "kept.prof"
    out.write_bytes(b"previous profile")
    res = gpuprof("profile", SCRIPTS / "quick.py", "--output", out, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["profile_path"] == str(out) and out.read_bytes() != b"previous profile"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# -- small usage checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["--timeout", "0"], ["--timeout", "-1"], ["--timeout", "nan"], ["--timeout", "inf"], ["--top", "-3"]],
    ids=" ".join,
)
def test_profile_refuses_a_meaningless_number(args, capsys):
    from gpuprof_gui.exit_codes import ExitStatus

    assert cli.main(["profile", str(SCRIPTS / "quick.py"), *args]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert f"argument {args[0]}" in err and "Traceback" not in err


def test_advise_and_kernels_refuse_a_zero_timeout(capsys):
    assert cli.main(["advise", str(SCRIPTS / "quick.py"), "--timeout", "0"]) == 2
    assert cli.main(["kernels", "x.py", "--timeout", "-1"]) == 2
    assert capsys.readouterr().err.count("argument --timeout") == 2


def test_piped_stdin_is_said_once_not_dropped_silently():
    res = gpuprof("profile", SCRIPTS / "reads_stdin.py", input=b"hello\n")
    assert res.returncode == 0, res.stderr
    assert res.stderr.decode().count("stdin is not passed to the script") == 1
    assert b"stdin bytes: 0" in res.stdout  # the script reads end-of-file, as in the window
    quiet = gpuprof("profile", SCRIPTS / "reads_stdin.py")  # /dev/null: nothing to say
    assert b"stdin is not passed" not in quiet.stderr


def test_kernels_output_dir_under_a_file_is_refused_before_any_gpu_work(tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    rc = cli.main(["kernels", "x.py", "--output-dir", str(tmp_path / "plain" / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and "is a file, not a folder" in err, err
