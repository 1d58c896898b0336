"""Drag and drop, recent files, shortcuts, and the `gpuprof gui --screenshot` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeySequence
from PySide6.QtWidgets import QApplication
from window_support import (
    RUN_TIMEOUT_MS,
    SCRIPTS_DIR,
    SHOTS_DIR,
    distinct_colours,
    make_window,
    save_shot,
)

from gpuprof_gui.ui.app import SCREENSHOT_SIZE
from gpuprof_gui.ui.shell import window_state
from gpuprof_gui.ui.shell.actions import ACTIONS, shortcuts_html

pytestmark = pytest.mark.timeout(180)

DATA_DIR = SCRIPTS_DIR.parent / "data"
REPO_ROOT = SCRIPTS_DIR.parent.parent


def _drop(win, path) -> bool:
    """Drag ``path`` over the window and drop it, as the desktop would; True if accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(win.width() / 2, win.height() / 2)
    enter = QDragEnterEvent(
        pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(win, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, drop)
    return drop.isAccepted()


def test_dropping_a_script_loads_it(qtbot, window, tmp_path):
    script = tmp_path / "dropped.py"
    script.write_text("print('dropped ran')\n", encoding="utf-8")
    assert _drop(window, script)
    assert window.run_bar.script == str(script)
    assert window.current_run is None  # auto-run is off by default
    assert "dropped.py" in window.status_text() and "F5" in window.status_text()


def test_dropping_a_script_with_auto_run_starts_it(qtbot, window, tmp_path):
    script = tmp_path / "dropped_auto.py"
    script.write_text("def f():\n    return sum(range(10000))\n\nprint('auto ran', f())\n", encoding="utf-8")
    window.actions_by_id["auto_run"].setChecked(True)
    with qtbot.waitSignal(window.profile_shown, timeout=RUN_TIMEOUT_MS):
        assert _drop(window, script)
        assert window.current_run is not None
    assert window.last_outcome.status == "finished"
    assert "auto ran" in window.console.toPlainText()


def test_dropping_a_profile_opens_it(qtbot, window, tmp_path):
    prof = tmp_path / "sample.prof"
    shutil.copyfile(DATA_DIR / "pstats_sample.prof", prof)
    with qtbot.waitSignal(window.profile_shown, timeout=60_000) as blocker:
        assert _drop(window, prof)
    assert blocker.args[0].profile.functions
    assert window.table.model().rowCount() > 0
    assert "sample.prof" in window.windowTitle()
    save_shot(window, "dropped_profile")


def test_dropping_text_that_is_not_a_file_is_refused(window):
    mime = QMimeData()
    mime.setText("just words")
    enter = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_recent_files_persist_in_the_settings(qtbot, tmp_path, monkeypatch):
    first = make_window(qtbot, tmp_path, monkeypatch)
    scripts = []
    for i in range(window_state.MAX_RECENT + 2):
        p = tmp_path / f"s{i}.py"
        p.write_text("pass\n", encoding="utf-8")
        scripts.append(str(p))
        first.set_script(str(p))
    first.set_script(scripts[3])  # opening again moves it to the top, no duplicate
    first.close()
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    stored = window_state.recent_files(type("W", (), {"settings": settings})())
    assert stored[0] == scripts[3]
    assert len(stored) == window_state.MAX_RECENT and len(set(stored)) == len(stored)
    assert stored[1] == scripts[-1]
    second = make_window(qtbot, tmp_path, monkeypatch)
    second.recent_menu.aboutToShow.emit()
    labels = [a.text() for a in second.recent_menu.actions() if a.text()]
    assert labels[0] == "&1 s3.py"
    assert any(a.toolTip() == scripts[3] for a in second.recent_menu.actions())
    second.close()


def test_action_shortcuts_and_help_table(qtbot, window):
    run, cancel = window.actions_by_id["run"], window.actions_by_id["cancel"]
    assert run.shortcut() == QKeySequence("F5")
    assert cancel.shortcut() == QKeySequence("Shift+F5")
    assert QKeySequence("F5") in run.shortcuts() and QKeySequence("Shift+F5") in cancel.shortcuts()
    for key, spec in ACTIONS.items():
        action = window.actions_by_id[key]
        assert [s.toString() for s in action.shortcuts()] == [QKeySequence(s).toString() for s in spec.shortcuts]
    html = shortcuts_html()
    for spec in ACTIONS.values():
        if spec.shortcuts:
            assert ", ".join(spec.shortcuts) in html
            assert spec.text.replace("&", "").rstrip("…") in html
    # Help ▸ Keyboard shortcuts shows exactly that table, scrollable and within the screen,
    # also in presentation mode (20 pt rows made a message box taller than a projector).
    for presentation in (False, True):
        window.actions_by_id["presentation"].setChecked(presentation)
        window.actions_by_id["shortcuts"].trigger()
        dialog = window.shortcuts_dialog
        qtbot.waitUntil(dialog.isVisible, timeout=5000)
        text = dialog.browser.toPlainText()
        for spec in ACTIONS.values():
            if spec.shortcuts:
                assert ", ".join(spec.shortcuts) in text
        avail = dialog.screen().availableGeometry()
        assert dialog.height() <= avail.height() and dialog.width() <= avail.width()
        dialog.reject()
    window.actions_by_id["presentation"].setChecked(False)
    help_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&Help")
    assert window.actions_by_id["shortcuts"] in help_menu.actions()


def test_f5_runs_and_shift_f5_cancels(qtbot, window):
    window.set_script(str(SCRIPTS_DIR / "hang.py"))
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.current_run is not None, "F5 did not start a run"
    qtbot.waitUntil(lambda: "spinning" in window.console.toPlainText(), timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert blocker.args[0].status == "cancelled"


@pytest.mark.slow
def test_gui_command_writes_a_populated_screenshot(tmp_path, examples_dir):
    shot = tmp_path / "shot.png"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
        GPUPROF_RUNS_DIR=str(tmp_path / "runs"),
        HOME=str(tmp_path / "home"),
    )
    env.pop("GPUPROF_SCREENSHOT", None)
    (tmp_path / "runtime").mkdir(mode=0o700)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "gui",
            str(examples_dir / "hotspots_demo.py"),
            "--run",
            "--screenshot",
            str(shot),
            "--",
            "--scale",
            "0.05",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.is_file()
    assert "Finished" in proc.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    w, h = image.width(), image.height()
    # Flame graph: the top band, full width (stacks of many differently coloured frames).
    assert distinct_colours(image, 0, int(h * 0.08), w, int(h * 0.4)) >= 12
    # Hotspot table: the lower left quarter holds text on alternating rows, not one flat colour.
    assert distinct_colours(image, 0, int(h * 0.55), w // 3, int(h * 0.9), step=2) >= 8
    # The settings and the run went where they were told, nowhere in the user's home.
    assert list((tmp_path / "runs").iterdir())
    assert (tmp_path / "config" / "gpuprof-gui").exists()
    shutil.copyfile(shot, SHOTS_DIR / "win_cli_screenshot.png")
