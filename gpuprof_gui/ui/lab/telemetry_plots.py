"""The stack of telemetry plots: one x-linked pyqtgraph plot per quantity, its curves named in its title.

Building and restyling only; the curves are telemetry_devices' (one per GPU and metric), and what
they show, and when they redraw, is :class:`gpuprof_gui.ui.lab.telemetry_view.TelemetryView`'s.
"""

from __future__ import annotations

import math
import re

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QApplication, QFrame, QScrollArea

from gpuprof_gui.gpu.gpu_channel import METRIC_INFO
from gpuprof_gui.ui.lab.chart_labels import row_labels
from gpuprof_gui.ui.style.palette import LIGHT_UI, ThemeColours
from gpuprof_gui.ui.style.theme import title_size

# (title, unit, metrics, scale) per plot; scale converts the metric's unit to the plot's.
PLOTS = (
    ("Utilisation", "%", ("gpu_util_pct", "mem_util_pct"), 1.0),
    ("Power", "W", ("power_w",), 1.0),
    ("Clocks", "MHz", ("sm_clock_mhz", "mem_clock_mhz"), 1.0),
    ("Memory used", "GiB", ("memory_used_mib",), 1.0 / 1024.0),
    ("Temperature", "°C", ("temperature_c",), 1.0),
    ("PCIe", "MB/s", ("pcie_rx_mbps", "pcie_tx_mbps"), 1.0),
)
SHORT_NAMES = {
    "gpu_util_pct": "GPU",
    "mem_util_pct": "memory",
    "sm_clock_mhz": "SM",
    "mem_clock_mhz": "memory",
    "pcie_rx_mbps": "to GPU",
    "pcie_tx_mbps": "to host",
}
"""A curve's name in a word, for a title that has no room for METRIC_INFO's."""
LINE_SIGNS = ("━", "╍")
"""A plot's first and second curve, solid and dashed, where colour names the GPU (several shown)."""
LEFT_AXIS_PX = {False: 60, True: 90}
"""Room for the y tick labels ("100", "12.5") at the desk and at the presentation size."""
LAYOUT_MARGINS_PX = 24
"""What the plot stack's layout keeps beside a plot's axis and title (margins and spacing)."""
TITLE_SIZE = "9pt"
TITLE_MARGINS_PX = 10
"""A title's text item adds 4 px of document margin on each side (and rounds up)."""
BAND_LABEL_ROWS = 3
"""Run names take at most three rows along the top of the first plot: more would hide its curves."""
BAND_LABEL_GAP_PX = 4
"""Between two run names in a row, and between the rows."""
MIN_NAME_CHARS = 3
"""A name cut shorter than three letters and "…" says nothing: the band's tooltip names it instead."""

PLOT_LINES = {False: 4.0, True: 3.0}
"""Each plot needs this many lines of its text in height: its title, and two y tick labels apart
at the desk (one on a projector, see set_two_y_ticks), with pyqtgraph's spacing."""
AXIS_LINES = 3.0
"""The time axis under the stack: its tick labels and its label, with pyqtgraph's spacing."""

BandLabel = tuple[pg.TextItem, float, float | None, str]
"""A run band's label: the item, the band's start and end (None while open, s since t0) and its full name."""


def curve_colours(colours: ThemeColours) -> tuple[str, str]:
    """Blue and orange (the theme's first two series): apart for colour-blind viewers, and text-grade."""
    return colours.series[0], colours.series[1]


def plot_title(
    title: str,
    unit: str,
    metrics: tuple[str, ...],
    colours: ThemeColours = LIGHT_UI,
    short: bool = False,
    by_style: bool = False,
) -> str:
    """Title naming each curve in its colour (``short``: in a word); ``by_style`` (several GPUs,
    where colour names the GPU): by its line, solid or dashed, in the title's colour.

    A legend inside the plot hid the run bands' labels."""
    if len(metrics) == 1:
        return f"{title} ({unit})"
    pair = (colours.plot_foreground,) if by_style else curve_colours(colours)
    words = [SHORT_NAMES.get(m, metric_name(m)) if short else metric_name(m) for m in metrics]
    lines = LINE_SIGNS if by_style else ("━",)
    names = ", ".join(
        f'<span style="color:{pair[i % len(pair)]}">{lines[i % len(lines)]} {w}</span>' for i, w in enumerate(words)
    )
    return f"{title} ({unit}): {names}"


def fit_titles(
    plots: list[pg.PlotItem], width: float, colours: ThemeColours, presentation: bool, by_style: bool = False
) -> None:
    """Each plot's title, the longest that fits ``width`` pixels: the curves named in full, in a word,
    or not at all (then cut short with "…"); in a title row as tall as its font."""
    size = title_size(presentation, TITLE_SIZE)
    font = QFont(QApplication.font())
    font.setPointSizeF(float(size.removesuffix("pt")))
    metrics = QFontMetricsF(font)
    row = int(metrics.height()) + 6
    width -= TITLE_MARGINS_PX
    for plot, (title, unit, names, _scale) in zip(plots, PLOTS, strict=True):
        variants = [
            plot_title(title, unit, names, colours, by_style=by_style),
            plot_title(title, unit, names, colours, short=True, by_style=by_style),
        ]
        text = next(
            (v for v in variants if metrics.horizontalAdvance(re.sub("<[^>]+>", "", v)) <= width),
            metrics.elidedText(f"{title} ({unit})", Qt.TextElideMode.ElideRight, max(width, 0.0)),
        )
        plot.setTitle(text, size=size, color=colours.plot_foreground)
        plot.titleLabel.setMaximumHeight(row)
        plot.layout.setRowFixedHeight(0, row)


def metric_name(metric: str) -> str:
    return METRIC_INFO.get(metric, (metric,))[0]


