"""The Offload advisor on small screens and on a projector: the chart's words keep off its curves,
its s axis spans the measured values, "Show all" gives every step its height, empty figures say
why they are empty, and the whole tab fits 1000 × 600 (1000 × 620 in presentation mode) with no
label cut off."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel
from window_support import SHOTS_DIR, clipped_labels

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.core.advice_session import load_session
from gpuprof_gui.core.loaded import prepare
from gpuprof_gui.ui.advisor.advisor_panel import AdvisorPanel
from gpuprof_gui.ui.advisor.advisor_state import ASSUME_BUTTON, NEEDS_GPU
from gpuprof_gui.ui.advisor.advisor_style import font_for

pytestmark = pytest.mark.timeout(180)

DATA = Path(__file__).resolve().parents[2] / "data"
H100_SESSION = DATA / "advisor" / "session_heat_h100.json"  # recorded on an H100 (device, host, date inside)
SAXPY_RUN = DATA / "lab" / "session_saxpy_h100" / "lab_results.json"  # a real H100 lab run of SAXPY
SAXPY_TRACE = DATA / "lab" / "session_saxpy_h100" / "telemetry.json"
DESK, PROJECTOR = (1000, 600), (1000, 620)
"""What is left of a 1024 × 768 screen for the tab, at desk sizes and at 20 pt."""


def _settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


@pytest.fixture
def make_panel(qtbot):
    """A shown advisor panel of a given size with one of the states a user meets."""

    def make(scenario: str, presentation: bool = False, size: tuple[int, int] = DESK) -> AdvisorPanel:
        panel = AdvisorPanel()
        qtbot.addWidget(panel)
        session = load_session(str(H100_SESSION))
        if scenario == "session":
            panel.set_session(session, "session_heat_h100.json")
        elif scenario in ("refused", "assumed"):  # the heat profile with a lab run made for SAXPY
            diffuse = [i for i, f in enumerate(session.profile.functions) if f.name == "diffuse"]
            panel.set_profile(session.profile, diffuse)
            panel.set_lab_run(lm.load_run(str(SAXPY_RUN)))
            if scenario == "assumed":
                panel.toggle_assumption()
        panel.set_presentation(presentation)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        _settle()
        return panel

    return make


def _shot(widget, name: str) -> None:
    widget.grab().save(str(SHOTS_DIR / f"advisor_{name}.png"))


# -- the chart's words ---------------------------------------------------------------------------
def _scene_polyline(chart, curve) -> list[QPointF]:
    vb = chart.plot_item.getViewBox()
    xs, ys = curve.getData()  # log10 s (log mode), S
    return [vb.mapViewToScene(QPointF(float(x), float(y))) for x, y in zip(xs, ys, strict=True)]


def _meets(rect: QRectF, points: list[QPointF]) -> bool:
    """Whether the polyline through ``points`` enters ``rect`` (sampled every half pixel)."""
    for a, b in itertools.pairwise(points):
        steps = max(1, math.ceil(math.hypot(b.x() - a.x(), b.y() - a.y()) * 2))
        for i in range(steps + 1):
            t = i / steps
            if rect.contains(QPointF(a.x() + (b.x() - a.x()) * t, a.y() + (b.y() - a.y()) * t)):
                return True
    return False


def _texts(chart) -> list[pg.TextItem]:
    return [i for i in chart.plot_item.getViewBox().addedItems if isinstance(i, pg.TextItem) and i.isVisible()]


@pytest.mark.parametrize(
    ("scenario", "presentation", "size"),
    [
        ("session", False, DESK),
        ("session", False, (1600, 900)),
        ("session", True, PROJECTOR),
        ("session", True, (1900, 960)),
        ("assumed", False, DESK),
        ("assumed", False, (1600, 900)),
        ("assumed", True, (1900, 960)),
        ("refused", True, PROJECTOR),
    ],
)
def test_chart_texts_keep_off_the_curves_and_each_other(make_panel, scenario, presentation, size):
    panel = make_panel(scenario, presentation, size)
    chart = panel.chart
    chart.grab()  # painted: every text's transform is up to date
    curves = [_scene_polyline(chart, c) for c in (chart.curve, chart.transfer_curve) if c is not None]
    plot = chart.plot_item.getViewBox().sceneBoundingRect()
    texts = _texts(chart)
    rects = [t.sceneBoundingRect() for t in texts]
    assert texts
    for text, rect in zip(texts, rects, strict=True):
        words = text.toPlainText()[:40]
        assert plot.adjusted(-0.5, -0.5, 0.5, 0.5).contains(rect), (words, rect, plot)
        assert not any(_meets(rect, curve) for curve in curves), words
    for i, a in enumerate(rects):
        for j in range(i + 1, len(rects)):
            assert not a.intersects(rects[j]), (texts[i].toPlainText()[:40], texts[j].toPlainText()[:40])
    shown = " ".join(t.toPlainText() for t in texts)
    advice = panel.advice
    if advice.candidate:
        assert advice.candidate in shown  # the best candidate is always named
    if scenario == "session" and not presentation:  # two candidates far apart: each labelled
        assert all(c["name"] in shown for c in advice.candidates)
    _shot(panel, f"chart_{scenario}_{'pres' if presentation else 'desk'}_{size[0]}")


def test_s_axis_spans_the_measured_values_not_ten_thousand(make_panel):
    for scenario in ("session", "assumed"):
        panel = make_panel(scenario)
        speedups = [c["kernel_speedup"] for c in panel.advice.candidates]
        lo, hi = panel.chart.plot_item.getViewBox().viewRange()[0]  # log10 s
        assert lo <= 0.0  # 1×, no gain, is on the axis
        assert math.log10(max(speedups)) + 0.2 < hi <= math.log10(max(speedups)) + 1.0, (scenario, hi)
        assert lo > -0.5  # and not much below it
    refused = make_panel("refused")  # no s at all: up to where the curve flattens
    p = refused.advice.p
    hi = refused.chart.plot_item.getViewBox().viewRange()[0][1]
    assert math.log10(p / (1 - p) * 19) <= hi <= 3.0  # S within 5% of the limit, not 10,000×


# -- the teaching view -----------------------------------------------------------------------------
@pytest.mark.parametrize(("presentation", "size"), [(False, DESK), (True, PROJECTOR), (False, (1600, 900))])
def test_show_all_gives_every_step_its_natural_height(make_panel, presentation, size):
    panel = make_panel("session", presentation, size)
    view = panel.teaching
    view.set_index(2)
    count = len(view.cards)
    assert count == 6 and view.counter.text() == "3 / 6"
    view.all_button.click()
    _settle()
    assert view.counter.text() == f"all {count}"
    viewport = view.scroll_area.viewport()
    natural = [card.heightForWidth(card.width()) for card in view.cards]
    for card, need in zip(view.cards, natural, strict=True):
        assert card.isVisible()
        assert card.height() >= need - 1, (card.step.key, card.height(), need)  # nothing squeezed
        assert card.width() <= viewport.width()  # nor cut at the right
    bar = view.scroll_area.verticalScrollBar()
    assert view.container.height() >= sum(natural)
    assert bar.maximum() >= view.container.height() - viewport.height() > 0  # scrolls to every step
    if not presentation:  # at a desk the box holds a whole step, at least: never a slice of one
        assert viewport.height() >= max(natural)
    assert clipped_labels(view) == []
    _shot(panel, f"show_all_{'pres' if presentation else 'desk'}_{size[0]}")
    view.all_button.click()
    _settle()
    assert view.counter.text() == "3 / 6" and [c.isVisible() for c in view.cards].count(True) == 1


# -- why the GPU figures are empty -----------------------------------------------------------------
def test_a_refused_lab_run_is_the_reason_given_not_a_missing_gpu(qtbot, window):
    """The heat profile in the window and the recorded SAXPY lab run in the Kernel lab tab."""
    session = load_session(str(H100_SESSION))
    window.show_loaded(prepare(session.profile))
    assert window.lab.load_recorded(str(SAXPY_RUN), str(SAXPY_TRACE))
    panel = window.advisor
    window.tabs.setCurrentWidget(panel)
    _settle()
    assert panel.fit_row.isVisible() and panel.advice.kernel_speedup is None
    note = panel.chart.note.toPlainText()
    assert "SAXPY" in note and "another function" in note and "needs a GPU" not in note
    caption = panel.amdahl.formulas["s"].text()
    assert "SAXPY" in caption and ASSUME_BUTTON in caption
    for key in ("bytes", "gbps", "transfer", "setup", "be_time", "be_bytes", "be_s"):
        caption = panel.transfers.formulas[key].text()
        assert NEEDS_GPU not in caption and "SAXPY" in caption, (key, caption)
    words = [label.text() for label in panel.findChildren(QLabel) if label.isVisible()]
    assert not [w for w in words if "needs a GPU" in w]
    panel.assume_button.click()  # taken: the figures are there, labelled ASSUMED
    assert panel.advice.kernel_speedup is not None and panel.chart.note is None
    assert panel.amdahl.formulas["s"].text().startswith("CPU time / GPU kernel time")
    panel.assume_button.click()  # refused again: the reason comes back
    assert "another function" in panel.chart.note.toPlainText()


# -- small screens -----------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", ["session", "refused", "assumed", "empty"])
@pytest.mark.parametrize(("presentation", "size"), [(False, DESK), (True, PROJECTOR)])
def test_the_tab_fits_a_1024_by_768_screen(make_panel, scenario, presentation, size):
    panel = make_panel(scenario, presentation, size)
    hint = panel.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], hint
    assert clipped_labels(panel) == []
    chart = panel.chart
    # The chart's title and legend fit the chart: a long one held the plot wider than the widget.
    assert chart.plot_item.sceneBoundingRect().width() <= chart.viewport().width() + 1
    title_font = font_for("value", presentation)
    assert chart.title_shown and chart.title_full.startswith("Amdahl's law")
    if chart.title_shown != chart.title_full:
        assert chart.plot_item.titleLabel.toolTip() == chart.title_full  # elided, the whole in the tooltip
    assert QFontMetrics(title_font).horizontalAdvance(chart.title_shown) <= chart.viewport().width()
    if presentation:  # a class sees the chart and the current step whole, without scrolling
        screen = panel.stage.column_area.viewport()
        for part in (chart, panel.teaching):
            assert screen.rect().contains(QRect(part.mapTo(screen, QPoint(0, 0)), part.size())), part
    if scenario in ("refused", "assumed"):  # the banner: one bold lead, normal body, two lines at most
        label = panel.fit_label
        assert not label.font().bold() and label.text().count("<b>") == 1
        lines = (label.contentsRect().height() + 2) // QFontMetrics(label.font()).lineSpacing()
        assert lines <= 2, label.text()
    _shot(panel, f"fit_{scenario}_{'pres' if presentation else 'desk'}")


def test_presentation_mode_in_the_window_asks_for_no_more_than_a_small_screen(qtbot, window):
    assert window.open_advice_session(str(H100_SESSION))
    window.tabs.setCurrentWidget(window.advisor)
    window.actions_by_id["presentation"].setChecked(True)
    try:
        _settle()
        hint = window.advisor.minimumSizeHint()
        assert hint.width() <= PROJECTOR[0] and hint.height() <= PROJECTOR[1], hint
    finally:
        window.actions_by_id["presentation"].setChecked(False)  # the application font back for later tests


def test_clipped_labels_finds_cut_words_and_passes_elided_ones(qtbot):
    from PySide6.QtWidgets import QWidget

    root = QWidget()
    qtbot.addWidget(root)
    root.resize(200, 200)
    words = "a sentence far too long for the room it has been given here"
    narrow = QLabel(words, root)
    narrow.setGeometry(0, 0, 60, 30)  # its own rectangle is too small
    elided = QLabel(QFontMetrics(narrow.font()).elidedText(words, Qt.TextElideMode.ElideRight, 60), root)
    elided.setToolTip(words)
    elided.setGeometry(0, 40, 60, 30)
    box = QWidget(root)
    box.setGeometry(0, 80, 80, 40)
    spill = QLabel("wider than its parent", box)
    spill.setGeometry(0, 0, 400, 30)  # fits itself, cut by the parent
    wrapped = QLabel(words, root)
    wrapped.setWordWrap(True)
    wrapped.setGeometry(0, 130, 200, wrapped.heightForWidth(200))
    root.show()
    qtbot.waitExposed(root)
    found = " ".join(clipped_labels(root))
    assert "a sentence" in found and "wider than" in found
    assert found.count("a sentence") == 1  # the elided one and the wrapped one fit


def test_the_header_lines_are_as_tall_as_their_text_after_presentation_mode(make_panel):
    panel = make_panel("refused")
    before = {label: label.height() for label in (panel.source_label, panel.headline)}
    panel.set_presentation(True)
    _settle()
    assert panel.source_label.text().endswith("…") and panel.source_label.toolTip()  # one line on a projector
    panel.set_presentation(False)
    _settle()
    for label, height in before.items():
        assert label.height() == height == label.heightForWidth(label.width()), label.text()[:40]
    assert not panel.source_label.toolTip()
