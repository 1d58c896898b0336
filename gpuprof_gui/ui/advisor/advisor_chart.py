"""The Amdahl chart: whole-program speed-up S against the kernel speed-up s (log axis).

Two curves (kernel only; with copies and start-up), the Amdahl limit as a dashed
line, the break-even kernel speed-up as a vertical marker, and the lab's measured
candidates as labelled points on the curves at their own s. The s axis spans the
measured values with some margin, not a fixed 1× to 10,000×. Every text is placed
in free room next to what it names (:mod:`advisor_labels`), again at each resize.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QWidget

from gpuprof_gui.core.advice_text import times
from gpuprof_gui.core.advisor import Advice, amdahl_speedup, speedup_curve
from gpuprof_gui.ui.advisor.advisor_chart_texts import PlacedText, PlotMarks, place_texts
from gpuprof_gui.ui.advisor.advisor_labels import decade_ticks, tick_text
from gpuprof_gui.ui.advisor.advisor_style import font_for
from gpuprof_gui.ui.style.palette import ADVISOR, CHART_LABEL_ALPHA, qcolour

S_MIN = 1.0
"""The axis starts at no gain (lower only when a candidate is slower than NumPy)."""
S_HEADROOM = 3.0
"""The axis ends half a decade (×3) past the largest measured s: room for its marker and label."""
MIN_DECADES = 1.0
"""At least 1× to 10×, so the curve's bend shows even when every s is small."""
PLATEAU = 0.95
"""With no s measured, the axis runs to where the curve reaches 95% of its limit."""
EDGE_PX = 6
"""Blank room beyond half the end tick labels at each end of the s axis: they are drawn whole."""
CURVE_POINTS = 300
EMPTY_Y_MAX = 4.0  # the empty chart's axis: speed-ups, not fractions
Y_HEADROOM = 1.15
"""The y axis ends 15% above the limit: room for the limit's label over its line."""
TEXT_Z = 20  # texts over the grid, the curves and the leaders
TITLE_MARGIN_PX = 16
"""Room right of the plot and around the title, within the widget."""
AMDAHL_COLOUR = ADVISOR.amdahl
TRANSFER_COLOUR = ADVISOR.transfer
LIMIT_COLOUR = ADVISOR.limit
BREAK_EVEN_COLOUR = ADVISOR.break_even
MEASURED_COLOUR = ADVISOR.measured
NOTE_COLOUR = ADVISOR.chart_note
NO_S_NOTE = "s needs a GPU: the kernel lab measures it."
POINT_STYLES = tuple(zip(("o", "s", "t", "d", "h", "star", "p", "x"), ADVISOR.series, "●■▼◆⬢★⬟✕", strict=True))
"""pyqtgraph symbol, colour, and the same shape as a character for a shared label. Symbols cycle
with colours so points stay apart in greyscale."""


def _label_box() -> QBrush:
    """A label's box: the chart's white, translucent over the grid under it."""
    return pg.mkBrush(qcolour(ADVISOR.chart, CHART_LABEL_ALPHA))


def speedup_range(advice: Advice | None) -> tuple[float, float]:
    """The s axis, from the data: the candidates, the best s and break-even, with ``S_HEADROOM``."""
    if advice is None:
        return S_MIN, 10**MIN_DECADES
    values = [float(c["kernel_speedup"]) for c in advice.candidates if c.get("kernel_speedup")]
    for s in (advice.kernel_speedup, advice.break_even_kernel_speedup):
        if s:
            values.append(float(s))
    if not values and 0 < advice.p < 1:  # no GPU figures: where the kernel-only curve flattens
        values.append(advice.p / ((1 - advice.p) * (1 / PLATEAU - 1)))
    lo = min([S_MIN, *values])
    hi = max([lo * 10**MIN_DECADES, *(S_HEADROOM * v for v in values)])
    return lo, hi


