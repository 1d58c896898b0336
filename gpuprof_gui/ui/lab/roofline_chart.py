"""The roofline: GFLOP/s against FLOP/byte, under the device's ceilings, one marker per candidate.

Candidates of one problem size share their arithmetic intensity, so their points stand in one
column, often almost on top of each other. Their names go in a column of labels beside the
points, in the points' vertical order, so that no two labels overlap and no two leader lines
cross; where the column is too short, the names of the middle ranks are left out (each marker
still names itself in its tooltip). The key to the ceilings takes the corner where it hides least.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QPen

from gpuprof_gui.core.lab_model import DeviceFacts, LabRecord
from gpuprof_gui.ui.lab.chart_labels import Box, column_boxes, ends_first, leader_end, overlap
from gpuprof_gui.ui.lab.lab_charts import ThemedChart
from gpuprof_gui.ui.style.palette import CHART_LABEL_ALPHA, qcolour
from gpuprof_gui.ui.style.theme import title_size

CEILING_PEN_PX = 2
POINT_SYMBOLS = ("o", "s", "t", "d", "h", "star", "p", "x")
"""Symbols cycle with the theme's series colours so points stay apart in greyscale."""
X_MARGIN_DECADES = 1.2
"""Room left and right of the points (and for their labels) on the log intensity axis."""
LABEL_GAP_PX = 3
"""Between stacked labels, and between a label column and the plot's edge."""
LEADER_RUN_PX = 22
"""How far right of the points the label column starts: leader lines fan out over it instead of running together."""
MIN_NAME_CHARS = 3
"""A name cut to fewer letters than this (before its "…") is left out instead."""
LEGEND_MARGIN_PX = 8
CURVE_SAMPLES = 60
"""Points per ceiling line when judging which corner the key hides least of."""


@dataclass
class Ceilings:
    """The roofline's ceilings: theoretical peaks and the measured copy bandwidth."""

    peak_gflops: float | None = None
    peak_gbps: float | None = None
    copy_gbps: float | None = None
    flops_dtype: str = "float32"
    source: str = ""  # where the peaks came from, for the title

    @classmethod
    def from_device(cls, device: DeviceFacts, flops_dtype: str = "float32") -> Ceilings:
        peak = device.peak_gflops(flops_dtype) if device.sm_count and device.clock_mhz else None
        bw = device.peak_bandwidth_gbps or None
        return cls(peak, bw, device.copy_gbps, flops_dtype, device.name)


def _fmt_rate(value: float, unit: str) -> str:
    if value >= 1000:
        return f"{value / 1000:.3g} T{unit}"
    return f"{value:.3g} G{unit}"


@dataclass
class _Mark:
    """One measured point: where it is (log10 coordinates) and what draws it."""

    x: float
    y: float
    rate: float
    text: str  # the candidate's name in full (its label may show it cut short)
    label: pg.TextItem
    leader: pg.PlotCurveItem


