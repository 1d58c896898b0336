"""Kernel-lab charts: median time per candidate (with p10–p90 whiskers) and the roofline."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from gpuprof_gui.core.lab_model import DeviceFacts, LabRecord

CORRECT_BRUSH = "#1f77b4"  # blue
WRONG_BRUSH = "#ff7f0e"  # orange, and the tick label says "(wrong)": never colour alone
BAR_HEIGHT = 0.6
VALUE_LABEL_ROOM = 1.45
"""The time axis runs to 1.45 × the longest whisker: room for its "0.947 ms" label."""
ROOF_PEN = pg.mkPen("#333333", width=2)
BANDWIDTH_PEN = pg.mkPen("#6a1b9a", width=2, style=Qt.PenStyle.DashLine)
COPY_PEN = pg.mkPen("#00897b", width=2, style=Qt.PenStyle.DotLine)
# Symbols cycle with colours so points stay apart in greyscale.
POINT_STYLES = (("o", "#1f77b4"), ("s", "#ff7f0e"), ("t", "#2ca02c"), ("d", "#d62728"),
                ("h", "#9467bd"), ("star", "#8c564b"), ("p", "#e377c2"), ("x", "#17becf"))
LABEL_ROWS = 12
"""Labels are kept at least 1/LABEL_ROWS of the plot's height apart (about 20 px at 250 px)."""
X_MARGIN_DECADES = 1.2
"""Room left and right of the points (and for their labels) on the log intensity axis."""


@dataclass
class Ceilings:
    """The roofline's ceilings: theoretical peaks and the measured copy bandwidth."""

    peak_gflops: float | None = None
    peak_gbps: float | None = None
    copy_gbps: float | None = None
    flops_dtype: str = "float32"
    source: str = ""  # where the peaks came from, for the title

    @classmethod
    def from_device(cls, device: DeviceFacts, flops_dtype: str = "float32") -> "Ceilings":
        peak = device.peak_gflops(flops_dtype) if device.sm_count and device.clock_mhz else None
        bw = device.peak_bandwidth_gbps or None
        return cls(peak, bw, device.copy_gbps, flops_dtype, device.name)


def _fmt_rate(value: float, unit: str) -> str:
    if value >= 1000:
        return f"{value / 1000:.3g} T{unit}"
    return f"{value:.3g} G{unit}"


