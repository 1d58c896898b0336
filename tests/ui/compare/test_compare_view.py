"""The Compare tab: differential flame graph colours and the delta table, on real cProfile runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from window_support import distinct_colours, save_shot, settle

from gpuprof_gui.core import diff as dm
from gpuprof_gui.core.importers.folded_import import import_folded
from gpuprof_gui.core.session import Session, save_session
from gpuprof_gui.ui.compare import compare_window
from gpuprof_gui.ui.compare.compare_view import GROWN, SHRUNK, diff_colours

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[3]

SCRIPT = """\
def steady():
    total = 0
    for i in range(900_000):
        total += i * i
    return total

def changing():
    total = 0
    for i in range({n}):
        total += i * i
    return total

def main():
    steady()
    changing()

main()
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same script twice (same file name, as when one edits it): `changing` 20× slower in B.

    20×, not 4×: `changing` then grows by ~0.4 s, far more than `steady` (~60 ms) can drift
    on a loaded 2-core machine; at 4× the two were within reach of each other there.
    """
    root = tmp_path_factory.mktemp("runs")
    paths = []
    for name, n in (("a", 300_000), ("b", 6_000_000)):
        folder = root / name
        folder.mkdir()
        script = folder / "work.py"
        script.write_text(SCRIPT.format(n=n))
        out = root / f"{name}.prof"
        subprocess.run(
            [sys.executable, "-m", "gpuprof_gui.cli", "profile", str(script), "--output", str(out)],
            check=True,
            capture_output=True,
            timeout=120,
            # No call-path sampler: its core would be one more source of timing noise here.
            env={**os.environ, "PYTHONPATH": str(REPO), "GPUPROF_CALL_PATH_SAMPLES": "0"},
        )
        paths.append(out)
    return paths


def test_buckets_step_with_the_relative_change():
    a = import_folded("main;same 100\nmain;grew 10\nmain;shrank 100\nmain;gone 10\n")
    b = import_folded("main;same 100\nmain;grew 40\nmain;shrank 60\nmain;new 20\n")  # same total: shares compare
    d = dm.diff_tree(a, b)
    by_name = {d.functions[int(f)].name: int(i) for i, f in enumerate(d.tree.func) if f >= 0}
    buckets = dm.diff_buckets(d)
    neutral = dm.DIFF_NEUTRAL_BUCKET
    assert buckets[by_name["same"]] == neutral
    assert buckets[by_name["new"]] == dm.DIFF_N_BUCKETS - 1  # only in B: the strongest growth
    assert buckets[by_name["gone"]] == 0  # only in A: the strongest shrink
    assert neutral < buckets[by_name["grew"]] and buckets[by_name["shrank"]] < neutral
    assert len(diff_colours(False)) == dm.DIFF_N_BUCKETS == len(SHRUNK) + 1 + len(GROWN)


def test_compare_shows_the_slowed_function_first_and_red(qtbot, window, two_runs):
    base, slowed = two_runs
    shown = []
    window.profile_shown.connect(shown.append)
    window.open_profile(str(slowed))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    compared = []
    window.compare.compared.connect(lambda: compared.append(True))
    compare_window.compare_with(window, str(base))
    qtbot.waitUntil(lambda: bool(compared), timeout=30_000)
    panel = window.compare
    assert window.tabs.currentWidget() is panel
    assert panel.top_function() == "changing"
    assert panel.table.item(0, 0).text() == "changing" and panel.table.item(0, 1).text().startswith("+")
    d = panel.diff
    node = next(i for i, f in enumerate(d.tree.func) if f >= 0 and d.functions[int(f)].name == "changing")
    assert dm.diff_buckets(d)[node] >= dm.DIFF_N_BUCKETS - 2  # grew 20×: one of the two strongest reds
    steady = next(i for i, f in enumerate(d.tree.func) if f >= 0 and d.functions[int(f)].name == "steady")
    rel = dm.relative_change(d)
    # Unchanged code moves only by timing noise (up to ~30% on a loaded 2-core CI machine),
    # well below the 4x growth (relative change 0.75).
    assert abs(rel[steady]) < rel[node] / 2
    assert "changing" in panel.canvas.tooltip_for(node) and "A " in panel.canvas.tooltip_for(node)
    assert "B is +" in panel.header.text()
    settle(qtbot)
    image = window.grab().toImage()
    save_shot(window, "compare")
    assert distinct_colours(image, 0, 0, image.width(), image.height() // 2) >= 6
    window.set_presentation(True)
    window.set_presentation(False)


def test_bad_baseline_says_why_and_the_window_keeps_working(qtbot, window, two_runs, tmp_path):
    shown = []
    window.profile_shown.connect(shown.append)
    window.open_profile(str(two_runs[1]))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    bad = tmp_path / "broken.prof"
    bad.write_bytes(b"\x00not marshal data")
    compare_window.compare_with(window, str(bad))
    qtbot.waitUntil(lambda: "broken.prof" in window.status_text(), timeout=30_000)
    assert window.compare.diff is None
    compared = []
    window.compare.compared.connect(lambda: compared.append(True))
    compare_window.compare_with(window, str(two_runs[0]))
    qtbot.waitUntil(lambda: bool(compared), timeout=30_000)


def test_a_session_file_is_a_baseline_too(qtbot, window, two_runs, tmp_path):
    from gpuprof_gui.core.importers import load_profile

    session_path = tmp_path / "base.gpuprof-session.json"
    save_session(Session(title="yesterday", profile=load_profile(two_runs[0], trusted=True)), session_path)
    shown = []
    window.profile_shown.connect(shown.append)
    window.open_profile(str(two_runs[1]))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    compare_window.compare_with(window, str(session_path))
    assert window.compare.top_function() == "changing"
    assert "yesterday" in window.compare.header.text()


def test_compare_without_a_profile_asks_for_one(window):
    compare_window.choose_baseline(window)
    assert "first" in window.status_text()


@pytest.mark.slow
def test_gui_compare_option_writes_a_screenshot(two_runs, tmp_path):
    shot = tmp_path / "compare.png"
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "gui",
            str(two_runs[1]),
            "--compare",
            str(two_runs[0]),
            "--tab",
            "compare",
            "--screenshot",
            str(shot),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "largest change in changing" in proc.stderr
    from PySide6.QtGui import QColor, QImage

    image = QImage(str(shot))
    assert image.width() > 1000 and distinct_colours(image, 0, 0, image.width(), image.height() // 2) >= 6
    strongest_red = QColor(GROWN[-1]).rgb()
    pixels = {image.pixel(x, y) for x in range(0, image.width(), 4) for y in range(0, image.height() // 2, 4)}
    assert strongest_red in pixels  # the 20× slower function is drawn in the strongest red
