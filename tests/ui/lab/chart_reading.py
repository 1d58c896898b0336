"""What makes a lab chart unreadable, measured on the widgets as drawn: each function returns the
problems it finds, in words ([] when the chart reads). The chart tests use them in the test
process and in a child process per screen size (``python chart_reading.py WIDTHxHEIGHT``).
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QLineF, QPointF
from PySide6.QtGui import QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[3]
SAXPY = REPO / "tests" / "data" / "lab" / "session_saxpy_h100"
RESULTS, TRACE = str(SAXPY / "lab_results.json"), str(SAXPY / "telemetry.json")


def overlapping(rects) -> list[tuple[int, int]]:
    return [(i, j) for (i, a), (j, b) in itertools.combinations(enumerate(rects), 2) if a.intersects(b)]


def _is_name(text: str, names: set[str]) -> bool:
    """``text`` is one of ``names``, or one cut short with "…" (at its end or in its middle)."""
    if text in names:
        return True
    head, _dots, tail = text.partition("…")
    return bool(_dots) and any(n.startswith(head) and n.endswith(tail) for n in names)


def roofline_problems(chart, names: set[str]) -> list[str]:
    """Candidate labels that overlap, stick out of the plot, or whose leader lines cross."""
    view = chart.plot_item.getViewBox()
    area = view.sceneBoundingRect().adjusted(-1, -1, 1, 1)
    labels = [label for label in chart.point_labels if label.isVisible()]
    rects = [label.sceneBoundingRect() for label in labels]
    texts = [label.toPlainText() for label in labels]
    problems = [] if labels else ["no candidate is named on the roofline"]
    problems += [f"roofline labels overlap: {texts[i]!r} and {texts[j]!r}" for i, j in overlapping(rects)]
    problems += [f"roofline label cut off: {t!r}" for t, r in zip(texts, rects, strict=True) if not area.contains(r)]
    problems += [f"roofline label is no candidate's name: {t!r}" for t in texts if not _is_name(t, names)]
    leaders = []
    for item in chart.plot_item.items:
        if type(item).__name__ == "PlotCurveItem" and item.isVisible() and item.xData is not None:
            xs, ys = item.xData, item.yData
            if len(xs) == 2:
                a = view.mapViewToScene(QPointF(float(xs[0]), float(ys[0])))
                b = view.mapViewToScene(QPointF(float(xs[1]), float(ys[1])))
                leaders.append(QLineF(a, b))
    for a, b in itertools.combinations(leaders, 2):
        if a.intersects(b)[0] == QLineF.IntersectionType.BoundedIntersection:
            problems.append("two roofline leader lines cross")
    legend = chart.plot_item.legend
    if legend is not None and legend.isVisible():
        problems += [
            f"the key covers {t!r}"
            for t, r in zip(texts, rects, strict=True)
            if legend.sceneBoundingRect().intersects(r)
        ]
    return problems


def band_label_problems(view, names: set[str]) -> list[str]:
    """Run names over the telemetry bands that overlap, stick out of the plot, or are no run's name."""
    labels = [item for _plot, item in view._band_items if hasattr(item, "toPlainText") and item.isVisible()]
    rects = [label.sceneBoundingRect() for label in labels]
    texts = [label.toPlainText() for label in labels]
    area = view.plots[0].getViewBox().sceneBoundingRect().adjusted(-1, -1, 1, 1)
    problems = [f"run names overlap: {texts[i]!r} and {texts[j]!r}" for i, j in overlapping(rects)]
    problems += [f"run name cut off: {t!r}" for t, r in zip(texts, rects, strict=True) if not area.contains(r)]
    problems += [f"not a run's name: {t!r}" for t in texts if not _is_name(t, names)]
    tips = {rect.toolTip() for _i, rect, _t0, _t1 in view._band_rects}
    if tips != names:
        problems.append(f"bands without their run's name as tooltip: {sorted(names - tips)}")
    return problems