class RooflineChart(ThemedChart):
    """Log-log: GFLOP/s against FLOP/byte, under min(peak, AI × bandwidth) ceilings."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot_item.setLogMode(x=True, y=True)
        self.set_axis_label("bottom", "arithmetic intensity (FLOP/byte)", "intensity (FLOP/byte)", "FLOP/byte")
        self.set_axis_label("left", "GFLOP/s")
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self._title("Roofline", "10pt")
        self.points: list[pg.PlotDataItem] = []
        self.point_labels: list[pg.TextItem] = []
        self.ceiling_items: list[pg.PlotDataItem] = []
        self._marks: list[_Mark] = []
        self._curves: list[tuple[np.ndarray, np.ndarray]] = []  # ceilings in log10 coordinates
        self._key_names: list[tuple[str, ...]] = []  # each ceiling's name in the key, longest first
        self.legend = self.plot_item.addLegend(offset=(LEGEND_MARGIN_PX, LEGEND_MARGIN_PX))

    def set_records(self, records: list[LabRecord], ceilings: Ceilings) -> None:
        self.plot_item.clear()
        self.legend.clear()
        self.legend.setLabelTextSize(title_size(self.presentation, "8pt"))
        self.legend.setLabelTextColor(self.colours.plot_foreground)
        self.legend.setBrush(qcolour(self.colours.plot_background, CHART_LABEL_ALPHA))
        self.legend.setPen(pg.mkPen(self.colours.plot_foreground, width=0.5))
        self.points, self.point_labels, self.ceiling_items, self._marks, self._curves = [], [], [], [], []
        self._key_names = []
        measured = [r for r in records if r.gflops and r.flops and r.bytes_moved]
        where = f" — {ceilings.source}" if ceilings.source else ""
        self._title(f"Roofline{where}", "9pt")
        if not measured:
            self.show_message(
                "No point for the roofline at this size: no candidate has a rate and FLOP and byte counts."
                if records
                else ""
            )
            return
        self.show_message("")
        ai_values = [r.flops / r.bytes_moved for r in measured]
        rates = [float(r.gflops or 0.0) for r in measured]
        ridge = ceilings.peak_gflops / ceilings.peak_gbps if ceilings.peak_gflops and ceilings.peak_gbps else None
        anchors = ai_values + ([ridge] if ridge else [])
        x_lo = math.log10(min(anchors)) - X_MARGIN_DECADES
        x_hi = math.log10(max(anchors)) + X_MARGIN_DECADES
        self._draw_ceilings(np.logspace(x_lo, x_hi, 200), ceilings)
        ys = rates + ([ceilings.peak_gflops] if ceilings.peak_gflops else [])
        self._draw_points(measured, ai_values, rates)
        self.plot_item.setXRange(x_lo, x_hi, padding=0)
        self.plot_item.setYRange(math.log10(min(ys)) - 0.6, math.log10(max(ys)) + 0.3, padding=0)
        self._fit_labels()

    def _draw_ceilings(self, ai: np.ndarray, c: Ceilings) -> None:
        width = self._pen_px(CEILING_PEN_PX)
        roof_pen = pg.mkPen(self.colours.plot_foreground, width=width)
        copy_pen = pg.mkPen(self.colours.copy_line, width=width, style=Qt.PenStyle.DotLine)
        peak = c.peak_gflops or math.inf
        lines: list[tuple[np.ndarray, QPen, tuple[str, ...]]] = []  # values, pen, names in the key (longest first)
        bw = _fmt_rate(c.peak_gbps, "B/s") if c.peak_gbps else ""
        flops = _fmt_rate(c.peak_gflops, "FLOP/s") if c.peak_gflops else ""
        if c.peak_gbps and c.peak_gflops:
            dtype = c.flops_dtype.replace("float", "FP")
            lines.append(
                (
                    np.minimum(peak, ai * c.peak_gbps),
                    roof_pen,
                    (f"roof: {flops} {dtype}, {bw}", f"roof: {flops}, {bw}", "roof"),
                )
            )
        elif c.peak_gbps:
            lines.append((ai * c.peak_gbps, roof_pen, (f"memory peak {bw}", f"memory {bw}", "memory")))
        elif c.peak_gflops:
            lines.append((np.full_like(ai, peak), roof_pen, (f"peak {flops}", "peak")))
        if c.copy_gbps:
            copy = _fmt_rate(c.copy_gbps, "B/s")
            lines.append(
                (np.minimum(peak, ai * c.copy_gbps), copy_pen, (f"measured copy {copy}", f"copy {copy}", "copy"))
            )
        for values, pen, names in lines:
            self.ceiling_items.append(self.plot_item.plot(ai, values, pen=pen, name=names[0]))
            self._curves.append((np.log10(ai), np.log10(values)))
            self._key_names.append(names)

    @property
    def _symbol_px(self) -> int:
        return 16 if self.presentation else 11  # markers grow with the text on a projector

    def _draw_points(self, measured: list[LabRecord], ai_values: list[float], rates: list[float]) -> None:
        """One marker per record at (``ai_values``, ``rates`` GFLOP/s), and its label and leader, placed later."""
        names = sorted({r.candidate for r in measured})
        for rec, x, rate in zip(measured, ai_values, rates, strict=True):
            index = names.index(rec.candidate)
            symbol = POINT_SYMBOLS[index % len(POINT_SYMBOLS)]
            colour = self.colours.series[index % len(self.colours.series)]
            text = rec.candidate + ("" if rec.correct else " (wrong)")
            point = self.plot_item.plot(
                [x],
                [rate],
                pen=None,
                symbol=symbol,
                symbolSize=self._symbol_px,
                symbolBrush=colour,
                symbolPen=pg.mkPen(self.colours.mark_edge, width=1),
            )
            point.scatter.setToolTip(f"{text}: {rate:.4g} GFLOP/s at {x:.3g} FLOP/byte")
            self.points.append(point)
            leader = pg.PlotCurveItem(pen=pg.mkPen(colour, width=self._pen_px(1)))
            self.plot_item.addItem(leader)  # no log mode of its own: given log10 coordinates
            label = pg.TextItem(
                text,
                color=self.colours.plot_foreground,
                anchor=(0, 0),
                fill=pg.mkBrush(qcolour(self.colours.plot_background, CHART_LABEL_ALPHA)),
                border=colour,
            )
            label.textItem.document().setDocumentMargin(2)
            label.setVisible(False)
            self.plot_item.addItem(label, ignoreBounds=True)
            self.point_labels.append(label)
            self._marks.append(_Mark(math.log10(x), math.log10(rate), rate, text, label, leader))

    # -- placing the labels and the key, in pixels ----------------------------------------------------------
    def _to_px(self, x: float, y: float) -> tuple[float, float]:
        vb = self.plot_item.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        return (x - x0) / (x1 - x0) * vb.width(), (y1 - y) / (y1 - y0) * vb.height()

    def _to_view(self, px: float, py: float) -> QPointF:
        vb = self.plot_item.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        return QPointF(x0 + px / max(vb.width(), 1.0) * (x1 - x0), y1 - py / max(vb.height(), 1.0) * (y1 - y0))

    def _fit_labels(self, *_args: object) -> None:
        """Labels in a column beside the points, thinned to what fits; then the key in its best corner."""
        marks = getattr(self, "_marks", None)
        if not marks:
            return
        vb = self.plot_item.getViewBox()
        width, height = vb.width(), vb.height()
        points = [self._to_px(m.x, m.y) for m in marks]
        metrics = QFontMetricsF(marks[0].label.textItem.font())
        pad = 2 * marks[0].label.textItem.document().documentMargin() + 1
        sizes = [(metrics.horizontalAdvance(m.text) + pad, metrics.height() + pad) for m in marks]
        least = [metrics.horizontalAdvance(m.text[:MIN_NAME_CHARS] + "…") + pad for m in marks]
        by_rate = sorted(range(len(marks)), key=lambda i: -marks[i].rate)
        clearance = self._symbol_px / 2 + LEADER_RUN_PX
        area = (0.0, 0.0, width, height)
        boxes = column_boxes(points, sizes, least, area, clearance, LABEL_GAP_PX, ends_first(by_rate))
        size = float(self._symbol_px)
        marker_boxes: list[Box] = [(px - size / 2, py - size / 2, size, size) for px, py in points]
        key = self._place_legend(list(boxes.values()) + marker_boxes, (width, height))
        for i, mark in enumerate(marks):
            box = boxes.get(i)
            if box is not None and key is not None and overlap(box, key):
                box = None  # the key won its corner: this name is left out, as a thinned one
            mark.label.setVisible(box is not None)
            mark.leader.setVisible(box is not None)
            if box is None:
                continue
            shown = metrics.elidedText(mark.text, Qt.TextElideMode.ElideMiddle, box[2] - pad + 0.5)
            if mark.label.toPlainText() != shown:
                mark.label.setPlainText(shown)
            mark.label.setPos(self._to_view(box[0], box[1]))
            end = leader_end(box, points[i])
            a, b = self._to_view(*points[i]), self._to_view(*end)
            mark.leader.setData([a.x(), b.x()], [a.y(), b.y()])

    def _place_legend(self, taken: list[Box], view: tuple[float, float]) -> Box | None:
        """Anchor the ceilings' key in the corner where it covers least (labels and markers count most,
        then stretches of the ceiling lines); hidden where it does not fit at all. Its box, or None."""
        legend = self.legend
        if not self.ceiling_items:
            legend.setVisible(False)
            return None
        width, height = view
        m = LEGEND_MARGIN_PX
        for level in range(max(len(names) for names in self._key_names)):  # the longest names that fit
            for (_sample, label), names in zip(legend.items, self._key_names, strict=True):
                label.setText(names[min(level, len(names) - 1)])
            legend.layout.activate()
            legend.updateSize()
            w, h = legend.width(), legend.height()
            if w + 2 * m <= width and h + 2 * m <= height:
                break
        else:
            legend.setVisible(False)
            return None
        legend.setVisible(True)
        samples = [
            self._to_px(float(x), float(y))
            for xs, ys in self._curves
            for x, y in zip(
                xs[:: max(1, len(xs) // CURVE_SAMPLES)], ys[:: max(1, len(ys) // CURVE_SAMPLES)], strict=True
            )
        ]
        corners = {  # corner -> (its box, anchor), top left first: above the roof's slope, where no point can be
            (0, 0): (m, m),
            (1, 1): (width - w - m, height - h - m),
            (1, 0): (width - w - m, m),
            (0, 1): (m, height - h - m),
        }

        def cost(corner: tuple[int, int]) -> float:
            x, y = corners[corner]
            box = (x, y, w, h)
            hits = sum(1 for b in taken if overlap(b, box))
            return 1000 * hits + sum(1 for px, py in samples if x <= px <= x + w and y <= py <= y + h)

        best = min(corners, key=cost)
        x, y = corners[best]
        legend.anchor(itemPos=best, parentPos=best, offset=(m if best[0] == 0 else -m, m if best[1] == 0 else -m))
        return (x, y, w, h)

    def shown_labels(self) -> list[pg.TextItem]:
        """The point labels on show (the others were thinned out for want of room)."""
        return [label for label in self.point_labels if label.isVisible()]
