"""Kernel-lab charts: the themed chart they share, and the median time per candidate (p10–p90 whiskers).

The roofline is in ``roofline_chart``. Both re-fit their labels to the pixels they have
whenever the plot is resized: what fits at 1920 px does not at 1024, nor at 20 pt.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QResizeEvent
from PySide6.QtWidgets import QApplication, QLabel

from gpuprof_gui.core.lab_model import LabRecord
from gpuprof_gui.ui.lab.chart_labels import time_unit, value_text
from gpuprof_gui.ui.style.palette import LIGHT_UI, current_theme_colours
from gpuprof_gui.ui.style.theme import PRESENTATION_PEN_PX, style_plot, title_size

# Bars: the theme's first series colour (blue) when correct, the second (orange) when wrong,
# and the tick label says "(wrong)": never colour alone.
BAR_HEIGHT = 0.6
LABEL_GAP_PX = 4
"""Between a whisker's end and its value label (the label's own margin adds 4 more)."""
MIN_BAR_SHARE = 0.4
"""Value labels are left out when they would leave the longest bar less than 40% of the plot's width."""
MAX_NAME_SHARE = 0.42
"""Candidate names take at most 42% of the chart's width; longer ones are cut short with "…"."""
NAME_PAD_PX = 16
"""Tick length and the gap between a name and the axis line."""
MIN_PLOT_LINES = (10, 7)
"""A chart narrower than 10 lines of its text, or lower than 7, has no room for names, ticks and
values that can be read (at 20 pt: 310 × 220 px): it says so instead of drawing them illegibly."""
TOO_SMALL = "Too small to read: make this chart larger"
"""Short, so that it fits where the chart did not (its tooltip says how)."""
TOO_SMALL_TIP = "Drag the dividers around the chart, make the window larger, or leave presentation mode."
MIN_LABEL_SHARE = 2 / 3
"""An axis label cut to less than two thirds of its shortest form is left out."""
TITLE_PAD_PX = 12
"""Room left beside a title, so that it never sets the chart's minimum width."""


def title_font(presentation: bool, normal_size: str) -> QFont:
    """The font pyqtgraph draws a title in: the application's family at the title's size."""
    font = QFont(QApplication.font())
    font.setPointSizeF(float(title_size(presentation, normal_size).removesuffix("pt")))
    return font


