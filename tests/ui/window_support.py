"""Shared pieces of the main-window tests: an isolated window and run helpers.

Every window gets its own settings file and runs folder, so tests never see
each other's recent files or leave runs in the user's cache.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6 import QtGui
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from gpuprof_gui.ui.shell import window_state
from gpuprof_gui.ui.shell.main_window import MainWindow

SCRIPTS_DIR = Path(__file__).resolve().parents[1] / "scripts"
SHOTS_DIR = Path(os.environ.get("GPUPROF_TEST_SHOTS", "/tmp"))
"""Where the tests save window screenshots for a person to look at."""

RUN_TIMEOUT_MS = 60_000
"""A real subprocess run on a loaded 2-core VM; the quick scripts take ~1 s."""
SCALENE_TIMEOUT_MS = 120_000
"""Scalene starts slower (it loads its own native library and a launcher)."""
LOAD_TIMEOUT_MS = 30_000
EXAMPLE_SCALE = "0.05"
"""Small enough for ~1 s under cProfile, big enough that the hotspot order holds."""
SCALENE_EXAMPLE_SCALE = "0.6"
"""Scalene samples every ~10 ms: the run must last long enough to rank the functions."""


def make_window(qtbot, tmp_path: Path, monkeypatch) -> MainWindow:
    monkeypatch.setenv(window_state.RUNS_DIR_ENV, str(tmp_path / "runs"))
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


def open_window(qtbot, tmp_path, monkeypatch):
    """The ``window`` fixture's body (tests/conftest.py): the window, then its clean-up."""
    win = make_window(qtbot, tmp_path, monkeypatch)
    yield win
    if win.current_run is not None:
        win.current_run.kill()
        qtbot.waitUntil(lambda: win.current_run is None, timeout=RUN_TIMEOUT_MS)
    win.close()


def run_script(
    qtbot,
    win: MainWindow,
    script,
    args=(),
    profiler: str = "cprofile",
    timeout_ms: int = RUN_TIMEOUT_MS,
    wait_profile: bool = False,
):
    """Start a run through the run bar; wait for its outcome and, when it saved one, its profile.

    Waiting for the profile as well keeps a late ``profile_shown`` from one run
    from being taken for the next run's.
    """
    win.run_bar.set_script(str(script))
    win.run_bar.set_args([str(a) for a in args])
    win.run_bar.set_profiler(profiler)
    outcomes, shown, failed = [], [], []
    win.run_finished.connect(outcomes.append)
    win.profile_shown.connect(shown.append)
    win.load_failed.connect(failed.append)
    try:
        win.start_run()
        qtbot.waitUntil(lambda: bool(outcomes) and (not outcomes[0].ok or bool(shown or failed)), timeout=timeout_ms)
    finally:
        win.run_finished.disconnect(outcomes.append)
        win.profile_shown.disconnect(shown.append)
        win.load_failed.disconnect(failed.append)
    assert len(outcomes) == 1
    if wait_profile:
        assert shown and not failed, (outcomes[0].message, failed)
    return outcomes[0]


def quick_run_works(qtbot, win: MainWindow, tmp_path: Path) -> None:
    """The window still profiles a normal script after whatever went before."""
    script = tmp_path / "after_ok.py"
    script.write_text(
        "def work():\n    return sum(i * i for i in range(20000))\n\nprint('after ok', work())\n", encoding="utf-8"
    )
    outcome = run_script(qtbot, win, script, wait_profile=True)
    assert outcome.status == "finished", outcome.message
    assert "Finished" in win.status_text()
    names = {win.loaded.profile.functions[r["func"]].name for r in win.loaded.rows}
    assert "work" in names
    assert "after ok" in win.console.toPlainText()
    assert win.isVisible()


def settle(qtbot, ms: int = 150) -> None:
    """Let posted layout requests and repaints run, as a person would see the window."""
    qtbot.wait(ms)


def save_shot(win, name: str) -> Path:
    QApplication.processEvents()
    path = SHOTS_DIR / f"win_{name}.png"
    win.grab().save(str(path))
    return path


def distinct_colours(image: QImage, x0: int, y0: int, x1: int, y1: int, step: int = 3) -> int:
    """How many distinct RGB values a region holds (sampled every ``step`` pixels)."""
    seen = set()
    for y in range(y0, y1, step):
        for x in range(x0, x1, step):
            seen.add(image.pixel(x, y) & 0xFFFFFF)
    return len(seen)


def clipped_labels(root: QWidget) -> list[str]:
    """Text under ``root`` not shown whole: what ``layout_rules`` finds (one-line text cut, not
    elided with a tooltip; pages read by scrolling sideways), and wrapped labels too small for their lines."""
    from gpuprof_gui.ui.style import layout_rules

    cut = [str(c) for c in layout_rules.cut_text(root) + layout_rules.sideways_scrolling(root)]
    for label in root.findChildren(QLabel):
        if not label.isVisible() or not label.wordWrap() or not label.text().strip():
            continue
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(label.font())
        text, form = label.text(), label.textFormat()
        if form == Qt.TextFormat.RichText or (form == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)):
            doc.setHtml(text)
        else:
            doc.setPlainText(text)
        room = label.contentsRect()
        doc.setTextWidth(room.width())
        need = doc.size()  # wider than the room: a word too long to wrap
        if need.width() > room.width() + layout_rules.SLACK_PX or need.height() > room.height() + layout_rules.SLACK_PX:
            cut.append(
                f"{label.text()[:50]!r} needs {need.width():.0f}x{need.height():.0f} in {room.width()}x{room.height()}"
            )
    return cut


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0): it has exited, only nobody reaped it yet (an orphan
    # reparented to a PID 1 that never reaps, as in some containers, stays one).
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)


PYTHON = sys.executable
