"""Keyboard and settings: every action has a shortcut (or a reason), Help lists them all, none
collide, the navigation keys work; theme, presentation, layout, tab, profiler and recent files
survive closing the window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QImage, QPalette, QShortcut
from PySide6.QtWidgets import QApplication, QGraphicsScene, QMenu
from window_support import make_window, settle

from gpuprof_gui.ui.app import parse_args
from gpuprof_gui.ui.shell import window_state
from gpuprof_gui.ui.shell.actions import ACTIONS, NO_SHORTCUT, VIEW_KEYS, shortcuts_html
from gpuprof_gui.ui.shell.main_window import MainWindow
from gpuprof_gui.ui.style import theme

pytestmark = pytest.mark.timeout(180)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
REPO_ROOT = DATA_DIR.parent.parent


@pytest.fixture(autouse=True)
def normal_look():
    """The app palette and font are application-wide: give the next test the default back."""
    yield
    theme.apply(theme.SYSTEM, False)


# -- shortcuts ---------------------------------------------------------------------------------------------
def user_actions(win) -> list[QAction]:
    """The window's actions a user can trigger: not separators, submenu entries, Qt's own
    (a line edit's clear button) or pyqtgraph's right-click "Export..." (File ▸ Export covers it)."""
    out = []
    for action in win.findChildren(QAction):
        if action.isSeparator() or action.menu() is not None or action.objectName().startswith("_q_"):
            continue
        if isinstance(action.parent(), QGraphicsScene):
            continue
        out.append(action)
    return out


def menu_actions(menu: QMenu) -> set[QAction]:
    found = set()
    for action in menu.actions():
        if action.menu() is not None:
            found |= menu_actions(action.menu())
        elif not action.isSeparator():
            found.add(action)
    return found


def test_every_action_has_a_shortcut_or_a_reason(window):
    actions = user_actions(window)
    assert len(actions) >= len(ACTIONS)
    missing = []
    for action in actions:
        key = action.objectName()
        assert key in ACTIONS, f"an action outside actions.ACTIONS: {key!r} {action.text()!r}"
        if not action.shortcuts() and not NO_SHORTCUT.get(key, "").strip():
            missing.append(key)
    assert not missing, f"no shortcut and no reason in NO_SHORTCUT: {missing}"
    # A reason is only for actions that really have no key.
    assert not [k for k in NO_SHORTCUT if ACTIONS[k].shortcuts]
    # Every action is also in a menu, where a mouse user finds it and its key.
    in_menus = set()
    for top in window.menuBar().actions():
        in_menus |= menu_actions(top.menu())
    assert not [a.objectName() for a in actions if a not in in_menus]


def test_help_lists_every_shortcut_and_view_key(window):
    html = shortcuts_html()
    for key, spec in ACTIONS.items():
        if spec.shortcuts:
            assert ", ".join(spec.shortcuts) in html, key
            assert spec.text.replace("&", "").rstrip("…") in html, key
    for keys, text in VIEW_KEYS:
        assert keys in html and text in html
    # Shortcuts owned by a view (the kernel lab's Run) are listed too.
    for shortcut in window.findChildren(QShortcut):
        assert shortcut.key().toString() in html, shortcut.key().toString()


def test_no_two_shortcuts_share_a_key(window):
    owners: dict[str, list[str]] = {}
    for action in user_actions(window):
        for seq in action.shortcuts():
            owners.setdefault(seq.toString(), []).append(action.objectName())
    for shortcut in window.findChildren(QShortcut):
        owners.setdefault(shortcut.key().toString(), []).append(f"QShortcut in {type(shortcut.parent()).__name__}")
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not clashes, clashes
    assert len(owners) >= 30  # the table really was filled


def _key(qtbot, win, key, modifiers=Qt.KeyboardModifier.ControlModifier) -> None:
    qtbot.keyClick(win.focusWidget() or win, key, modifiers)


def test_navigation_keys(qtbot, window):
    with qtbot.waitSignal(window.profile_shown, timeout=60_000):
        window.open_profile(str(DATA_DIR / "pstats_sample.prof"))
    window.activateWindow()  # window shortcuts need the active window
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None)
    _key(qtbot, window, Qt.Key.Key_2)
    assert window.focusWidget() is window.table
    _key(qtbot, window, Qt.Key.Key_4)
    assert window.focusWidget() is window.console
    _key(qtbot, window, Qt.Key.Key_1)
    assert window.focusWidget() is window.flame.canvas
    x0, x1 = window.flame.canvas.view_range
    _key(qtbot, window, Qt.Key.Key_Equal)
    z0, z1 = window.flame.canvas.view_range
    assert (z1 - z0) < 0.7 * (x1 - x0)
    _key(qtbot, window, Qt.Key.Key_Minus)
    assert window.flame.canvas.view_range[1] - window.flame.canvas.view_range[0] > (z1 - z0)
    _key(qtbot, window, Qt.Key.Key_PageDown)
    assert window.tabs.currentWidget() is window.lab
    _key(qtbot, window, Qt.Key.Key_PageUp)
    assert window.tabs.currentIndex() == 0
    _key(qtbot, window, Qt.Key.Key_PageUp)  # wraps round to the last tab
    assert window.tabs.currentIndex() == window.tabs.count() - 1
    _key(qtbot, window, Qt.Key.Key_L)  # the script field, on the Profile tab, text selected to type over
    window.run_bar.set_script("/tmp/x.py")
    _key(qtbot, window, Qt.Key.Key_L)
    assert window.tabs.currentIndex() == 0 and window.focusWidget() is window.run_bar.script_edit
    assert window.run_bar.script_edit.selectedText() == "/tmp/x.py"
    before = window.run_bar.profiler
    _key(qtbot, window, Qt.Key.Key_P)
    assert window.run_bar.profiler != before and window.run_bar.profiler_combo.currentText() in window.status_text()
    window.console.append_stdout(b"some output\n")
    window.console.flush()
    _key(qtbot, window, Qt.Key.Key_K)
    assert window.console.toPlainText() == ""
    _key(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.theme_name == theme.DARK


# -- settings that survive the window ------------------------------------------------------------------------
def _reopen(qtbot, tmp_path) -> MainWindow:
    """A new window on the same settings file, as the next launch would make it (no resize of our own)."""
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_choices_survive_closing_the_window(qtbot, tmp_path, monkeypatch):
    first = make_window(qtbot, tmp_path, monkeypatch)
    script = tmp_path / "kept.py"
    script.write_text("pass\n", encoding="utf-8")
    first.set_script(str(script))
    first.actions_by_id["theme_dark"].trigger()
    first.actions_by_id["next_profiler"].trigger()  # Scalene, chosen but never run
    first.tabs.setCurrentWidget(first.advisor)
    first.resize(1234, 777)
    first.splitters["bottom"].setSizes([300, 900])
    settle(qtbot)
    bottom = first.splitters["bottom"].sizes()
    first.close()
    theme.apply(theme.SYSTEM, False)  # what a fresh process would start from

    second = _reopen(qtbot, tmp_path)
    assert second.theme_name == theme.DARK and second.actions_by_id["theme_dark"].isChecked()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5
    assert second.run_bar.profiler == "scalene"
    assert second.tabs.currentIndex() == 0  # a launch opens on Profile, not on the last tab (test_first_use.py)
    # Offscreen, restoreGeometry fits the window to the 800x800 virtual screen (at least its minimum
    # width); the default would be 1400x900: the stored geometry was used.
    assert second.width() < 1234 and abs(second.height() - 777) <= 5
    second.tabs.setCurrentIndex(0)  # a hidden splitter is not laid out
    settle(qtbot)
    a, b = second.splitters["bottom"].sizes()
    assert a / (a + b) == pytest.approx(bottom[0] / sum(bottom), abs=0.02)  # the window is narrower now
    assert window_state.recent_files(second)[0] == str(script)
    assert not second.actions_by_id["presentation"].isChecked()
    second.actions_by_id["presentation"].trigger()
    second.close()
    theme.apply(theme.SYSTEM, False)

    # Presentation mode too (a window of its own: its larger text makes the window wider).
    third = _reopen(qtbot, tmp_path)
    assert third.actions_by_id["presentation"].isChecked() and third.theme_name == theme.DARK
    assert QApplication.font().pointSizeF() >= theme.PRESENTATION_PT
    assert third.flame.canvas.palette_in_use.name == "presentation-dark"
    third.close()


def test_command_line_choices_are_for_one_launch(qtbot, tmp_path, monkeypatch):
    """--theme and --presentation show a look without replacing the one the user chose."""
    first = make_window(qtbot, tmp_path, monkeypatch)
    theme.set_theme(first, theme.DARK, remember=False)
    first.actions_by_id["presentation"].setChecked(True)
    assert first.theme_name == theme.DARK and QApplication.font().pointSizeF() >= theme.PRESENTATION_PT
    first.close()
    theme.apply(theme.SYSTEM, False)
    second = _reopen(qtbot, tmp_path)
    assert second.theme_name == theme.SYSTEM and not second.actions_by_id["presentation"].isChecked()
    second.close()


def test_damaged_settings_fall_back_to_defaults(qtbot, tmp_path, monkeypatch):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    for key, value in (
        ("theme", "purple"),
        ("presentation", "maybe"),
        ("window/tab", "lab"),
        ("profiler", "perf"),
        ("window/geometry", "not bytes"),
    ):
        settings.setValue(key, value)
    settings.sync()
    win = _reopen(qtbot, tmp_path)
    assert win.theme_name == theme.SYSTEM and win.actions_by_id["theme_system"].isChecked()
    assert not win.actions_by_id["presentation"].isChecked()
    assert win.tabs.currentIndex() == 0
    assert win.run_bar.profiler == "cprofile"
    assert win.isVisible()
    win.close()


@pytest.mark.parametrize(
    ("timeout", "tab", "geometry"),
    [
        ("nan", "1e308", "@ByteArray(\\x1\\xd9\\xd0\\xcb\\0\\x3\\0\\0\\x7f\\xff\\xff\\xff\\x80)"),
        ("inf", "-99999999999999999999999", "@ByteArray(" + "\\xff" * 300 + ")"),
        ("1e308", "@Invalid()", "@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x5QSize)"),
        ("-5", "nan", "@Rect(0 0 2147483647 2147483647)"),
    ],
    ids=["nan", "inf", "huge", "negative"],
)
def test_hostile_settings_file_opens_a_usable_window(qtbot, tmp_path, monkeypatch, timeout, tab, geometry):
    """A settings file edited by hand or by another program: the window opens on screen, with sane choices."""
    recent = ", ".join(f"/nowhere/{i}.prof" for i in range(5000))
    splitter = "@ByteArray(" + "\\xff\\0" * 200 + ")"
    ini = "\n".join(
        [
            "[General]",
            f"timeout_s={timeout}",
            f"recent_files={recent}, {DATA_DIR / 'pstats_sample.prof'}",
            "auto_run=@Invalid()",
            "profiler=@ByteArray(\\0\\x1)",
            "theme=" + "x" * 100_000,
            "presentation=@ByteArray(\\x1)",
            f"window\\tab={tab}",
            f"window\\geometry={geometry}",
            f"window\\splitter_profile={splitter}",
            f"window\\splitter_main={splitter}",
            "",
        ]
    )
    (tmp_path / "s.ini").write_text(ini, encoding="latin-1")
    monkeypatch.setenv(window_state.RUNS_DIR_ENV, str(tmp_path / "runs"))
    win = _reopen(qtbot, tmp_path)
    spin = win.run_bar.timeout_spin
    assert spin.minimum() <= spin.value() <= spin.maximum() and spin.value() == spin.value()
    assert win.run_bar.profiler == "cprofile" and win.theme_name == theme.SYSTEM
    assert 0 <= win.tabs.currentIndex() < win.tabs.count()
    (tmp_path / "fresh").mkdir()
    fresh = _reopen(qtbot, tmp_path / "fresh")  # no settings at all: the default size
    assert win.size() == fresh.size(), "a damaged geometry must give the default size"
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert screen.intersects(win.frameGeometry()), (screen, win.frameGeometry())
    fresh.close()
    assert len(window_state.recent_files(win)) <= window_state.MAX_RECENT
    assert win.isVisible()
    win.close()


@pytest.mark.slow
def test_gui_command_screenshot_in_dark_presentation(tmp_path):
    """`gpuprof gui PROFILE --theme dark --presentation --screenshot` draws that look, and keeps no setting."""
    shot = tmp_path / "shot.png"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        GPUPROF_RUNS_DIR=str(tmp_path / "runs"),
        HOME=str(tmp_path / "home"),
    )
    env.pop("GPUPROF_SCREENSHOT", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "gui",
            str(DATA_DIR / "pstats_sample.prof"),
            "--theme",
            "dark",
            "--presentation",
            "--screenshot",
            str(shot),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(shot))
    lightness = [
        QColor(image.pixel(x, y)).lightnessF()
        for y in range(0, image.height(), 10)
        for x in range(0, image.width(), 10)
    ]
    assert sum(lightness) / len(lightness) < 0.3
    stored = (tmp_path / "config" / "gpuprof-gui" / "gpuprof-gui.conf").read_text(encoding="utf-8")
    assert "theme=" not in stored and "presentation=" not in stored
    with pytest.raises(SystemExit):
        parse_args(["--theme", "purple"])
