"""The window's writes never lose data: Save Raw Profile As and Save Session As on a full disk, over a FIFO."""

from __future__ import annotations

import errno
import os
import shutil
import stat

import pytest
from PySide6.QtWidgets import QFileDialog
from window_support import LOAD_TIMEOUT_MS, SCRIPTS_DIR

DATA = SCRIPTS_DIR.parent / "data"


def _disk_full(monkeypatch) -> None:
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)


@pytest.fixture
def shown(qtbot, window, tmp_path):
    prof = tmp_path / "sample.prof"
    shutil.copyfile(DATA / "pstats_sample.prof", prof)
    with qtbot.waitSignal(window.profile_shown, timeout=LOAD_TIMEOUT_MS):
        window.open_path(str(prof))
    return window


def _save_raw_to(window, monkeypatch, dest) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(dest), ""))
    window.actions_by_id["save_profile"].trigger()


def test_save_raw_profile_on_a_full_disk_keeps_the_old_file(shown, tmp_path, monkeypatch):
    dest = tmp_path / "kept" / "old.prof"
    dest.parent.mkdir()
    dest.write_bytes(b"the previous profile")
    _disk_full(monkeypatch)
    _save_raw_to(shown, monkeypatch, dest)
    status = shown.status_text()
    assert "Could not save the profile" in status and "disk is full" in status, status
    assert dest.read_bytes() == b"the previous profile"
    assert os.listdir(dest.parent) == ["old.prof"]


def test_save_raw_profile_over_a_fifo_is_refused(shown, tmp_path, monkeypatch):
    fifo = tmp_path / "pipe.prof"
    os.mkfifo(fifo)
    _save_raw_to(shown, monkeypatch, fifo)
    assert "Could not save the profile" in shown.status_text() and "FIFO" in shown.status_text()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_save_raw_profile_writes_through_a_link(shown, tmp_path, monkeypatch):
    target = tmp_path / "real.prof"
    target.write_bytes(b"old")
    link = tmp_path / "link.prof"
    link.symlink_to(target)
    _save_raw_to(shown, monkeypatch, link)
    assert "Saved" in shown.status_text()
    assert link.is_symlink() and target.read_bytes() == (DATA / "pstats_sample.prof").read_bytes()


def test_save_session_on_a_full_disk_keeps_the_last_good_session(qtbot, shown, tmp_path, monkeypatch):
    path = tmp_path / "mine.gpuprof-session.json"
    path.write_text('{"the": "last good session"}')
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    _disk_full(monkeypatch)
    failed: list[str] = []
    shown.sessions.save_failed.connect(failed.append)
    shown.actions_by_id["save_session"].trigger()
    qtbot.waitUntil(lambda: bool(failed), timeout=LOAD_TIMEOUT_MS)
    assert "disk is full" in failed[0] and "Traceback" not in failed[0]
    assert path.read_text() == '{"the": "last good session"}'
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
