"""Kernel-lab charts: median time per candidate (with p10–p90 whiskers) and the roofline."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from gpuprof_gui.core.lab_model import DeviceFacts, LabRecord
from gpuprof_gui.ui.style.palette import CHART_LABEL_ALPHA, LIGHT_UI, current_theme_colours, qcolour
from gpuprof_gui.ui.style.theme import PRESENTATION_PEN_PX, style_plot, title_size

# Bars: the theme's first series colour (blue) when correct, the second (orange) when wrong,
# and the tick label says "(wrong)": never colour alone.
BAR_HEIGHT = 0.6
VALUE_LABEL_ROOM = 1.45
"""The time axis runs to 1.45 × the longest whisker: room for its "0.947 ms" label."""
CEILING_PEN_PX = 2
LEFT_AXIS_PX = {False: 150, True: 260}
"""Room for candidate names at the desk and at the 20 pt presentation size."""
POINT_SYMBOLS = ("o", "s", "t", "d", "h", "star", "p", "x")
"""Symbols cycle with the theme's series colours so points stay apart in greyscale."""
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
    def from_device(cls, device: DeviceFacts, flops_dtype: str = "float32") -> Ceilings:
        peak = device.peak_gflops(flops_dtype) if device.sm_count and device.clock_mhz else None
        bw = device.peak_bandwidth_gbps or None
        return cls(peak, bw, device.copy_gbps, flops_dtype, device.name)


def _fmt_rate(value: float, unit: str) -> str:
    if value >= 1000:
        return f"{value / 1000:.3g} T{unit}"
    return f"{value:.3g} G{unit}"


class _ThemedChart(pg.PlotWidget):
    """A chart in the theme's colours; on a projector, larger text and thicker lines."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=LIGHT_UI.plot_background)
        self.plot_item = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.presentation = False
        self.colours = LIGHT_UI

    def set_presentation(self, on: bool) -> None:
        """Restyle axes and background now; items drawn by the next ``set_records`` follow."""
        self.presentation = bool(on)
        self.colours = current_theme_colours(on)
        style_plot(self, [self.plot_item], self.colours, self.presentation)

    def _title(self, text: str, normal_size: str) -> None:
        self.plot_item.setTitle(
            text, size=title_size(self.presentation, normal_size), color=self.colours.plot_foreground
        )

    def _pen_px(self, normal: float) -> float:
        return max(normal, PRESENTATION_PEN_PX) if self.presentation else normal


class TimesChart(_ThemedChart):
    """Horizontal bars: one per candidate, median time with a p10–p90 whisker."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot_item.setLabel("bottom", "median time (ms); whisker: p10–p90")
        self.plot_item.getAxis("left").setWidth(LEFT_AXIS_PX[False])
        self._title("Median time per candidate", "10pt")
        self.plot_item.showGrid(x=True, y=False, alpha=0.25)
        self.bars: pg.BarGraphItem | None = None
        self.errors: pg.ErrorBarItem | None = None
        self._labels: list[pg.TextItem] = []

    def set_presentation(self, on: bool) -> None:
        super().set_presentation(on)
        self.plot_item.getAxis("left").setWidth(LEFT_AXIS_PX[self.presentation])

    def set_records(self, records: list[LabRecord], size_text: str = "") -> None:
        self.plot_item.clear()
        self.bars = self.errors = None
        self._labels = []
        timed = [r for r in records if r.median_ms]
        # Short: a plot's title sets its minimum width.
        self._title(f"Median ms{size_text}", "9pt")
        if not timed:
            self.plot_item.getAxis("left").setTicks([[]])
            return
        timed.sort(key=lambda r: r.median_ms or 0.0, reverse=True)  # fastest at the top (all have a median)
        y = np.arange(len(timed), dtype=float)
        med = np.array([r.median_ms for r in timed])
        lo = np.array([r.p10_ms if r.p10_ms is not None else r.median_ms for r in timed])
        hi = np.array([r.p90_ms if r.p90_ms is not None else r.median_ms for r in timed])
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
        for yi, rec in zip(y, timed, strict=True):
            label = pg.TextItem(f"{rec.median_ms:.3g} ms", color=self.colours.plot_foreground, anchor=(0, 0.5))
            label.setPos(float(hi[int(yi)]), float(yi))
            self.plot_item.addItem(label)
            self._labels.append(label)
        ticks = [(float(yi), r.candidate + ("" if r.correct else " (wrong)")) for yi, r in zip(y, timed, strict=True)]
        self.plot_item.getAxis("left").setTicks([ticks])
        # Room on the right for the value labels.
        self.plot_item.setXRange(0, float(hi.max()) * VALUE_LABEL_ROOM, padding=0)
        self.plot_item.setYRange(-0.6, len(timed) - 0.4, padding=0)

    def bar_count(self) -> int:
        return 0 if self.bars is None else len(self.bars.opts["width"])


