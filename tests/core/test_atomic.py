"""The shared atomic writer: what it refuses to write over, and what a failed write leaves behind."""

from __future__ import annotations

import errno
import os
import socket
import stat

import pytest

from gpuprof_gui.core.atomic import WriteError, atomic_open, copy_file, write_json


def _write(path, text: str = "new") -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def _leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(WriteError, match="FIFO") as err:
        _write(fifo)
    assert "\n" not in str(err.value) and str(fifo) in str(err.value)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert not _leftovers(tmp_path)


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(WriteError, match="socket"):
            _write(path)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_a_link_to_a_device_is_refused_and_the_link_kept(tmp_path):
    link = tmp_path / "full"
    link.symlink_to("/dev/null")  # a device every system has; nothing is written to it
    with pytest.raises(WriteError, match="device"):
        _write(link)
    assert os.readlink(link) == "/dev/null" and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(WriteError, match="folder"):
        _write(tmp_path)


def test_a_link_to_a_regular_file_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "real" / "data.json"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "data.json"
    link.symlink_to(target)
    write_json(link, {"a": 1})
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == '{"a":1}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # replacing keeps the file's permissions
    assert not _leftovers(tmp_path) and not _leftovers(target.parent)


def test_a_dangling_link_is_refused(tmp_path):
    link = tmp_path / "gone.json"
    link.symlink_to(tmp_path / "nowhere.json")
    with pytest.raises(WriteError, match="does not exist"):
        _write(link)
    assert link.is_symlink() and not (tmp_path / "nowhere.json").exists()


def test_a_missing_folder_and_a_parent_that_is_a_file_say_so(tmp_path):
    with pytest.raises(WriteError, match="does not exist"):
        _write(tmp_path / "no" / "such" / "x.json")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(WriteError, match="is a file, not a folder"):
        _write(tmp_path / "plain" / "x.json")


def test_a_full_disk_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    path.write_text("previous")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError) as err:
        write_json(path, {"big": "x" * 1000})
    assert "disk is full" in str(err.value) and "previous file is untouched" in str(err.value)
    assert path.read_text() == "previous"
    assert not _leftovers(tmp_path)


def test_copy_file_replaces_atomically(tmp_path):
    src, dest = tmp_path / "a", tmp_path / "b"
    src.write_bytes(b"x" * 3_000_000)
    dest.write_bytes(b"old")
    copy_file(src, dest)
    assert dest.read_bytes() == src.read_bytes()
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(WriteError):
        copy_file(src, fifo)
