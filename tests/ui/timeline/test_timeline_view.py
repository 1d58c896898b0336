"""The GPU timeline canvas and panel on the real H200 traces: painted pixels, zoom and pan, tooltips,
clicks, the telemetry strip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent

from gpuprof_gui.core.gpu_timeline_marks import idle_marks
from gpuprof_gui.core.gpu_trace import load_gpu_trace, save_gpu_trace
from gpuprof_gui.gpu.trace_io import save_trace
from gpuprof_gui.ui.style.palette import TIMELINE_BAND_ALPHA, TIMELINE_MARKS, composite, theme_colours
from gpuprof_gui.ui.timeline.timeline_panel import NO_TELEMETRY, TimelinePanel

DATA = Path(__file__).resolve().parents[2] / "data" / "gpu"
KNOWN = DATA / "gputrace_known_h200.json"


@pytest.fixture
def panel(qtbot):
    view = TimelinePanel()
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_trace(load_gpu_trace(KNOWN))
    qtbot.wait(20)
    return view


def _pixel(canvas, x: float, y: float) -> str:
    return canvas.grab().toImage().pixelColor(int(x), int(y)).name()


def _row_y(canvas, i: int, share: float = 0.3) -> float:
    return canvas.row_top(i) + canvas.row_height() * share


def test_real_trace_paints_stream_rows_events_and_the_idle_gap_highlighted(panel):
    canvas = panel.canvas
    assert [r.label for r in canvas.rows] == ["CPU thread 1 · CUDA calls", "GPU stream 7"]
    image = canvas.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 5  # not blank
    c = theme_colours(False)
    gap = idle_marks(panel.trace)[0]  # 97 ms before the first copy
    band = composite(TIMELINE_MARKS[False][0], TIMELINE_BAND_ALPHA, c.base)
    x_gap = canvas.x_of((gap.start + gap.end) / 2)
    assert _pixel(canvas, x_gap, _row_y(canvas, 1)) == band  # the stream's lane, inside the gap: the band
    assert _pixel(canvas, x_gap, canvas._axis_h + 2) == TIMELINE_MARKS[False][0]  # the gap's bar under the axis
    copies = panel.trace.tables["copies"]
    x_copy = canvas.x_of((copies["start"][1] + copies["end"][1]) / 2)
    assert _pixel(canvas, x_copy, _row_y(canvas, 1)) == c.series[1]  # the 256 MiB D2H copy, in the copy colour
    assert canvas.last_paint_stats["rects"] >= 3


def test_wheel_zoom_and_drag_pan_keep_the_time_under_the_cursor(panel, qtbot):
    canvas = panel.canvas
    x = float(int(canvas.plot_left() + 0.3 * canvas.plot_width()))
    before = canvas.time_at(x)
    span = canvas.view_range[1] - canvas.view_range[0]
    pos = QPointF(x, _row_y(canvas, 1))
    for delta in (120, 120, -120, 240):
        wheel = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(), QPoint(0, delta), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
        canvas.wheelEvent(wheel)
        assert canvas.time_at(x) == pytest.approx(before, abs=span * 1e-9)
    assert canvas.view_range[1] - canvas.view_range[0] < span / 1.9  # three notches in: 1.25**3
    t_at = canvas.time_at(x)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=pos.toPoint())
    qtbot.mouseMove(canvas, (pos + QPointF(150, 0)).toPoint())
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=(pos + QPointF(150, 0)).toPoint())
    assert canvas.time_at(int(x) + 150) == pytest.approx(t_at, rel=1e-6)  # dragged right: the time came along
    zoomed = canvas.view_range
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert canvas.view_range[0] > zoomed[0]
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.view_range[1] - canvas.view_range[0] < zoomed[1] - zoomed[0]
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert canvas.view_range[1] - canvas.view_range[0] == pytest.approx(span)


def _kernel_pos(canvas, trace, i: int = 0) -> QPointF:
    k = trace.tables["kernels"]
    canvas.zoom_to(float(k["start"][i]), float(k["end"][i]))
    return QPointF(canvas.x_of((k["start"][i] + k["end"][i]) / 2), _row_y(canvas, 1))


def test_tooltip_names_the_kernel_and_the_python_line(panel):
    canvas = panel.canvas
    pos = _kernel_pos(canvas, panel.trace)
    text = canvas.tooltip_at(pos)
    assert "Kernel scale" in text and "gputrace_known.py:42 in launch_all" in text and "stream 7" in text
    gap = idle_marks(panel.trace)[0]
    canvas.zoom_to(gap.start, gap.end)
    text = canvas.tooltip_at(QPointF(canvas.x_of((gap.start + gap.end) / 2), canvas._axis_h + 2))
    assert "GPU idle 97.1 ms" in text and "gputrace_known.py:51" in text


def test_clicking_an_event_emits_its_line(panel, qtbot):
    canvas = panel.canvas
    pos = _kernel_pos(canvas, panel.trace).toPoint()
    with qtbot.waitSignal(panel.line_clicked, timeout=2000) as got:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert got.args == ["tests/data/gpu/gputrace_known.py", 42]


def test_a_mark_clicked_in_the_summary_zooms_the_timeline_to_it(panel):
    summary = panel.summary
    assert "GPU busy 56.6%" in summary.figures.text() and "10 kernel launches" in summary.figures.text()
    first = summary.shown_marks[0]
    summary.marks.itemClicked.emit(summary.marks.item(0))
    t0, t1 = panel.canvas.view_range
    assert t0 <= first.start and first.end <= t1 and (t1 - t0) < 2 * first.duration


def test_telemetry_strip_sits_on_the_trace_axis_or_a_note_says_there_is_none(panel, tmp_path):
    trace = load_gpu_trace(KNOWN)
    assert panel.telemetry_note.text() == NO_TELEMETRY and panel.canvas.telemetry is None
    trace.meta["clock"]["monotonic_ns"] = 10_000_000_000
    t = np.linspace(0.0, 1.0, 11)
    save_trace({"synthetic": True, "recorded_at": "2026-12-03T00:00:00+00:00", "host": "test", "sample_hz": 10.0,
                "t0_wall": 0.0, "t0_monotonic": 9.9,
                "devices": [{"index": 0, "name": "test GPU", "uuid": "", "util_source": "test",
                             "series": {"gpu_util_pct": (t, t * 100), "memory_used_mib": (t, t * 0 + 500)}}],
                "bands": []}, tmp_path / "x.gpu-telemetry.json")  # fmt: skip
    panel.set_trace(trace, str(tmp_path / "x.gpu-telemetry.json"))
    assert panel.telemetry_note.isHidden()
    t_ns, util, t_memory_ns, memory = panel.canvas.telemetry
    assert t_ns[0] == pytest.approx(-100_000_000) and t_ns[-1] == pytest.approx(900_000_000)  # 9.9 s vs 10 s
    assert util[-1] == 100.0
    # memory on its own (polled) sample times, not squeezed onto the driver's utilisation samples
    assert t_memory_ns[-1] == pytest.approx(900_000_000) and memory[-1] == 500.0
    image_with = panel.canvas.grab().toImage()
    assert image_with.height() > 0
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    panel.set_trace(trace, str(tmp_path / "bad.json"))
    assert "could not be read" in panel.telemetry_note.text() and panel.canvas.telemetry is None


def test_presentation_and_dark_theme_restyle_the_canvas(panel, qtbot):
    from PySide6.QtWidgets import QApplication

    from gpuprof_gui.ui.style import theme

    normal_h = panel.canvas._line_h
    font = QApplication.font()
    try:
        theme.apply("dark", True)
        panel.set_presentation(True)
        qtbot.wait(20)
        assert panel.canvas._line_h > normal_h
        assert _pixel(panel.canvas, 2, panel.canvas.height() - 2) == theme_colours(True, True).base
    finally:
        theme.apply("light", False)
        QApplication.setFont(font)
        panel.set_presentation(False)
    assert _pixel(panel.canvas, 2, panel.canvas.height() - 2) == QColor(theme_colours(False).base).name()


def test_save_and_reload_keeps_the_rows(tmp_path):
    trace = load_gpu_trace(KNOWN)
    save_gpu_trace(trace, tmp_path / "t.gpu-trace.json")
    again = load_gpu_trace(tmp_path / "t.gpu-trace.json")
    assert json.dumps(again.meta["device"]) == json.dumps(trace.meta["device"])
