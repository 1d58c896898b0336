"""Every tab fits every screen: 1024×768, 1280×720 and 1920×1080, at the desk and on a projector,
light and dark — the window inside the screen, the flame graph >= 35% of it, no text cut,
the palette's contrast — and a window saved on one screen opens right on another.

Each screen size needs a Qt application of its own (the offscreen platform is told the
screen's size when it starts), so the window runs in a subprocess: the gallery tool's
measuring mode, the same code ``make screenshots`` runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

REPO = Path(__file__).resolve().parents[3]
GALLERY = REPO / "tools" / "gallery.py"
SIZES = ("1024x768", "1280x720", "1920x1080")


def _gallery(tmp_path: Path, size: str, display: str = "offscreen") -> dict:
    out = tmp_path / f"measured-{size}.json"
    proc = subprocess.run(
        [sys.executable, str(GALLERY), "--no-images", "--sizes", size, "--display", display, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert out.exists(), proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_every_tab_mode_and_theme_fits_the_screen(tmp_path, size):
    report = _gallery(tmp_path, size)
    shots = report["shots"]
    assert len(shots) == 6 * 2 * 2, [s["name"] for s in shots]  # tab states x desk/projector x light/dark
    tabs = {"Profile", "Kernel lab", "Offload advisor", "Compare", "GPU timeline", "GPU timeline (trace)"}
    assert {s["tab"] for s in shots} == tabs
    broken = {s["name"]: s["broken"] for s in shots if s["broken"]}
    assert not broken, json.dumps(broken, indent=1)
    width, height = (int(n) for n in size.split("x"))
    for shot in shots:
        assert shot["window"][0] <= width and shot["window"][1] <= height, shot
        if shot["tab"] == "Profile":
            assert shot["flame_share"] >= 0.35, shot
        assert min(shot["contrast"].values()) >= 4.5, shot


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (make sysdeps installs it)")
def test_a_real_x_server_at_projector_size_shows_every_tab_whole(tmp_path):
    report = _gallery(tmp_path, "1024x768", display="xvfb")
    assert report["display"] == "Xvfb"
    broken = {s["name"]: s["broken"] for s in report["shots"] if s["broken"]}
    assert len(report["shots"]) == 24 and not broken, json.dumps(broken, indent=1)


RESTORE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from gpuprof_gui.ui.shell.main_window import MainWindow
    from gpuprof_gui.ui.style import layout_rules
    settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.show()
    def settle():
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            app.processEvents()
    settle()
    filled = None
    if sys.argv[2] == "save":
        win.resize(1850, 1000)  # a big desk window...
        win.move(30, 40)
        settle()
        win.actions_by_id["presentation"].trigger()  # ...then presentation mode, as the user does: remembered
        win.tabs.setCurrentWidget(win.lab)
        settle()
        filled = [win.frameGeometry().width(), win.frameGeometry().height()]
    if sys.argv[2] == "toggle":
        before = [win.width(), win.height()]
        win.actions_by_id["presentation"].trigger()
        settle()
        filled = [win.frameGeometry().width(), win.frameGeometry().height()]
        win.actions_by_id["presentation"].trigger()
        settle()
        filled.append([win.width(), win.height()] == before)
    fits, where = layout_rules.window_fits(win)
    out = {"fits": fits, "where": where, "window": [win.width(), win.height()],
           "presentation": win.actions_by_id["presentation"].isChecked(),
           "flame_panel": win.splitters["main"].sizes()[0], "filled": filled}
    win.close()
    print(json.dumps(out))
    """
)