def chart_problems(chart) -> list[str]:
    """A chart not drawn (only its "too small" sentence), wider than its view, or with a cut axis label."""
    name = type(chart).__name__
    if chart.message_text():  # too small to be read: it says so, in a sentence that fits
        fits = chart.message.heightForWidth(chart.width()) <= chart.height()
        return [] if fits else [f"{name}: its sentence does not fit {chart.width()}x{chart.height()} px"]
    plot = chart.plot_item
    problems = []
    if plot.geometry().width() > chart.viewport().width() + 0.5:  # cut off at the right: title, ticks, values
        problems.append(f"{name}: the plot is {plot.geometry().width():.0f} px wide in {chart.viewport().width()}")
    if hasattr(chart, "shown_names"):  # the time chart: every bar named (pyqtgraph drops names that overlap)
        image = QImage(8, 8, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            drawn = [text for _rect, _flags, text in plot.getAxis("left").generateDrawSpecs(painter)[2]]
        finally:
            painter.end()
        if len(drawn) < chart.bar_count():
            problems.append(f"{name}: {chart.bar_count()} bars, {len(drawn)} names shown ({drawn})")
    view = plot.getViewBox().sceneBoundingRect()
    for side in ("bottom", "left"):
        axis = plot.getAxis(side)
        if not axis.label.isVisible():  # left out where even its shortest form had no room
            continue
        label = axis.label.mapRectToScene(axis.label.boundingRect())
        if side == "bottom" and not (view.left() - 1 <= label.left() and label.right() <= view.right() + 1):
            problems.append(f"{name}: the {side} axis label {axis.labelText!r} runs past the plot")
        if side == "left" and not (view.top() - 1 <= label.top() and label.bottom() <= view.bottom() + 1):
            problems.append(f"{name}: the {side} axis label {axis.labelText!r} runs past the plot")
    return problems


def lab_problems(lab, process_events) -> tuple[list[str], list[str]]:
    """Both charts of a lab showing the saxpy recording (each in turn where they take turns), and its
    telemetry: the problems, and which charts are drawn (the others say they are too small)."""
    from gpuprof_gui.ui.lab.lab_files import read_recorded

    run, _trace = read_recorded(RESULTS)
    names = {r.candidate for r in run.records}
    problems, drawn = [], []
    area = lab.chart_area
    columns = lab.columns  # on a narrow window the charts and the telemetry are tabs of one column
    if columns.narrow:
        columns.tabs.setCurrentWidget(area)
        process_events()
    for index, chart in enumerate((lab.times_chart, lab.roofline)):
        if area.one_at_a_time():
            area.chart_tabs.setCurrentIndex(index)
            process_events()
        lab.window().grab()  # paint: pyqtgraph places text items as it paints
        if not chart.isVisible():
            problems.append(f"{type(chart).__name__} is not shown")
            continue
        problems += chart_problems(chart)
        if not chart.message_text():
            drawn.append(type(chart).__name__)
        if chart is lab.roofline and not chart.message_text():
            problems += roofline_problems(chart, names)
    if columns.narrow:
        columns.tabs.setCurrentWidget(lab.telemetry)
        process_events()
        lab.window().grab()
    graphics = lab.telemetry.graphics
    if graphics.ci.geometry().width() > graphics.viewport().width() + 0.5:
        problems.append("the telemetry plots are wider than their view (a title too long)")
    if graphics.ci.geometry().height() > graphics.viewport().height() + 0.5:
        problems.append("the telemetry plots are cut off at the bottom")
    for plot in lab.telemetry.plots:  # a title over its y ticks, or ticks over each other
        if plot.getViewBox().height() < QFontMetrics(QApplication.font()).height() * 1.2:
            problems.append(f"telemetry plot {plot.titleLabel.text[:20]!r} is {plot.getViewBox().height():.0f} px tall")
    problems += band_label_problems(lab.telemetry, names)
    return problems, drawn


def main(size: str, shots: str) -> int:
    """In a Qt application whose offscreen screen is ``size``: the lab with the saxpy recording in
    the window as it opens and maximized, at the desk and on a projector, light and dark; prints
    {case: {"problems", "drawn", "window"}} as JSON."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from gpuprof_gui.ui.shell.main_window import MainWindow
    from gpuprof_gui.ui.style import theme

    def process_events(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.show()
    win.tabs.setCurrentWidget(win.lab)
    end = time.monotonic() + 60
    while win.lab.controller._describing and time.monotonic() < end:
        process_events(0.05)
    assert win.lab.load_recorded(RESULTS, TRACE)
    report = {}
    for window in ("opened", "maximized"):
        if window == "maximized":
            win.showMaximized()
        for theme_name in (theme.LIGHT, theme.DARK):
            for presentation in (False, True):
                theme.set_theme(win, theme_name, remember=False)
                win.actions_by_id["presentation"].setChecked(presentation)
                process_events()
                case = f"{size}-{window}-{'presentation' if presentation else 'desk'}-{theme_name}"
                problems, drawn = lab_problems(win.lab, process_events)
                report[case] = {"problems": problems, "drawn": drawn, "window": [win.width(), win.height()]}
                win.grab().save(str(Path(shots) / f"win_lab_charts_{case}.png"))
    print(json.dumps(report))
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