class ThemedChart(pg.PlotWidget):
    """A chart in the theme's colours; on a projector, larger text and thicker lines.

    With nothing to draw it shows a sentence in its middle instead of empty axes.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=LIGHT_UI.plot_background)
        self.plot_item = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.presentation = False
        self.colours = LIGHT_UI
        self._title_text = ("", "10pt")
        self._axis_texts: dict[str, tuple[str, ...]] = {}
        self._empty_text = ""  # why there is nothing to draw, or ""
        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.plot_item.getViewBox().sigResized.connect(self._on_view_resized)

    def set_presentation(self, on: bool) -> None:
        """Restyle axes and background now; items drawn by the next ``set_records`` follow."""
        self.presentation = bool(on)
        self.colours = current_theme_colours(on)
        style_plot(self, [self.plot_item], self.colours, self.presentation)
        self.message.setStyleSheet(f"color: {self.colours.plot_foreground}; padding: 6px;")
        self._fit_title()
        self._fit_labels()
        self._update_message()

    def show_message(self, text: str) -> None:
        """A sentence in place of the plot (nothing to draw); ``""`` brings the plot back."""
        self._empty_text = text
        self._update_message()

    def message_text(self) -> str:
        return self.message.text() if self.message.isVisible() else ""

    def readable_size(self) -> tuple[float, float]:
        """The least width and height (px) at which this chart's text can be read (MIN_PLOT_LINES)."""
        line = QFontMetricsF(self.plot_item.getAxis("bottom").style["tickFont"] or QApplication.font()).height()
        return MIN_PLOT_LINES[0] * line, MIN_PLOT_LINES[1] * line

    def _update_message(self) -> None:
        """The plot; or why there is none: nothing to draw, or too little room to read it."""
        text = self._empty_text
        least_width, least_height = self.readable_size()
        if not text and (self.width() < least_width or self.height() < least_height):
            text = TOO_SMALL
        self.message.setToolTip(TOO_SMALL_TIP if text == TOO_SMALL else "")
        if text != self.message.text() or self.message.isVisible() != bool(text):
            self.message.setText(text)
            self.message.setVisible(bool(text))
            self.plot_item.setVisible(not text)

    def _title(self, text: str, normal_size: str) -> None:
        self._title_text = (text, normal_size)
        self._fit_title()

    def _fit_title(self) -> None:
        """The title, cut short with "…" to the chart's width, in a title row tall enough for its font."""
        text, normal_size = self._title_text
        font = title_font(self.presentation, normal_size)
        metrics = QFontMetricsF(font)
        # The title stands over the plot's area only, not over its left axis.
        room = self.width() - self.plot_item.getAxis("left").width() - TITLE_PAD_PX
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(room, 40))
        self.plot_item.setTitle(
            shown, size=title_size(self.presentation, normal_size), color=self.colours.plot_foreground
        )
        self.plot_item.titleLabel.setToolTip(text if shown != text else "")
        row = int(metrics.height()) + 6
        self.plot_item.titleLabel.setMaximumHeight(row)
        self.plot_item.layout.setRowFixedHeight(0, row)
        if "range" in self.__dict__:  # the view's rectangle (pyqtgraph's): fit the plot to it again
            self.plot_item.setGeometry(self.range)

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        if "message" in self.__dict__:  # not while pyqtgraph builds the view
            self._fit_title()  # first: a title wider than the view would keep the plot from shrinking
            self.message.setGeometry(self.rect())
            self._update_message()
        super().resizeEvent(event)

    def set_axis_label(self, side: str, *texts: str) -> None:
        """Label axis ``side`` with the first of ``texts`` (longest first) that fits along it."""
        self._axis_texts[side] = texts
        self._fit_axis_labels()

    def _fit_axis_labels(self) -> None:
        view = self.plot_item.getViewBox()
        for side, texts in self._axis_texts.items():
            axis = self.plot_item.getAxis(side)
            metrics = QFontMetricsF(axis.label.font())
            margins = 2 * axis.label.document().documentMargin() + 2
            room = (view.height() if side in ("left", "right") else view.width()) - margins
            text = next((t for t in texts if metrics.horizontalAdvance(t) <= room), None)
            if text is None:
                text = metrics.elidedText(texts[-1], Qt.TextElideMode.ElideRight, max(room, 0.0))
            if len(text.removesuffix("…")) < len(texts[-1]) * MIN_LABEL_SHARE:  # "GF…" says nothing: none
                axis.showLabel(False)
            elif axis.labelText != text or not axis.label.isVisible():
                self.plot_item.setLabel(side, text)
                axis.resizeEvent()  # pyqtgraph centres its label only when the axis is resized

    def _on_view_resized(self, *_args: object) -> None:
        self._fit_title()  # the left axis may have grown with its tick labels
        self._fit_axis_labels()
        self._fit_labels()

    def _fit_labels(self, *_args: object) -> None:
        """Place the labels for the plot's current size in pixels (subclasses)."""

    def _pen_px(self, normal: float) -> float:
        return max(normal, PRESENTATION_PEN_PX) if self.presentation else normal