def _screen_env(tmp_path: Path, width: int, height: int) -> dict:
    config = tmp_path / f"screen-{width}x{height}.json"
    screen = {"name": "s", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96}
    config.write_text(json.dumps({"screens": [dict(screen, logicalBaseDpi=96, dpr=1)]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _restore(tmp_path: Path, size: tuple[int, int], mode: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", RESTORE_SCRIPT, str(tmp_path / "settings.ini"), mode],
        env=_screen_env(tmp_path, *size),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_window_saved_on_a_big_screen_opens_inside_a_small_one(tmp_path):
    big = _restore(tmp_path, (1920, 1080), "save")
    assert big["fits"] and big["filled"] == [1920, 1080], big  # presentation mode fills the screen
    small = _restore(tmp_path, (1024, 768), "open")
    assert small["presentation"], small  # the mode is kept...
    assert small["fits"], small  # ...and the window opens inside the projector's screen
    assert small["window"][0] <= 1024 and small["window"][1] <= 768, small


def test_a_first_window_takes_most_of_a_small_screen_and_a_fixed_size_on_a_big_one(tmp_path):
    for name in ("small", "big"):
        (tmp_path / name).mkdir()
    small = _restore(tmp_path / "small", (1024, 768), "open")
    assert small["fits"] and 900 <= small["window"][0] <= 1024 and 650 <= small["window"][1] <= 768, small
    big = _restore(tmp_path / "big", (1920, 1080), "open")
    assert big["fits"] and big["window"] == [1400, 900], big


def test_presentation_mode_fills_the_screen_and_gives_the_window_back(tmp_path):
    result = _restore(tmp_path, (1920, 1080), "toggle")
    assert result["filled"] == [1920, 1080, True], result  # filled, then the desk size again
    assert not result["presentation"]


# -- in-process: the parts that keep the window narrow ---------------------------------------------
@pytest.mark.parametrize(("points", "window_width"), [(14.0, 1024 - 24), (20.0, 1400)])
def test_run_bar_wraps_onto_two_rows_rather_than_widen_the_window(qtbot, monkeypatch, points, window_width):
    """At the projector size of a 1024×768 screen (14 pt) and of a 1920×1080 one (20 pt), the bar
    is never wider than the window it is in there; with room, it is one row."""
    from gpuprof_gui.ui.profile.run_bar import RunBar
    from gpuprof_gui.ui.style import projector

    monkeypatch.setattr(projector, "text_pt", lambda: points)
    bar = RunBar(QAction("Run"), QAction("Cancel"))
    qtbot.addWidget(bar)
    bar.python_button.set_choice("/opt/environments/a-rather-long-environment-name/bin/python")
    bar.set_presentation(True)
    bar.resize(2400, 60)
    bar.show()
    qtbot.waitExposed(bar)
    assert not bar.wrapped  # room for one row
    assert bar.minimumSizeHint().width() <= window_width
    bar.resize(bar.minimumSizeHint().width(), 60)
    qtbot.waitUntil(lambda: bar.wrapped)
    assert bar.minimumSizeHint().height() > bar.python_button.height() * 2 - 4  # two rows tall


def test_a_long_environment_name_is_elided_with_the_path_in_the_tooltip(qtbot):
    from gpuprof_gui.ui.profile.python_button import PythonButton

    button = PythonButton()
    qtbot.addWidget(button)
    long_env = "/opt/environments/a-rather-long-environment-name/bin/python"
    button.set_choice(long_env)
    assert "…" in button.text() and button.full_text == "Python: a-rather-long-environment-name"
    assert long_env in button.toolTip()
    assert button.menu() is not None  # a push button keeps its menu (and the arrow its own room)


def test_hotspot_table_keeps_the_function_and_its_numbers_in_view_when_narrow(qtbot):
    from gpuprof_gui.ui.profile.hotspot_table import (
        COL_FUNCTION,
        COL_LOCATION,
        COL_PCT,
        COL_SELF,
        COL_TOTAL,
        FUNCTION_MIN_CHARS,
        HotspotTable,
    )

    table = HotspotTable()
    qtbot.addWidget(table)
    rows = [
        {
            "func": i,
            "name": f"a_function_with_a_long_descriptive_name_{i}",
            "file": f"/home/someone/projects/a/deeply/nested/package/module_{i}.py",
            "line": 10 + i,
            "calls": 1000 * i,
            "self_s": 1.5 / (i + 1),
            "total_s": 2.5 / (i + 1),
            "self_pct": 50.0 / (i + 1),
        }
        for i in range(30)
    ]
    table.set_rows(rows, "s")
    table.resize(460, 300)  # the table's share of a 1024×768 window
    table.show()
    qtbot.waitExposed(table)
    qtbot.wait(50)
    header = table.horizontalHeader()
    view_width = table.viewport().width()
    for col in (COL_FUNCTION, COL_SELF, COL_TOTAL, COL_PCT):
        right = header.sectionViewportPosition(col) + header.sectionSize(col)
        assert right <= view_width, (col, right, view_width)
    assert header.sectionSize(COL_FUNCTION) >= FUNCTION_MIN_CHARS * table.fontMetrics().horizontalAdvance("x")
    assert header.visualIndex(COL_LOCATION) == header.count() - 1  # File:line is the one cut


def test_a_long_status_message_is_elided_and_kept_whole(window):
    message = "The run finished: " + "a very long explanation of what happened " * 12
    window.set_status(message)
    label = window._status_label
    window.resize(900, 600)
    window.grab()
    assert window.status_text() == message
    assert label.text().endswith("…") and len(label.text()) < len(message)
    assert label.toolTip() == message


def test_presentation_type_is_as_tall_on_the_wall_whatever_the_screen(monkeypatch):
    from gpuprof_gui.ui.style import projector

    class Screen:
        def __init__(self, w: int, h: int) -> None:
            self._rect = QRect(0, 0, w, h)

        def geometry(self) -> QRect:
            return self._rect

    monkeypatch.setattr(projector, "screen_is_known", lambda: True)
    sizes = {}
    for w, h in ((1024, 768), (1280, 720), (1600, 900), (1920, 1080), (3840, 2160)):
        projector.use_screen(Screen(w, h))  # type: ignore[arg-type]
        sizes[(w, h)] = projector.text_pt()
    projector.use_screen(None)
    assert sizes[(1920, 1080)] == sizes[(3840, 2160)] == projector.REFERENCE_PT
    assert sizes[(1024, 768)] == sizes[(1280, 720)] == projector.SMALLEST_PT
    assert projector.SMALLEST_PT < sizes[(1600, 900)] < projector.REFERENCE_PT
    # The same share of the image's height: 14 pt of 768 lines against 20 pt of 1080 (within 3%).
    assert abs(sizes[(1024, 768)] / 768 - sizes[(1920, 1080)] / 1080) / (20 / 1080) < 0.03


def test_presentation_hides_the_console_gives_the_flame_graph_room_and_puts_the_layout_back(window, qtbot):
    main = window.splitters["main"]
    main.setSizes([300, 600])  # the user's own desk layout: a short flame graph
    qtbot.wait(20)
    desk = main.sizes()
    window.actions_by_id["presentation"].trigger()
    qtbot.waitUntil(lambda: not window.console.isVisible())
    sizes = main.sizes()
    assert sizes[0] >= 0.6 * sum(sizes), sizes  # the flame graph takes most of the height
    window.actions_by_id["focus_console"].trigger()  # Go ▸ Console brings it back when asked for
    assert window.console.isVisible()
    window.actions_by_id["presentation"].trigger()
    qtbot.waitUntil(lambda: window.console.isVisible())
    assert abs(main.sizes()[0] - desk[0]) <= 2, (main.sizes(), desk)  # the desk layout, as it was


def test_a_narrow_source_pane_keeps_its_note_in_the_tooltip_and_its_lines_for_code(window, qtbot):
    from gpuprof_gui.ui.profile.source_view import NOTE_ROOM_PX

    profile = Path(__file__).resolve().parents[2] / "data" / "pstats_sample.prof"
    shown = []
    window.profile_shown.connect(shown.append)
    window.open_path(str(profile))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    source = window.source
    _text, note = source._header_parts
    assert note, "a cProfile profile's pane has a note on how cProfile measures"
    window.splitters["bottom"].setSizes([800, NOTE_ROOM_PX + 200])
    qtbot.waitUntil(lambda: source.width() >= NOTE_ROOM_PX)
    assert note in source.header.text() and not source.header.toolTip()
    wide_header = source.header.height()
    window.splitters["bottom"].setSizes([1400 - NOTE_ROOM_PX + 100, NOTE_ROOM_PX - 100])  # a 1024 px screen's pane
    qtbot.waitUntil(lambda: source.width() < NOTE_ROOM_PX)
    qtbot.waitUntil(lambda: note not in source.header.text())
    assert source.header.toolTip() == note  # kept, one hover away
    qtbot.waitUntil(lambda: source.header.height() < wide_header)  # the lines go to the code


def test_a_layout_saved_in_a_small_window_does_not_leave_the_flame_graph_a_strip(qtbot, tmp_path, monkeypatch):
    """A saved main splitter of 36 : 160 px (a window once made tiny) opened in a big window."""
    from PySide6.QtCore import QByteArray, QSettings, Qt
    from PySide6.QtWidgets import QSplitter

    from gpuprof_gui.ui.shell import window_state
    from gpuprof_gui.ui.shell.main_window import MainWindow
    from gpuprof_gui.ui.shell.presentation import FLAME_SHARE

    tiny = QSplitter(Qt.Orientation.Vertical)  # as the window's main splitter is
    tiny.addWidget(QLabel("a"))
    tiny.addWidget(QLabel("b"))
    tiny.setSizes([36, 160])
    state: QByteArray = tiny.saveState()
    monkeypatch.setenv(window_state.RUNS_DIR_ENV, str(tmp_path / "runs"))
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("window/splitter_main", state)
    big = MainWindow(settings=QSettings(str(tmp_path / "big.ini"), QSettings.Format.IniFormat))
    big.resize(1600, 1000)
    settings.setValue("window/geometry", big.saveGeometry())  # saved big: restored before the window shows
    big.deleteLater()
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    main = win.splitters["main"]
    qtbot.waitUntil(lambda: main.sizes()[0] >= FLAME_SHARE * win.height(), timeout=5_000)
    win.close()
