"""The window's Run on: a run on a host (a real sshd on 127.0.0.1) shows like a local one; a host
that cannot be reached is one sentence and the next run works; the choice is remembered."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

from window_support import clipped_labels, make_window, quick_run_works, run_script, save_shot


@pytest.fixture
def win(qtbot, tmp_path, monkeypatch):
    w = make_window(qtbot, tmp_path, monkeypatch)
    yield w
    if w.current_run is not None:
        w.current_run.kill()
        qtbot.waitUntil(lambda: w.current_run is None, timeout=60_000)
    w.close()


def _script(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "helper.py").write_text("def crunch(n):\n    return sum(i * i for i in range(n))\n", encoding="utf-8")
    script = folder / "main.py"
    script.write_text(
        "import socket\nfrom helper import crunch\nprint('on the host', flush=True)\n"
        "for _ in range(30):\n    crunch(20000)\n",
        encoding="utf-8",
    )
    return script


def test_a_run_on_a_host_shows_its_profile_like_a_local_run(sshd, qtbot, win, tmp_path):
    bar = win.run_bar
    assert bar.host_button.host is None and bar.python_button.isEnabled()
    bar.host_button.set_host(sshd.alias, announce=True)
    bar.sync_python()
    assert bar.host_button.host == sshd.alias and not bar.python_button.isEnabled()
    assert "host" in bar.python_button.text() and sshd.alias in bar.python_button.toolTip()
    assert sshd.alias in bar.host_button.text()
    outcome = run_script(qtbot, win, _script(tmp_path), wait_profile=True)
    assert outcome.status == "finished", outcome.message
    names = {win.loaded.profile.functions[r["func"]].name for r in win.loaded.rows}
    assert "crunch" in names
    assert "on the host" in win.console.toPlainText()
    # its source is the local file that was copied there (the copy on the host is gone)
    crunch = next(r["func"] for r in win.loaded.rows if win.loaded.profile.functions[r["func"]].name == "crunch")
    assert "/gpuprof-gui/remote/runs/" in win.loaded.profile.functions[crunch].file
    win.select_functions([crunch])
    qtbot.waitUntil(lambda: "return sum(i * i" in win.source.editor.toPlainText(), timeout=10_000)
    run_dir = os.path.dirname(outcome.profile_path)
    assert os.path.basename(run_dir).endswith(f"@{sshd.alias}")  # the run is named with its host
    assert run_dir.startswith(str(tmp_path / "runs"))
    shot = save_shot(win, "remote-run")
    assert shot.exists()


def test_an_unreachable_host_is_one_sentence_and_the_next_local_run_works(sshd, qtbot, win, tmp_path):
    win.run_bar.host_button.set_host("nobody@127.0.0.1:1", announce=True)
    outcome = run_script(qtbot, win, _script(tmp_path))
    assert outcome.status == "could_not_start"
    assert "127.0.0.1" in win.status_text() and "refused" in win.status_text().lower()
    assert win.isVisible()
    win.run_bar.host_button.set_host("", announce=True)
    win.run_bar.sync_python()
    quick_run_works(qtbot, win, tmp_path)


def test_the_host_and_recent_hosts_are_remembered_and_a_bad_entry_is_not_kept(qtbot, tmp_path, monkeypatch):
    first = make_window(qtbot, tmp_path, monkeypatch)
    first.run_bar.host_button.set_host("me@gpu-one:2222", announce=True)
    first.run_bar.host_button.set_host("gpu-two", announce=True)
    first.close()
    second = make_window(qtbot, tmp_path, monkeypatch)
    try:
        hosts = second.run_bar.host_button
        assert hosts.host == "gpu-two" and hosts.recent[:2] == ["gpu-two", "me@gpu-one:2222"]
        assert not second.run_bar.python_button.isEnabled()
        hosts.set_host("not a host; rm -rf ~")
        assert hosts.host is None  # refused: back to this computer
    finally:
        second.close()


def test_the_run_bar_with_a_host_fits_a_1024_screen(qtbot, tmp_path, monkeypatch):
    win = make_window(qtbot, tmp_path, monkeypatch)
    try:
        win.resize(1024, 768)
        win.run_bar.host_button.set_host("researcher@gpu-workstation-07:2222", announce=True)
        qtbot.wait(200)
        bar = win.run_bar
        assert bar.host_button.isVisible() and bar.host_button.width() <= 260
        assert bar.geometry().right() <= win.width()
        assert not [t for t in clipped_labels(bar) if "Run on" in t]
        save_shot(win, "remote-runbar-1024")
    finally:
        win.close()
