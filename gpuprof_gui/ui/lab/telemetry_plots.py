"""The stack of telemetry plots: one x-linked pyqtgraph plot per quantity, its curves named in its title.

Building and restyling only; what the curves show, and when they redraw, is
:class:`gpuprof_gui.ui.lab.telemetry_view.TelemetryView`'s.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QPen

from gpuprof_gui.gpu.gpu_channel import METRIC_INFO
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
LEFT_AXIS_PX = {False: 60, True: 90}
"""Room for the y tick labels ("100", "12.5") at the desk and at the presentation size."""
TITLE_SIZE = "9pt"


def curve_colours(colours: ThemeColours) -> tuple[str, str]:
    """Blue and orange (the theme's first two series): apart for colour-blind viewers, and text-grade."""
    return colours.series[0], colours.series[1]


def plot_title(title: str, unit: str, metrics: tuple[str, ...], colours: ThemeColours = LIGHT_UI) -> str:
    """Title naming each curve in its colour: a legend inside the plot hid the run bands' labels."""
    if len(metrics) == 1:
        return f"{title} ({unit})"
    pair = curve_colours(colours)
    names = ", ".join(
        f'<span style="color:{pair[i % len(pair)]}">━ {metric_name(m)}</span>' for i, m in enumerate(metrics)
    )
    return f"{title} ({unit}): {names}"


def metric_name(metric: str) -> str:
    return METRIC_INFO.get(metric, (metric,))[0]


def curve_pen(index: int, width: float, colours: ThemeColours = LIGHT_UI) -> QPen:
    """The pen of a plot's ``index``-th curve."""
    pair = curve_colours(colours)
    return pg.mkPen(pair[index % len(pair)], width=width)


def build_plots(
    graphics: pg.GraphicsLayoutWidget, pen_width: float
) -> tuple[list[pg.PlotItem], dict[str, pg.PlotDataItem]]:
    """One plot per row of PLOTS in ``graphics``, x-linked, time axis at the bottom only; and a curve per metric."""
    plots: list[pg.PlotItem] = []
    curves: dict[str, pg.PlotDataItem] = {}
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
        for i, metric in enumerate(metrics):
            curves[metric] = plot.plot([], [], pen=curve_pen(i, pen_width), name=metric_name(metric), connect="finite")
        plots.append(plot)
    return plots, curves


def restyle_plots(
    plots: list[pg.PlotItem],
    curves: dict[str, pg.PlotDataItem],
    colours: ThemeColours,
    presentation: bool,
    pen_width: float,
) -> None:
    """Axis room, titles and curve pens for the desk or the projector (axes and background: style_plot)."""
    for plot, (title, unit, metrics, _scale) in zip(plots, PLOTS, strict=True):
        plot.getAxis("left").setWidth(LEFT_AXIS_PX[bool(presentation)])
        plot.setTitle(
            plot_title(title, unit, metrics, colours),
            size=title_size(presentation, TITLE_SIZE),
            color=colours.plot_foreground,
        )
        for i, metric in enumerate(metrics):
            curves[metric].setPen(curve_pen(i, pen_width, colours))


def set_two_y_ticks(plot: pg.PlotItem) -> None:
    """Y ticks at 0 and one round value only: pyqtgraph always labels every major tick
    (at least two intervals), and six stacked plots on a projector leave ~80 px for each."""
    top = plot.viewRange()[1][1]
    step = 10.0 ** math.floor(math.log10(top)) if top > 0 else 1.0
    nice = max((m * step for m in (1, 2, 5) if m * step <= top), default=step)
    plot.getAxis("left").setTicks([[(0.0, "0"), (nice, f"{nice:g}")], []])