def curve_pen(index: int, width: float, colours: ThemeColours = LIGHT_UI) -> QPen:
    """The pen of a plot's ``index``-th curve."""
    pair = curve_colours(colours)
    return pg.mkPen(pair[index % len(pair)], width=width)


def build_plots(graphics: pg.GraphicsLayoutWidget) -> list[pg.PlotItem]:
    """One plot per row of PLOTS in ``graphics``, x-linked, time axis at the bottom only (curves:
    telemetry_devices, one per GPU and metric)."""
    plots: list[pg.PlotItem] = []
    for row, (title, unit, metrics, _scale) in enumerate(PLOTS):
        plot = graphics.addPlot(row=row, col=0)
        plot.setLabel("left", title, units=None)
        plot.getAxis("left").setWidth(LEFT_AXIS_PX[False])
        plot.setTitle(plot_title(title, unit, metrics), size=TITLE_SIZE, color=LIGHT_UI.plot_foreground)
        # No grid: pyqtgraph draws grid lines in the axis items' cached
        # pictures across the whole plot, which cost 2/3 of every redraw.
        plot.setMenuEnabled(False)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        # The view sets both ranges itself: pyqtgraph's auto-range would move x
        # on every setData and fight "Follow live".
        plot.disableAutoRange()
        plot.getAxis("left").setLabel("")
        if plots:
            plot.setXLink(plots[0])
        if row < len(PLOTS) - 1:
            plot.hideAxis("bottom")  # one time axis at the bottom; each axis repaints per frame
        else:
            plot.setLabel("bottom", "time", units="s")
        plots.append(plot)
    return plots


def restyle_plots(plots: list[pg.PlotItem], presentation: bool) -> None:
    """Axis room for the desk or the projector (axes and background: style_plot; titles: fit_titles,
    for the width the plots have; curve pens: telemetry_devices)."""
    for plot in plots:
        plot.getAxis("left").setWidth(LEFT_AXIS_PX[bool(presentation)])


def set_two_y_ticks(plot: pg.PlotItem) -> None:
    """Y ticks at 0 and one round value only: pyqtgraph always labels every major tick
    (at least two intervals), and six stacked plots on a projector leave ~80 px for each.
    Where the plot is shorter than two tick labels, the round value alone."""
    axis = plot.getAxis("left")
    y0, top = plot.viewRange()[1]
    step = 10.0 ** math.floor(math.log10(top)) if top > 0 else 1.0
    nice = max((m * step for m in (1, 2, 5) if m * step <= top), default=step)
    text_px = QFontMetricsF(axis.style["tickFont"] or QApplication.font()).height()
    apart_px = (nice - y0) / max(top - y0, 1e-12) * plot.getViewBox().height()
    text = f"{nice / 1000:g}k" if nice >= 10_000 else f"{nice:g}"  # "20000" is wider than the axis at 20 pt
    ticks = [(nice, text)] if apart_px < text_px + 2 else [(0.0, "0"), (nice, text)]
    axis.setTicks([ticks, []])


def place_band_labels(plot: pg.PlotItem, labels: list[BandLabel], offset: float, latest: float) -> None:
    """Run names along the top of ``plot``, never overlapping: in as few rows as let each be read
    whole, cut short with "…" where their run is short, or left out where even that leaves too
    little (see row_labels); every band also names its run in its tooltip."""
    vb = plot.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    width, height = vb.width(), vb.height()
    for label, *_rest in labels:
        label.setVisible(False)
    if not labels or width <= 0 or height <= 0 or x1 <= x0:
        return
    gap = BAND_LABEL_GAP_PX
    metrics = QFontMetricsF(labels[0][0].textItem.font())
    margin = labels[0][0].textItem.document().documentMargin()
    line = metrics.height() + 2 * margin
    visible: list[tuple[float, pg.TextItem, str]] = []
    for label, t0, t1, text in labels:
        begin = (t0 - offset - x0) / (x1 - x0) * width
        end = ((latest if t1 is None else t1) - offset - x0) / (x1 - x0) * width
        if end >= 0 and begin < width:
            visible.append((max(begin, 0.0), label, text))
    visible.sort(key=lambda v: v[0])
    placed = row_labels(
        [start for start, _label, _text in visible],
        [metrics.horizontalAdvance(text) + 2 * margin for _start, _label, text in visible],
        [metrics.horizontalAdvance(text[:MIN_NAME_CHARS] + "…") + 2 * margin for _start, _label, text in visible],
        width,
        min(BAND_LABEL_ROWS, int((height - gap) // (line + gap))),
        gap,
    )
    for (start, label, text), where in zip(visible, placed, strict=True):
        if where is None:
            continue
        row, room = where
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room - 2 * margin + 0.5)
        if label.toPlainText() != shown:
            label.setPlainText(shown)
        top = gap + row * (line + gap)
        label.setPos(x0 + start / width * (x1 - x0), y1 - top / height * (y1 - y0))
        label.setVisible(True)


def scrolling(graphics: pg.GraphicsLayoutWidget) -> QScrollArea:
    """``graphics`` in a vertical scroll area: where six plots cannot have the height their text
    needs (a short window, 20 pt on a projector), the stack scrolls instead of being cut off."""
    area = QScrollArea()
    area.setWidget(graphics)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def least_stack_height(presentation: bool) -> int:
    """The height (px) below which the plots' titles and ticks would overlap (PLOT_LINES)."""
    font = QFont(QApplication.font())
    font.setPointSizeF(float(title_size(presentation, TITLE_SIZE).removesuffix("pt")))
    line = max(QFontMetricsF(font).height(), QFontMetricsF(QApplication.font()).height())
    return int(line * (PLOT_LINES[bool(presentation)] * len(PLOTS) + AXIS_LINES))