class AmdahlChart(pg.PlotWidget):
    """Redrawn as a whole from an :class:`Advice` (a few hundred points: instant)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=ADVISOR.chart)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys page the teaching view, not the plot
        self.plot_item = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.hideButtons()
        self.plot_item.setLogMode(x=True, y=False)
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.presentation = False
        self.advice: Advice | None = None
        self.measured: float | None = None
        self.missing: tuple[str, ...] = (NO_S_NOTE,)
        self.curve: pg.PlotDataItem | None = None
        self.transfer_curve: pg.PlotDataItem | None = None
        self.limit_line: pg.InfiniteLine | None = None
        self.break_even_line: pg.InfiniteLine | None = None
        self.candidate_points: list[pg.PlotDataItem] = []
        self.candidate_labels: list[pg.TextItem] = []
        self.note: pg.TextItem | None = None
        self.texts: list[PlacedText] = []
        self.names: list[str] = []  # the candidates, largest s first
        self.y_max = EMPTY_Y_MAX  # the y axis before room is made for the limit's label
        self._axis_labels: dict[str, tuple[str, str]] = {}
        self.title_full = self.title_shown = ""
        self.s_range = speedup_range(None)
        self._legend_texts: list[tuple[str, str]] = []  # (long, short) per legend entry
        self._fitting = False
        # Under the axis, outside the plot: inside, some corner always meets a curve or a label.
        self.legend = pg.LegendItem(colCount=3)
        self.plot_item.layout.addItem(self.legend, 4, 1)
        self.plot_item.getViewBox().sigResized.connect(self.fit_texts)

    def set_presentation(self, on: bool) -> None:
        self.presentation = bool(on)
        self.set_advice(self.advice, self.measured, self.missing)

    def set_advice(
        self, advice: Advice | None, measured: float | None = None, missing: tuple[str, ...] = (NO_S_NOTE,)
    ) -> None:
        """Draw ``advice``; ``missing`` says why s is not there, when it is not (longest wording first)."""
        self.advice, self.measured, self.missing = advice, measured, missing
        self._reset()
        lo, hi = speedup_range(advice)
        if advice is None:
            self.y_max = EMPTY_Y_MAX
            self.plot_item.setYRange(0, EMPTY_Y_MAX, padding=0)
            self._say("Select the functions to offload in the Profile tab's table.", lo, EMPTY_Y_MAX / 2)
            self._finish(None, lo, hi)
            return
        width = 4 if self.presentation else 2
        s = np.logspace(math.log10(lo), math.log10(hi), CURVE_POINTS)
        amdahl = speedup_curve(advice.p, s)
        self.curve = self.plot_item.plot(s, amdahl, pen=pg.mkPen(AMDAHL_COLOUR, width=width))
        self._add_legend(self.curve, "kernel only: S = 1 / ((1 − p) + p / s)", "kernel only")
        overhead = advice.overhead_fraction
        if overhead is not None:
            self.transfer_curve = self.plot_item.plot(
                s, speedup_curve(advice.p, s, overhead), pen=pg.mkPen(TRANSFER_COLOUR, width=width)
            )
            self._add_legend(
                self.transfer_curve,
                "with copies + start-up: S = 1 / ((1 − p) + p / s + overhead)",
                "with copies + start-up",
            )
        limit = advice.amdahl_limit
        top = limit if math.isfinite(limit) else float(np.nanmax(amdahl))
        y_max = self.y_max = max(top, measured or 0.0, 1.0) * Y_HEADROOM
        self.plot_item.setYRange(0, y_max, padding=0)
        if math.isfinite(limit):
            self.limit_line = pg.InfiniteLine(
                pos=limit, angle=0, pen=pg.mkPen(LIMIT_COLOUR, width=width, style=Qt.PenStyle.DashLine)
            )
            self.plot_item.addItem(self.limit_line)
            limit_text = self._text(f"Amdahl limit 1 / (1 − p) = {times(limit)}", LIMIT_COLOUR, math.log10(lo), limit)
            limit_text.shorter, limit_text.order = [f"Amdahl limit = {times(limit)}"], 0
        self._draw_break_even(advice, lo, hi, y_max, width)
        self._draw_candidates(advice)
        if measured:
            self._draw_measured(advice, measured, hi)
        if advice.kernel_speedup is None:
            note = self._say(f"{missing[0]}\nThe curve and the limit need only p.", hi, y_max * 0.4)
            note.shorter = list(missing)
        self._finish(advice, lo, hi)

    # -- pieces -----------------------------------------------------------------------------
    def _finish(self, advice: Advice | None, lo: float, hi: float) -> None:
        self.s_range = (lo, hi)
        self._style_axes(advice, lo, hi)
        self.fit_texts()

    def _fit_x_range(self, width: float) -> None:
        """The s range with room at each end for half an end tick's label (hidden where it would stick out)."""
        lo, hi = self.s_range
        ticks = decade_ticks(lo, hi)
        metrics = QFontMetrics(font_for("text", self.presentation))
        half = max(metrics.horizontalAdvance(tick_text(t)) for t in (ticks[0], ticks[-1])) / 2 + EDGE_PX
        span = math.log10(hi) - math.log10(lo)
        edge = span * half / max(width - 2 * half, half)
        self.plot_item.setXRange(math.log10(lo) - edge, math.log10(hi) + edge, padding=0)

    def _add_legend(self, item: pg.PlotDataItem, long: str, short: str) -> None:
        self._legend_texts.append((long, short))
        self.legend.addItem(item, short if self.presentation else long)

    def _text(self, text: str, colour: str, x: float, y: float, role: str = "small", radius: float = 0.0) -> PlacedText:
        """A text for :meth:`place_texts` to put near (x, y); drawn on a light fill over the grid."""
        item = pg.TextItem(text, color=colour, anchor=(0, 0), fill=_label_box())
        item.setFont(font_for(role, self.presentation))
        item.setPos(x, y)
        item.setZValue(TEXT_Z)
        self.plot_item.addItem(item)
        placed = PlacedText(item, x, y, radius, text=text)
        self.texts.append(placed)
        return placed

    def _draw_break_even(self, advice: Advice, lo: float, hi: float, y_max: float, width: int) -> None:
        s_be = advice.break_even_kernel_speedup
        if s_be is None or not lo <= s_be <= hi:
            return
        pen = pg.mkPen(BREAK_EVEN_COLOUR, width=width, style=Qt.PenStyle.DotLine)
        self.break_even_line = pg.InfiniteLine(pos=math.log10(s_be), angle=90, pen=pen)
        self.plot_item.addItem(self.break_even_line)
        label = self._text(f"break-even s = {times(s_be)}", BREAK_EVEN_COLOUR, math.log10(s_be), y_max * 0.55)
        label.order = 2  # after the candidates: anywhere along its line will do
        # The figures and the last step give it too: on a crowded chart the dotted line may go unnamed.
        label.shorter, label.droppable = [f"break-even {times(s_be)}"], True

    def _draw_candidates(self, advice: Advice) -> None:
        """Filled markers on the kernel-only curve, hollow ones on the curve with copies."""
        cands = sorted(
            (c for c in advice.candidates if c.get("kernel_speedup")), key=lambda c: c["kernel_speedup"], reverse=True
        )
        overhead = advice.overhead_fraction
        size = 16 if self.presentation else 11
        for i, cand in enumerate(cands):
            s = float(cand["kernel_speedup"])
            symbol, colour, mark = POINT_STYLES[i % len(POINT_STYLES)]
            y = amdahl_speedup(advice.p, s)
            marker = {"pen": None, "symbol": symbol, "symbolSize": size}
            point = self.plot_item.plot(
                [s], [y], symbolBrush=colour, symbolPen=pg.mkPen(ADVISOR.chart_text, width=1), **marker
            )
            self.candidate_points.append(point)
            if overhead is not None:
                y_t = amdahl_speedup(advice.p, s, overhead)
                hollow = self.plot_item.plot(
                    [s], [y_t], symbolBrush=None, symbolPen=pg.mkPen(colour, width=2), **marker
                )
                self.candidate_points.append(hollow)
            best = " (best)" if cand.get("name") == advice.candidate else ""
            text = (
                f"{cand['name']}: s = {times(s)}"
                if self.presentation
                else f"{cand['name']}{best}: s = {times(s)} → S = {times(y)}"
            )
            placed = self._text(text, ADVISOR.chart_label, math.log10(s), y, radius=size / 2)
            placed.mark = f'<span style="color: {colour}">{mark}</span>'
            placed.leader = pg.PlotCurveItem(pen=pg.mkPen(colour, width=1))
            placed.leader.setZValue(TEXT_Z - 1)
            self.plot_item.addItem(placed.leader)
            self.candidate_labels.append(placed.item)
            self.names.append(str(cand["name"]))

    def _draw_measured(self, advice: Advice, measured: float, hi: float) -> None:
        s = advice.kernel_speedup or hi
        size = 22 if self.presentation else 16
        star = self.plot_item.plot(
            [s],
            [measured],
            pen=None,
            symbol="star",
            symbolSize=size,
            symbolBrush=MEASURED_COLOUR,
            symbolPen=pg.mkPen(ADVISOR.chart_text, width=1),
        )
        self.candidate_points.append(star)
        self.legend.addItem(star, "measured" if self.presentation else f"measured whole program: {times(measured)}")
        self._legend_texts.append(("", ""))  # the same words at every width
        label = self._text(f"measured {times(measured)}", MEASURED_COLOUR, math.log10(s), measured, "value", size / 2)
        label.shorter, label.droppable = [times(measured)], True  # the banner says it too
        label.leader = pg.PlotCurveItem(pen=pg.mkPen(MEASURED_COLOUR, width=1))
        label.leader.setZValue(TEXT_Z - 1)
        self.plot_item.addItem(label.leader)

    def _say(self, text: str, s: float, y: float) -> PlacedText:
        """A sentence in the plot, in free room nearest (s, y)."""
        placed = self._text(text, NOTE_COLOUR, math.log10(s), y, "text")
        self.note = placed.item
        placed.order = 3
        return placed

    def _reset(self) -> None:
        self.plot_item.clear()
        self.curve = self.transfer_curve = self.limit_line = self.break_even_line = self.note = None
        self.candidate_points, self.candidate_labels, self.texts, self._legend_texts = [], [], [], []
        self.names = []
        self.legend.clear()
        self.legend.setLabelTextSize(f"{font_for('small', self.presentation).pointSizeF():.0f}pt")
        self.legend.setLabelTextColor(ADVISOR.chart_text)

    def _style_axes(self, advice: Advice | None, lo: float, hi: float) -> None:
        tick_font = QFont(font_for("text", self.presentation))
        metrics = QFontMetrics(tick_font)
        # Room for the tick labels measured now, not after a first paint in the old font (the
        # axis grew only then, and a picture taken at once showed ticks over the axis title).
        room = {
            "bottom": {"tickTextHeight": metrics.height()},
            "left": {"tickTextWidth": metrics.horizontalAdvance(f"{2 * self.y_max:.1f}")},
        }
        for name in ("bottom", "left"):
            axis = self.plot_item.getAxis(name)
            axis.setStyle(tickFont=tick_font, autoExpandTextSpace=False, **room[name])
            axis.setTextPen(pg.mkPen(ADVISOR.chart_text))
            axis.setPen(pg.mkPen(ADVISOR.chart_text, width=2 if self.presentation else 1))
        ticks = decade_ticks(lo, hi)
        self.plot_item.getAxis("bottom").setTicks([[(math.log10(t), tick_text(t)) for t in ticks], []])
        self.title_full = (
            "Amdahl's law"
            if advice is None
            else f"Amdahl's law for p = {100 * advice.p:.1f}%: at most {times(advice.amdahl_limit)}"
        )
        self.title_shown = ""

    # -- fitting the words to the room -------------------------------------------------------
    def fit_texts(self, *_args: object) -> None:
        """Titles and legend for the width there is, then every text in free room (at each resize)."""
        if self._fitting:
            return
        self._fitting = True
        try:
            self._fit_titles()
            self.place_texts()
        finally:
            self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if hasattr(self, "plot_item"):  # pyqtgraph resizes once inside its own __init__
            self.fit_texts()  # the plot may not shrink until its words do: fit them to the widget, not the plot

    def _fit_titles(self) -> None:
        # The room the widget gives, not the plot's own width: a long title holds the plot wider than the widget.
        width = self.width() - self.plot_item.getAxis("left").width() - TITLE_MARGIN_PX
        height = self.plot_item.getViewBox().height()
        title_font = font_for("value", self.presentation)
        metrics = QFontMetrics(title_font)
        full = self.title_full
        shorter = full.replace("Amdahl's law for ", "")
        wordings = [full, shorter, shorter.replace(": at most ", ", S ≤ ")]
        title = next((w for w in wordings if metrics.horizontalAdvance(w) <= width), wordings[-1])
        if metrics.horizontalAdvance(title) > width:
            title = metrics.elidedText(title, Qt.TextElideMode.ElideRight, max(0, int(width)))
        if title != self.title_shown:
            self.title_shown = title
            self.plot_item.setTitle(title, size=f"{title_font.pointSizeF():.0f}pt", color=ADVISOR.chart_text, bold=True)
            self.plot_item.layout.setRowFixedHeight(0, metrics.height() + 4)
            self.plot_item.titleLabel.setMaximumHeight(metrics.height() + 4)
        self.plot_item.titleLabel.setToolTip(full if title != full else "")
        label_font = font_for("text", self.presentation)
        small = QFontMetrics(label_font)
        label_pt = {"font-size": f"{label_font.pointSizeF():.0f}pt", "color": ADVISOR.chart_text}
        bottom = "kernel speed-up s (GPU kernel vs NumPy, log scale)"
        if self.presentation or small.horizontalAdvance(bottom) > width:
            bottom = "kernel speed-up s"
        left = "whole-program speed-up S"
        if self.presentation or small.horizontalAdvance(left) > height:
            left = "speed-up S"
        for axis, text in (("bottom", bottom), ("left", left)):
            if self._axis_labels.get(axis) != (text, label_pt["font-size"]):
                self._axis_labels[axis] = (text, label_pt["font-size"])
                self.plot_item.setLabel(axis, text, **label_pt)
        self._fit_legend(width)
        self._fit_x_range(width)

    def _fit_legend(self, width: float) -> None:
        metrics = QFontMetrics(font_for("small", self.presentation))
        sample = 40  # the line sample and the gaps beside it
        long_width = sum(metrics.horizontalAdvance(lng) + sample for lng, _ in self._legend_texts if lng)
        use_short = self.presentation or long_width > width
        for (_sample, label), (long, short) in zip(self.legend.items, self._legend_texts, strict=False):
            if long and label.text != (short if use_short else long):
                label.setText(short if use_short else long)
        widths = [metrics.horizontalAdvance(label.text) + sample for _sample, label in self.legend.items]
        # As many entries a line as fit (one at least), rather than cut off at the right.
        columns = next((n for n in (3, 2) if sum(max(widths[j::n], default=0) for j in range(n)) <= width), 1)
        if self.legend.columnCount != columns:
            self.legend.setColumnCount(columns)

    def place_texts(self) -> None:
        """Every text in free room next to what it names (again at each resize)."""
        marks = PlotMarks(
            [c for c in (self.curve, self.transfer_curve) if c is not None],
            self.limit_line.value() if self.limit_line is not None else None,
            self.break_even_line.value() if self.break_even_line is not None else None,
        )
        line_px = QFontMetrics(font_for("small", self.presentation)).height()
        place_texts(self.plot_item, self.texts, marks, self.y_max, line_px)

    # -- for tests --------------------------------------------------------------------------
    def candidate_names(self) -> list[str]:
        return list(self.names)