class TimesChart(pg.PlotWidget):
    """Horizontal bars: one per candidate, median time with a p10–p90 whisker."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.plot_item = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.setLabel("bottom", "median time (ms); whisker: p10–p90")
        self.plot_item.getAxis("left").setWidth(150)
        self.plot_item.setTitle("Median time per candidate", size="10pt", color="#333")
        self.plot_item.showGrid(x=True, y=False, alpha=0.25)
        self.bars: pg.BarGraphItem | None = None
        self.errors: pg.ErrorBarItem | None = None
        self._labels: list[pg.TextItem] = []

    def set_records(self, records: list[LabRecord], size_text: str = "") -> None:
        self.plot_item.clear()
        self.bars = self.errors = None
        self._labels = []
        timed = [r for r in records if r.median_ms]
        # Short: a plot's title sets its minimum width.
        self.plot_item.setTitle(f"Median ms{size_text}", size="9pt", color="#333")
        if not timed:
            self.plot_item.getAxis("left").setTicks([[]])
            return
        timed.sort(key=lambda r: r.median_ms, reverse=True)  # fastest at the top
        y = np.arange(len(timed), dtype=float)
        med = np.array([r.median_ms for r in timed])
        lo = np.array([r.p10_ms if r.p10_ms is not None else r.median_ms for r in timed])
        hi = np.array([r.p90_ms if r.p90_ms is not None else r.median_ms for r in timed])
        brushes = [CORRECT_BRUSH if r.correct else WRONG_BRUSH for r in timed]
        self.bars = pg.BarGraphItem(x0=np.zeros_like(med), y=y, width=med, height=BAR_HEIGHT, brushes=brushes,
                                    pen=pg.mkPen("#222222", width=1))
        self.errors = pg.ErrorBarItem(x=med, y=y, left=med - lo, right=hi - med, beam=BAR_HEIGHT * 0.5,
                                      pen=pg.mkPen("#000000", width=1.5))
        self.plot_item.addItem(self.bars)
        self.plot_item.addItem(self.errors)
        for yi, rec in zip(y, timed):
            label = pg.TextItem(f"{rec.median_ms:.3g} ms", color="#222222", anchor=(0, 0.5))
            label.setPos(float(hi[int(yi)]), float(yi))
            self.plot_item.addItem(label)
            self._labels.append(label)
        ticks = [(float(yi), r.candidate + ("" if r.correct else " (wrong)")) for yi, r in zip(y, timed)]
        self.plot_item.getAxis("left").setTicks([ticks])
        # Room on the right for the value labels.
        self.plot_item.setXRange(0, float(hi.max()) * VALUE_LABEL_ROOM, padding=0)
        self.plot_item.setYRange(-0.6, len(timed) - 0.4, padding=0)

    def bar_count(self) -> int:
        return 0 if self.bars is None else len(self.bars.opts["width"])


class RooflineChart(pg.PlotWidget):
    """Log-log: GFLOP/s against FLOP/byte, under min(peak, AI × bandwidth) ceilings."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.plot_item = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.setLogMode(x=True, y=True)
        self.plot_item.setLabel("bottom", "arithmetic intensity (FLOP/byte)")
        self.plot_item.setLabel("left", "GFLOP/s")
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.plot_item.setTitle("Roofline", size="10pt", color="#333")
        self.points: list[pg.PlotDataItem] = []
        self.point_labels: list[pg.TextItem] = []
        self.ceiling_items: list[pg.PlotDataItem] = []

    def set_records(self, records: list[LabRecord], ceilings: Ceilings) -> None:
        self.plot_item.clear()
        if self.plot_item.legend is not None:
            self.plot_item.legend.clear()
        else:
            # Bottom right: under the roof's slope, the one corner the points never reach.
            self.plot_item.addLegend(offset=(-10, -10), labelTextSize="8pt")
        self.points, self.point_labels, self.ceiling_items = [], [], []
        measured = [r for r in records if r.gflops and r.flops and r.bytes_moved]
        ai_values = [r.flops / r.bytes_moved for r in measured]
        ridge = (ceilings.peak_gflops / ceilings.peak_gbps
                 if ceilings.peak_gflops and ceilings.peak_gbps else None)
        anchors = ai_values + ([ridge] if ridge else [])
        if not anchors:
            self.plot_item.setTitle("Roofline (no measured points)", size="10pt", color="#333")
            return
        x_lo = math.log10(min(anchors)) - X_MARGIN_DECADES
        x_hi = math.log10(max(anchors)) + X_MARGIN_DECADES
        ai = np.logspace(x_lo, x_hi, 200)
        self._draw_ceilings(ai, ceilings)
        ys = [r.gflops for r in measured] + ([ceilings.peak_gflops] if ceilings.peak_gflops else [])
        y_lo = math.log10(min(ys)) - 0.6
        y_hi = math.log10(max(ys)) + 0.3
        self._draw_points(measured, ai_values, (y_hi - y_lo) / LABEL_ROWS)
        self.plot_item.setXRange(x_lo, x_hi, padding=0)
        self.plot_item.setYRange(y_lo, y_hi, padding=0)
        where = f" — {ceilings.source}" if ceilings.source else ""
        self.plot_item.setTitle(f"Roofline{where}", size="9pt", color="#333")

    def _draw_ceilings(self, ai: np.ndarray, c: Ceilings) -> None:
        peak = c.peak_gflops or math.inf
        if c.peak_gbps:
            roof = np.minimum(peak, ai * c.peak_gbps)
            name = (f"roof: {_fmt_rate(c.peak_gflops, 'FLOP/s')} {c.flops_dtype.replace('float', 'FP')}, "
                    f"{_fmt_rate(c.peak_gbps, 'B/s')} memory" if c.peak_gflops
                    else f"memory peak {_fmt_rate(c.peak_gbps, 'B/s')}")
            self.ceiling_items.append(self.plot_item.plot(ai, roof, pen=ROOF_PEN, name=name))
        elif c.peak_gflops:
            self.ceiling_items.append(self.plot_item.plot(ai, np.full_like(ai, peak), pen=ROOF_PEN,
                                                          name=f"peak {_fmt_rate(c.peak_gflops, 'FLOP/s')}"))
        if c.copy_gbps:
            copy = np.minimum(peak, ai * c.copy_gbps)
            self.ceiling_items.append(self.plot_item.plot(
                ai, copy, pen=COPY_PEN, name=f"measured copy {_fmt_rate(c.copy_gbps, 'B/s')}"))

    def _draw_points(self, measured: list[LabRecord], ai_values: list[float], gap: float) -> None:
        """One marker per record; labels pushed apart vertically, joined to their point by a line."""
        names = sorted({r.candidate for r in measured})
        order = sorted(range(len(measured)), key=lambda i: measured[i].gflops)
        last_y = -math.inf
        for i in order:
            rec, x = measured[i], ai_values[i]
            symbol, colour = POINT_STYLES[names.index(rec.candidate) % len(POINT_STYLES)]
            point = self.plot_item.plot([x], [rec.gflops], pen=None, symbol=symbol, symbolSize=11,
                                        symbolBrush=colour, symbolPen=pg.mkPen("#000000", width=1))
            self.points.append(point)
            lx, ly = math.log10(x) + 0.25, max(math.log10(rec.gflops), last_y + gap)
            last_y = ly
            leader = pg.PlotCurveItem([math.log10(x), lx], [math.log10(rec.gflops), ly],
                                      pen=pg.mkPen(colour, width=1))
            self.plot_item.addItem(leader)  # no log mode of its own: log10 coordinates given
            text = rec.candidate + ("" if rec.correct else " (wrong)")
            label = pg.TextItem(text, color="#111111", anchor=(0, 0.5), fill=pg.mkBrush(255, 255, 255, 200))
            label.setPos(lx, ly)
            self.plot_item.addItem(label)
            self.point_labels.append(label)
