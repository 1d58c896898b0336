"""The Amdahl chart: whole-program speed-up S against the kernel speed-up s (log axis).

Two curves (kernel only; with copies and start-up), the Amdahl limit as a dashed
line, the break-even kernel speed-up as a vertical marker, and the lab's measured
candidates as labelled points on the curves at their own s.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QWidget

from gpuprof_gui.core.advice_text import times
from gpuprof_gui.core.advisor import Advice, amdahl_speedup, speedup_curve
from gpuprof_gui.ui.advisor.advisor_style import font_for
from gpuprof_gui.ui.style.palette import ADVISOR, CHART_LABEL_ALPHA, qcolour

S_MIN, S_MAX = 1.0, 1e4
"""The kernel speed-ups worth drawing: from no gain to the ~10,000× of the best GPU kernels."""
CURVE_POINTS = 300
EMPTY_Y_MAX = 4.0  # the empty chart's axis: speed-ups, not fractions
X_MARGIN = 0.2  # decades, left of 1×
X_MARGIN_RIGHT = 0.35  # decades: the "10,000×" tick label is wide
Y_HEADROOM = 1.15
"""The y axis ends 15% above the limit: room for the limit's label over its line."""
LABEL_ROWS = 11
"""Candidate labels stay at least 1/11 of the plot's height apart (about 30 px at 330 px)."""
AMDAHL_COLOUR = ADVISOR.amdahl
TRANSFER_COLOUR = ADVISOR.transfer
LIMIT_COLOUR = ADVISOR.limit
BREAK_EVEN_COLOUR = ADVISOR.break_even
MEASURED_COLOUR = ADVISOR.measured
POINT_STYLES = tuple(zip(("o", "s", "t", "d", "h", "star", "p", "x"), ADVISOR.series, strict=True))
"""Symbols cycle with colours so points stay apart in greyscale."""