class TimesChart(ThemedChart):
    """Horizontal bars: one per candidate, median time with a p10–p90 whisker.

    The time axis is in one unit chosen for the data (ns, µs, ms or s), named in its label;
    pyqtgraph's own SI prefix is off, as it rescaled the ticks and put its note where it was cut off.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.unit = "ms"
        self.unit_ms = 1.0  # ms per unit of the axis
        bottom = self.plot_item.getAxis("bottom")
        bottom.enableAutoSIPrefix(False)
        self.set_axis_label("bottom", "median time (ms); whisker: p10–p90")
        self._title("Median time per candidate", "10pt")
        self.plot_item.showGrid(x=True, y=False, alpha=0.25)
        self.bars: pg.BarGraphItem | None = None
        self.errors: pg.ErrorBarItem | None = None
        self._labels: list[pg.TextItem] = []
        self._names: list[str] = []
        self.shown_names: list[str] = []
        """The candidate names as the axis shows them (cut short with "…" where there is no room)."""
        self._hi = np.zeros(0)

    def set_records(self, records: list[LabRecord], size_text: str = "") -> None:
        self.plot_item.clear()
        self.bars = self.errors = None
        self._labels, self._names, self.shown_names, self._hi = [], [], [], np.zeros(0)
        timed = [r for r in records if r.median_ms]
        self._title(f"Median time{size_text}", "9pt")
        if not timed:
            self.plot_item.getAxis("left").setTicks([[]])
            self.show_message("No timings at this size: no candidate ran to the end of its timing." if records else "")
            return
        self.show_message("")
        timed.sort(key=lambda r: r.median_ms or 0.0, reverse=True)  # fastest at the top (all have a median)
        y = np.arange(len(timed), dtype=float)
        ms = np.array([r.median_ms for r in timed])
        lo_ms = np.array([r.p10_ms if r.p10_ms is not None else r.median_ms for r in timed])
        hi_ms = np.array([r.p90_ms if r.p90_ms is not None else r.median_ms for r in timed])
        self.unit_ms, self.unit = time_unit(float(max(hi_ms.max(), ms.max())))
        med, lo, hi = ms / self.unit_ms, lo_ms / self.unit_ms, hi_ms / self.unit_ms
        unit = self.unit
        self.set_axis_label(
            "bottom", f"median time ({unit}); whisker: p10–p90", f"median ({unit}), p10–p90", f"time ({unit})"
        )
        correct, wrong = self.colours.series[:2]
        brushes = [correct if r.correct else wrong for r in timed]
        self.bars = pg.BarGraphItem(
            x0=np.zeros_like(med),
            y=y,
            width=med,
            height=BAR_HEIGHT,
            brushes=brushes,
            pen=pg.mkPen(self.colours.mark_edge, width=self._pen_px(1)),
        )
        self.errors = pg.ErrorBarItem(
            x=med,
            y=y,
            left=med - lo,
            right=hi - med,
            beam=BAR_HEIGHT * 0.5,
            pen=pg.mkPen(self.colours.plot_foreground, width=self._pen_px(1.5)),
        )
        self.plot_item.addItem(self.bars)
        self.plot_item.addItem(self.errors)
        for yi, value in zip(y, med, strict=True):
            label = pg.TextItem(f"{value_text(value)} {self.unit}", color=self.colours.plot_foreground, anchor=(0, 0.5))
            label.setPos(float(hi[int(yi)]), float(yi))
            self.plot_item.addItem(label)
            self._labels.append(label)
        self._names = [r.candidate + ("" if r.correct else " (wrong)") for r in timed]
        self._hi = hi
        self.plot_item.setYRange(-0.6, len(timed) - 0.4, padding=0)
        self._fit_labels()

    def _fit_labels(self, *_args: object) -> None:
        """Names cut to the room they have; the time axis long enough for the value labels, or none."""
        if not len(getattr(self, "_hi", ())):
            return
        axis = self.plot_item.getAxis("left")
        metrics = QFontMetricsF(axis.style["tickFont"] or QApplication.font())
        room = max(self.width() * MAX_NAME_SHARE - NAME_PAD_PX, metrics.horizontalAdvance("M…"))
        self.shown_names = [metrics.elidedText(n, Qt.TextElideMode.ElideMiddle, room) for n in self._names]
        axis.setWidth(int(max(metrics.horizontalAdvance(n) for n in self.shown_names) + NAME_PAD_PX))
        axis.setTicks([list(enumerate(self.shown_names))])
        width = self.plot_item.getViewBox().width()
        shares = [(LABEL_GAP_PX + lbl.textItem.boundingRect().width()) / max(width, 1.0) for lbl in self._labels]
        show = max(shares) <= 1.0 - MIN_BAR_SHARE
        for label in self._labels:
            label.setVisible(show)
        longest = float(self._hi.max())
        right = max(hi / (1.0 - s) for hi, s in zip(self._hi, shares, strict=True)) if show else longest
        right = max(right, longest * 1.05)
        self.plot_item.setXRange(0, right, padding=0)
        for label, hi in zip(self._labels, self._hi, strict=True):
            label.setPos(float(hi) + LABEL_GAP_PX * right / max(width, 1.0), label.pos().y())

    def bar_count(self) -> int:
        return 0 if self.bars is None else len(self.bars.opts["width"])