class RooflineChart(_ThemedChart):
    """Log-log: GFLOP/s against FLOP/byte, under min(peak, AI × bandwidth) ceilings."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot_item.setLogMode(x=True, y=True)
        self.plot_item.setLabel("bottom", "arithmetic intensity (FLOP/byte)")
        self.plot_item.setLabel("left", "GFLOP/s")
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self._title("Roofline", "10pt")
        self.points: list[pg.PlotDataItem] = []
        self.point_labels: list[pg.TextItem] = []
        self.ceiling_items: list[pg.PlotDataItem] = []

    def set_records(self, records: list[LabRecord], ceilings: Ceilings) -> None:
        self.plot_item.clear()
        if self.plot_item.legend is not None:
            self.plot_item.legend.clear()
        else:
            # Bottom right: under the roof's slope, the one corner the points never reach.
            self.plot_item.addLegend(offset=(-10, -10))
        self.plot_item.legend.setLabelTextSize(title_size(self.presentation, "8pt"))
        self.plot_item.legend.setLabelTextColor(self.colours.plot_foreground)
        self.points, self.point_labels, self.ceiling_items = [], [], []
        measured = [r for r in records if r.gflops and r.flops and r.bytes_moved]
        ai_values = [r.flops / r.bytes_moved for r in measured]
        rates = [r.gflops for r in measured if r.gflops]  # every one: measured records have a rate
        ridge = ceilings.peak_gflops / ceilings.peak_gbps if ceilings.peak_gflops and ceilings.peak_gbps else None
        anchors = ai_values + ([ridge] if ridge else [])
        if not anchors:
            self._title("Roofline (no measured points)", "10pt")
            return
        x_lo = math.log10(min(anchors)) - X_MARGIN_DECADES
        x_hi = math.log10(max(anchors)) + X_MARGIN_DECADES
        ai = np.logspace(x_lo, x_hi, 200)
        self._draw_ceilings(ai, ceilings)
        ys = rates + ([ceilings.peak_gflops] if ceilings.peak_gflops else [])
        y_lo = math.log10(min(ys)) - 0.6
        y_hi = math.log10(max(ys)) + 0.3
        self._draw_points(measured, ai_values, rates, (y_hi - y_lo) / LABEL_ROWS)
        self.plot_item.setXRange(x_lo, x_hi, padding=0)
        self.plot_item.setYRange(y_lo, y_hi, padding=0)
        where = f" — {ceilings.source}" if ceilings.source else ""
        self._title(f"Roofline{where}", "9pt")

    def _draw_ceilings(self, ai: np.ndarray, c: Ceilings) -> None:
        width = self._pen_px(CEILING_PEN_PX)
        roof_pen = pg.mkPen(self.colours.plot_foreground, width=width)
        copy_pen = pg.mkPen(self.colours.copy_line, width=width, style=Qt.PenStyle.DotLine)
        peak = c.peak_gflops or math.inf
        if c.peak_gbps:
            roof = np.minimum(peak, ai * c.peak_gbps)
            name = (
                f"roof: {_fmt_rate(c.peak_gflops, 'FLOP/s')} {c.flops_dtype.replace('float', 'FP')}, "
                f"{_fmt_rate(c.peak_gbps, 'B/s')} memory"
                if c.peak_gflops
                else f"memory peak {_fmt_rate(c.peak_gbps, 'B/s')}"
            )
            self.ceiling_items.append(self.plot_item.plot(ai, roof, pen=roof_pen, name=name))
        elif c.peak_gflops:
            self.ceiling_items.append(
                self.plot_item.plot(
                    ai, np.full_like(ai, peak), pen=roof_pen, name=f"peak {_fmt_rate(c.peak_gflops, 'FLOP/s')}"
                )
            )
        if c.copy_gbps:
            copy = np.minimum(peak, ai * c.copy_gbps)
            self.ceiling_items.append(
                self.plot_item.plot(ai, copy, pen=copy_pen, name=f"measured copy {_fmt_rate(c.copy_gbps, 'B/s')}")
            )

    @property
    def _symbol_px(self) -> int:
        return 16 if self.presentation else 11  # markers grow with the text on a projector

    def _draw_points(self, measured: list[LabRecord], ai_values: list[float], rates: list[float], gap: float) -> None:
        """One marker per record at (``ai_values``, ``rates`` GFLOP/s); labels pushed apart vertically,
        joined to their point by a line."""
        names = sorted({r.candidate for r in measured})
        order = sorted(range(len(measured)), key=lambda i: rates[i])
        last_y = -math.inf
        for i in order:
            rec, x, rate = measured[i], ai_values[i], rates[i]
            index = names.index(rec.candidate)
            symbol = POINT_SYMBOLS[index % len(POINT_SYMBOLS)]
            colour = self.colours.series[index % len(self.colours.series)]
            point = self.plot_item.plot(
                [x],
                [rate],
                pen=None,
                symbol=symbol,
                symbolSize=self._symbol_px,
                symbolBrush=colour,
                symbolPen=pg.mkPen(self.colours.mark_edge, width=1),
            )
            self.points.append(point)
            lx, ly = math.log10(x) + 0.25, max(math.log10(rate), last_y + gap)
            last_y = ly
            leader = pg.PlotCurveItem(
                [math.log10(x), lx], [math.log10(rate), ly], pen=pg.mkPen(colour, width=self._pen_px(1))
            )
            self.plot_item.addItem(leader)  # no log mode of its own: log10 coordinates given
            text = rec.candidate + ("" if rec.correct else " (wrong)")
            label = pg.TextItem(
                text,
                color=self.colours.plot_foreground,
                anchor=(0, 0.5),
                fill=pg.mkBrush(qcolour(self.colours.plot_background, CHART_LABEL_ALPHA)),
            )
            label.setPos(lx, ly)
            self.plot_item.addItem(label)
            self.point_labels.append(label)
