"""The Kernel lab's charts read correctly: time ticks in the unit their axis names, roofline and
run-band names that never overlap, status symbols the font can draw, a sentence instead of empty
axes, and nothing cut off at the desk or on a projector, in either theme."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from chart_reading import RESULTS, TRACE, band_label_problems, roofline_problems
from PySide6.QtGui import QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QApplication, QLabel
from window_support import SHOTS_DIR, settle

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.ui.lab.lab_chart_area import LabChartArea, TimesChart, chart_ceilings
from gpuprof_gui.ui.lab.lab_files import read_recorded
from gpuprof_gui.ui.lab.lab_results import STATUS_STYLE, CandidateList, status_text
from gpuprof_gui.ui.lab.telemetry_view import TelemetryView
from gpuprof_gui.ui.style import theme

HERE = Path(__file__).resolve().parent
# Real medians of the saxpy recording at n = 16,777,216 (0.067–0.166 ms) and 0.39 ms,
# scaled to every magnitude a kernel's time may have.
BASE_MS = (0.0706, 0.0773, 0.166, 0.391)


DESCRIBE_TIMEOUT_MS = 60_000


@pytest.fixture
def lab_window(qtbot, window):
    """The window on its Kernel lab tab, once the lab has read its bundled candidate file: a describe
    worker still running when the window closes answers into a deleted object."""
    window.tabs.setCurrentWidget(window.lab)
    qtbot.waitUntil(lambda: not window.lab.controller._describing, timeout=DESCRIBE_TIMEOUT_MS)
    settle(qtbot)
    yield window
    # Presentation mode and the theme are the application's font and palette: give later tests theirs.
    window.actions_by_id["presentation"].setChecked(False)
    theme.set_theme(window, theme.SYSTEM, remember=False)


def _roofline_class():
    from gpuprof_gui.ui.lab import lab_chart_area

    return lab_chart_area.RooflineChart


def _saxpy_largest() -> tuple[lm.LabRun, list[lm.LabRecord]]:
    run, _trace = read_recorded(RESULTS)
    largest = max(r.size for r in run.records)
    return run, [r for r in run.records if r.size == largest]


def _show(qtbot, widget, width: int, height: int) -> None:
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    settle(qtbot)
    widget.grab()  # paint once: pyqtgraph places text items as it paints


# -- 1. the time axis -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scale", "unit"), [(1e-4, "ns"), (1e-1, "µs"), (1.0, "µs"), (10.0, "ms"), (1e2, "ms"), (1e4, "s")]
)
def test_time_ticks_read_in_the_unit_the_axis_names(qtbot, scale, unit):
    chart = TimesChart()
    records = [
        lm.LabRecord(f"k{i}", 1, correct=True, median_ms=ms * scale, p10_ms=ms * scale * 0.98, p90_ms=ms * scale * 1.02)
        for i, ms in enumerate(BASE_MS)
    ]
    chart.set_records(records)
    _show(qtbot, chart, 640, 420)
    axis = chart.plot_item.getAxis("bottom")
    label = axis.labelString()
    assert f"({unit})" in label and "(x" not in label, label  # one unit, named; no rescaling note
    per_unit = {"ns": 1e-6, "µs": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    values = [ms * scale / per_unit for ms in BASE_MS]  # the bars' medians, in the axis's unit
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis_spec, _tick_specs, text_specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    view = chart.plot_item.getViewBox()
    ticks = []
    for rect, _flags, text in text_specs:
        at = view.mapSceneToView(axis.mapToScene(rect.center())).x()  # where the tick stands, in data
        ticks.append((float(text), at))
    assert len(ticks) >= 2, ticks
    spacing = ticks[1][0] - ticks[0][0]
    for number, at in ticks:  # each tick says the value it stands at
        assert number == pytest.approx(at, abs=spacing * 0.02), ticks
    numbers = [n for n, _at in ticks]
    assert min(numbers) <= min(values) and max(values) <= max(numbers) + spacing, (numbers, values)
    assert 1 <= max(values) < 1000  # the unit suits the data


# -- 2. roofline names --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("width", "height"), [(900, 600), (520, 360), (360, 260)])
def test_roofline_names_never_overlap_for_six_nearly_equal_points(qtbot, width, height):
    run, records = _saxpy_largest()
    assert len({r.candidate for r in records}) >= 6
    chart = _roofline_class()()
    chart.set_records(records, chart_ceilings(run, run.records))
    _show(qtbot, chart, width, height)
    names = {r.candidate for r in records}
    assert not roofline_problems(chart, names)
    if width >= 900:  # room for all, in full
        assert sorted(label.toPlainText() for label in chart.point_labels if label.isVisible()) == sorted(names)


# -- 3. run-band names -------------------------------------------------------------------------------------------
def _shown_band_names(view: TelemetryView) -> list[str]:
    return [item.toPlainText() for _plot, item in view._band_items if hasattr(item, "toPlainText") and item.isVisible()]


def _many_short_bands() -> list[dict]:
    names = ["elementwise", "raw_naive", "raw_float4", "raw_float4_gridstride", "cupy", "numba"]
    bands, t = [], 0.0
    for i in range(18):
        length = (0.4, 1.5, 0.8)[i % 3]
        bands.append({"label": f"{names[i % len(names)]}_{i}", "t_begin": t, "t_end": t + length})
        t += length + 0.1
    return bands


@pytest.mark.parametrize(("width", "height"), [(900, 700), (480, 560)])
def test_band_names_never_overlap_when_runs_are_short_and_many(qtbot, width, height):
    view = TelemetryView()
    bands = _many_short_bands()
    view.set_extra_bands(bands)
    _show(qtbot, view, width, height)
    assert _shown_band_names(view), "no run is named"
    assert not band_label_problems(view, {b["label"] for b in bands})


def test_band_names_never_overlap_on_a_projector(qtbot, lab_window):
    window = lab_window
    window.resize(1920, 1080)
    assert window.lab.load_recorded(RESULTS, TRACE)
    window.actions_by_id["presentation"].setChecked(True)
    settle(qtbot)
    view = window.lab.telemetry
    bands = _many_short_bands()
    view.set_extra_bands(bands)
    settle(qtbot)
    window.grab()
    assert _shown_band_names(view), "no run is named"
    assert not band_label_problems(view, {b["label"] for b in bands})


# -- 4. status symbols -------------------------------------------------------------------------------------------
def test_status_symbols_are_ones_the_font_can_draw(qtbot):
    font = QApplication.font()
    metrics = QFontMetrics(font)
    for status in STATUS_STYLE:
        text = status_text(status)
        missing = [ch for ch in text if not metrics.inFontUcs4(ord(ch))]
        assert not missing, (status, text, missing)  # an empty box on screen
    assert status_text("timed_out").endswith("timed out")
    tree = CandidateList()
    qtbot.addWidget(tree)
    tree.set_candidates([{"name": "never_finishes"}])
    tree.add_record_status(lm.LabRecord("never_finishes", 1, status="timed_out"))
    shown = tree.status_of("never_finishes")
    assert "timed out" in shown and all(QFontMetrics(tree.font()).inFontUcs4(ord(ch)) for ch in shown), shown


# -- 5. nothing to chart -----------------------------------------------------------------------------------------
def _visible_sentences(widget, words: str) -> list[QLabel]:
    return [w for w in widget.findChildren(QLabel) if w.isVisible() and words in w.text()]


def test_without_results_a_sentence_replaces_empty_axes(qtbot):
    area = LabChartArea()
    area.show_records([], None)
    _show(qtbot, area, 700, 420)
    assert not area.times_chart.isVisible() and not area.roofline.isVisible()  # no meaningless 2–9 axes
    (sentence,) = _visible_sentences(area, "No kernel results yet")
    assert "run candidates or load a recorded run" in sentence.text()
    centre = sentence.mapTo(area, sentence.rect().center())
    assert abs(centre.x() - area.width() / 2) < 0.1 * area.width()
    assert abs(centre.y() - area.height() / 2) < 0.2 * area.height()
    run, _records = _saxpy_largest()
    area.show_records(run.records, run)
    settle(qtbot)
    assert area.times_chart.isVisible() and area.roofline.isVisible()
    assert not _visible_sentences(area, "No kernel results yet")


def test_telemetry_without_samples_says_so_instead_of_six_empty_plots(qtbot):
    view = TelemetryView()
    view.set_source(None)
    _show(qtbot, view, 500, 600)
    assert not view.graphics.isVisible()
    (sentence,) = _visible_sentences(view, "No GPU telemetry")
    centre = sentence.mapTo(view, sentence.rect().center())
    assert abs(centre.x() - view.width() / 2) < 0.1 * view.width()
    view.set_extra_bands([{"label": "a", "t_begin": 0.0, "t_end": 1.0}])  # something to show
    settle(qtbot)
    assert view.graphics.isVisible() and not _visible_sentences(view, "No GPU telemetry")


def test_a_lab_with_nothing_run_yet_shows_the_sentence(panel):
    assert not panel.records  # not shown: it has not looked for a bundled recording either
    assert "No kernel results yet" in panel.chart_area.empty_text()
    assert not panel.times_chart.isVisibleTo(panel) and not panel.roofline.isVisibleTo(panel)
    assert not panel.telemetry.graphics.isVisibleTo(panel)


def test_a_chart_with_nothing_at_its_size_says_why(qtbot):
    chart = TimesChart()
    chart.set_records([lm.LabRecord("broken", 1, status="failed")])
    _show(qtbot, chart, 400, 300)
    assert "No timings" in chart.message_text() and not chart.plot_item.isVisible()
    roofline = _roofline_class()()
    roofline.set_records([lm.LabRecord("a", 1, median_ms=1.0)], chart_ceilings(None, []))
    _show(qtbot, roofline, 400, 300)
    assert "roofline" in roofline.message_text() and not roofline.plot_item.isVisible()


# -- presentation, dark, small and large screens ---------------------------------------------------------------
@pytest.mark.parametrize("size", ["1024x768", "1920x1080"])
def test_charts_read_on_small_and_large_screens_at_the_desk_and_on_a_projector(tmp_path, size):
    """Each screen size needs a Qt application of its own (the offscreen platform is told the screen's
    size when it starts): the lab runs in a child process, light and dark, desk and projector."""
    width, height = (int(n) for n in size.split("x"))
    screen = {"name": "s", "x": 0, "y": 0, "width": width, "height": height}
    screen.update(logicalDpi=96, logicalBaseDpi=96, dpr=1)
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [screen]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[2]), str(HERE), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(HERE / "chart_reading.py"), size, str(SHOTS_DIR)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report) == 8  # as opened and maximized, desk and projector, light and dark
    broken = {case: shot["problems"] for case, shot in report.items() if shot["problems"]}
    assert not broken, json.dumps(broken, indent=1)
    both = ["TimesChart", "RooflineChart"]
    for case, shot in report.items():
        if "desk" in case or (size == "1920x1080" and "maximized" in case):
            assert shot["drawn"] == both, (case, shot)  # the room for both: both drawn, neither "too small"