def _label_box() -> QBrush:
    """A label's box: the chart's white, translucent over the lines under it."""
    return pg.mkBrush(qcolour(ADVISOR.chart, CHART_LABEL_ALPHA))


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
        self.curve: pg.PlotDataItem | None = None
        self.transfer_curve: pg.PlotDataItem | None = None
        self.limit_line: pg.InfiniteLine | None = None
        self.break_even_line: pg.InfiniteLine | None = None
        self.candidate_points: list[pg.PlotDataItem] = []
        self.candidate_labels: list[pg.TextItem] = []
        self.note: pg.TextItem | None = None
        # Under the axis, outside the plot: inside, some corner always meets a curve or a label.
        self.legend = pg.LegendItem(colCount=3)
        self.plot_item.layout.addItem(self.legend, 4, 1)

    def set_presentation(self, on: bool) -> None:
        self.presentation = bool(on)
        self.set_advice(self.advice, self.measured)

    def set_advice(self, advice: Advice | None, measured: float | None = None) -> None:
        self.advice, self.measured = advice, measured
        self._reset()
        if advice is None:
            self._set_x_range(S_MAX)
            self.plot_item.setYRange(0, EMPTY_Y_MAX, padding=0)
            self._style_axes(None, S_MAX)
            self._say("Select the functions to offload in the Profile tab's table.", 2.0, EMPTY_Y_MAX / 2)
            return
        width = 4 if self.presentation else 2
        speedups = [c["kernel_speedup"] for c in advice.candidates if c.get("kernel_speedup")]
        x_max = max([S_MAX] + [3 * s for s in speedups])
        s = np.logspace(math.log10(S_MIN), math.log10(x_max), CURVE_POINTS)
        amdahl = speedup_curve(advice.p, s)
        short = self.presentation  # on a projector the formulas are in the teaching view, not the legend
        self.curve = self.plot_item.plot(s, amdahl, pen=pg.mkPen(AMDAHL_COLOUR, width=width))
        self.legend.addItem(self.curve, "kernel only" if short else "kernel only: S = 1 / ((1 − p) + p / s)")
        overhead = advice.overhead_fraction
        if overhead is not None:
            self.transfer_curve = self.plot_item.plot(
                s, speedup_curve(advice.p, s, overhead), pen=pg.mkPen(TRANSFER_COLOUR, width=width)
            )
            self.legend.addItem(
                self.transfer_curve,
                "with copies + start-up" if short else "with copies + start-up: S = 1 / ((1 − p) + p / s + overhead)",
            )
        limit = advice.amdahl_limit
        top = limit if math.isfinite(limit) else float(np.nanmax(amdahl))
        y_max = max(top, measured or 0.0, 1.0) * Y_HEADROOM
        if math.isfinite(limit):
            self.limit_line = pg.InfiniteLine(
                pos=limit,
                angle=0,
                pen=pg.mkPen(LIMIT_COLOUR, width=width, style=Qt.PenStyle.DashLine),
                label=f"Amdahl limit 1 / (1 − p) = {times(limit)}",
                labelOpts={"position": 0.03, "anchors": [(0, 1), (0, 1)], "color": LIMIT_COLOUR},
            )
            self.limit_line.label.setFont(font_for("small", self.presentation))
            self.plot_item.addItem(self.limit_line)
        self._draw_break_even(advice, x_max, width)
        self._draw_candidates(advice, y_max)
        if measured:
            self._draw_measured(advice, measured)
        if advice.kernel_speedup is None:
            self._say(
                "s needs a GPU: the kernel lab measures it.\nThe curve and the limit need only p.",
                math.log10(x_max) - 0.1,
                y_max * 0.4,
                anchor=(1, 0.5),
            )
        self._set_x_range(x_max)
        self.plot_item.setYRange(0, y_max, padding=0)
        self._style_axes(advice, x_max)

    # -- pieces -----------------------------------------------------------------------------
    def _set_x_range(self, x_max: float) -> None:
        # A little room either side, so the "1×" and "10,000×" tick labels are not cut off.
        self.plot_item.setXRange(math.log10(S_MIN) - X_MARGIN, math.log10(x_max) + X_MARGIN_RIGHT, padding=0)

    def _draw_break_even(self, advice: Advice, x_max: float, width: int) -> None:
        s_be = advice.break_even_kernel_speedup
        if s_be is None or not S_MIN <= s_be <= x_max:
            return
        self.break_even_line = pg.InfiniteLine(
            pos=math.log10(s_be),
            angle=90,
            pen=pg.mkPen(BREAK_EVEN_COLOUR, width=width, style=Qt.PenStyle.DotLine),
            label=f"break-even s = {times(s_be)}",
            labelOpts={
                "position": 0.55,
                "anchors": [(0, 0.5), (0, 0.5)],
                "color": BREAK_EVEN_COLOUR,
                "fill": _label_box(),
            },
        )
        self.break_even_line.label.setFont(font_for("small", self.presentation))
        self.plot_item.addItem(self.break_even_line)

    def _draw_candidates(self, advice: Advice, y_max: float) -> None:
        """Filled markers on the kernel-only curve, hollow ones on the curve with copies."""
        cands = sorted(
            (c for c in advice.candidates if c.get("kernel_speedup")), key=lambda c: c["kernel_speedup"], reverse=True
        )
        gap = y_max / LABEL_ROWS
        overhead = advice.overhead_fraction
        last_y = math.inf
        size = 16 if self.presentation else 11
        for i, cand in enumerate(cands):
            s = float(cand["kernel_speedup"])
            symbol, colour = POINT_STYLES[i % len(POINT_STYLES)]
            y = amdahl_speedup(advice.p, s)
            point = self.plot_item.plot(
                [s],
                [y],
                pen=None,
                symbol=symbol,
                symbolSize=size,
                symbolBrush=colour,
                symbolPen=pg.mkPen(ADVISOR.chart_text, width=1),
            )
            self.candidate_points.append(point)
            if overhead is not None:
                y_t = amdahl_speedup(advice.p, s, overhead)
                self.candidate_points.append(
                    self.plot_item.plot(
                        [s],
                        [y_t],
                        pen=None,
                        symbol=symbol,
                        symbolSize=size,
                        symbolBrush=None,
                        symbolPen=pg.mkPen(colour, width=2),
                    )
                )
            # Labels step down under the curve, one row apart, joined to their point.
            ly = min(y - 1.3 * gap, last_y - gap)
            last_y = ly
            lx = math.log10(s) - 0.12
            self.plot_item.addItem(pg.PlotCurveItem([math.log10(s), lx], [y, ly], pen=pg.mkPen(colour, width=1)))
            best = " (best)" if cand.get("name") == advice.candidate else ""
            text = (
                f"{cand['name']}: s = {times(s)}"
                if self.presentation
                else f"{cand['name']}{best}: s = {times(s)} → S = {times(y)}"
            )
            label = pg.TextItem(text, color=ADVISOR.chart_label, anchor=(1, 0.5), fill=_label_box())
            label.setFont(font_for("small", self.presentation))
            label.setPos(lx, ly)
            self.plot_item.addItem(label)
            self.candidate_labels.append(label)

    def _draw_measured(self, advice: Advice, measured: float) -> None:
        s = advice.kernel_speedup or S_MAX
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
        # Under the star and the curve with copies (both near the plateau): to the right the
        # label would leave the plot when s is near 10,000×, and beside the star it crosses the curve.
        predicted = advice.predicted_speedup_with_transfers or measured
        near = abs(predicted - measured) < 0.1 * max(predicted, measured)
        label = pg.TextItem(f"measured {times(measured)}", color=MEASURED_COLOUR, anchor=(0.5, 0), fill=_label_box())
        label.setFont(font_for("value", self.presentation))
        label.setPos(math.log10(s), (min(measured, predicted) if near else measured) - 0.03 * max(measured, predicted))
        self.plot_item.addItem(label)

    def _say(self, text: str, x: float, y: float, anchor: tuple[float, float] = (0.5, 0.5)) -> None:
        """A sentence in the plot, at data coordinates (x in log10 units)."""
        self.note = pg.TextItem(text, color=ADVISOR.chart_note, anchor=anchor, fill=_label_box())
        self.note.setFont(font_for("text", self.presentation))
        self.note.setPos(x, y)
        self.plot_item.addItem(self.note)

    def _reset(self) -> None:
        self.plot_item.clear()
        self.curve = self.transfer_curve = self.limit_line = self.break_even_line = self.note = None
        self.candidate_points, self.candidate_labels = [], []
        self.legend.clear()
        self.legend.setLabelTextSize(f"{font_for('small', self.presentation).pointSizeF():.0f}pt")
        self.legend.setLabelTextColor(ADVISOR.chart_text)

    def _style_axes(self, advice: Advice | None, x_max: float) -> None:
        tick_font = QFont(font_for("text", self.presentation))
        label_pt = f"{font_for('text', self.presentation).pointSizeF():.0f}pt"
        for name in ("bottom", "left"):
            axis = self.plot_item.getAxis(name)
            axis.setStyle(tickFont=tick_font)
            axis.setTextPen(pg.mkPen(ADVISOR.chart_text))
            axis.setPen(pg.mkPen(ADVISOR.chart_text, width=2 if self.presentation else 1))
        bottom = self.plot_item.getAxis("bottom")
        decades = range(1 + math.floor(math.log10(x_max)))
        bottom.setTicks([[(d, f"{10**d:,}×") for d in decades], []])
        self.plot_item.setLabel(
            "bottom",
            "kernel speed-up s" if self.presentation else "kernel speed-up s (GPU kernel vs NumPy, log scale)",
            **{"font-size": label_pt, "color": ADVISOR.chart_text},
        )
        self.plot_item.setLabel(
            "left",
            "speed-up S" if self.presentation else "whole-program speed-up S",
            **{"font-size": label_pt, "color": ADVISOR.chart_text},
        )
        title = (
            "Amdahl's law"
            if advice is None
            else f"Amdahl's law for p = {100 * advice.p:.1f}%: at most {times(advice.amdahl_limit)}"
        )
        self.plot_item.setTitle(
            title,
            size=f"{font_for('value', self.presentation).pointSizeF():.0f}pt",
            color=ADVISOR.chart_text,
            bold=True,
        )

    # -- for tests --------------------------------------------------------------------------
    def candidate_names(self) -> list[str]:
        return [label.toPlainText().split(":")[0].replace(" (best)", "") for label in self.candidate_labels]
