"""Run bands across the telemetry plots: one translucent rectangle per run in every plot, its name on the top one.

Drawing and placing only; which runs, and on which clock, is the view's (TelemetryView).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from gpuprof_gui.ui.lab.telemetry_plots import BandLabel, place_band_labels
from gpuprof_gui.ui.style.palette import (
    BAND_EDGE_ALPHA,
    BAND_FILL_ALPHA,
    CHART_LABEL_ALPHA,
    LIGHT_UI,
    ThemeColours,
    qcolour,
)

BandRect = tuple[int, QGraphicsRectItem, float, float | None]
"""(plot index, rectangle, t_begin, t_end or None while open), times in s since t0."""


class RunBands:
    """The bands' items in ``plots``: drawn anew when the runs change, moved when the x origin does."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        self.plots = plots
        self.items: list[tuple[int, Any]] = []
        self.labels: list[BandLabel] = []
        self.rects: list[BandRect] = []
        self.style(LIGHT_UI)

    def style(self, colours: ThemeColours) -> None:
        """The theme's colours (the caller draws again)."""
        self.colour, self.fill = colours.band, colours.band_fill
        self.label_fill = qcolour(colours.plot_background, CHART_LABEL_ALPHA)

    def draw(self, bands: list[dict[str, Any]], offset: float, latest: float) -> None:
        for plot_index, item in self.items:
            self.plots[plot_index].removeItem(item)
        self.items, self.labels, self.rects = [], [], []
        for band in bands:
            t0 = float(band["t_begin"])
            t1 = float(band["t_end"]) if band.get("t_end") is not None else None  # None: still open
            width = max((latest if t1 is None else t1) - t0, 0.0)
            name = str(band.get("label", ""))
            for i, plot in enumerate(self.plots):
                # A plain rectangle, tall beyond any y range: its bounds are C++ work. A
                # LinearRegionItem (two InfiniteLines) recomputed its bounds in Python on
                # every scroll: 5 ms a redraw with six runs on screen.
                region = QGraphicsRectItem(t0 - offset, 0.0, width, 1.0)
                region.setBrush(QBrush(qcolour(self.fill, BAND_FILL_ALPHA)))
                edge = QPen(qcolour(self.fill, BAND_EDGE_ALPHA))
                edge.setCosmetic(True)  # 1 px whatever the zoom; top/bottom edges lie outside the view
                region.setPen(edge)
                region.setZValue(-10)
                plot.addItem(region, ignoreBounds=True)
                self.items.append((i, region))
                self.rects.append((i, region, t0, t1))
                region.setToolTip(name)
            label = pg.TextItem(name, color=self.colour, anchor=(0, 0), fill=pg.mkBrush(self.label_fill))
            label.textItem.document().setDocumentMargin(2)
            self.plots[0].addItem(label, ignoreBounds=True)
            self.items.append((0, label))
            self.labels.append((label, t0, t1, name))
        self.place_labels(offset, latest)
        for i in range(len(self.plots)):
            self.fit_heights(i)

    def fit_heights(self, plot_index: int) -> None:
        """Band rectangles span the plot's y range with room to spare, but stay within what
        the raster engine can fill: a rect ~1e12 tall overflowed its fixed-point coordinates."""
        y0, y1 = self.plots[plot_index].viewRange()[1]
        span = max(y1 - y0, 1e-9)
        for i, rect, _t0, _t1 in self.rects:
            if i == plot_index:
                r = rect.rect()
                rect.setRect(r.x(), y0 - span, r.width(), 3 * span)

    def place(self, offset: float, latest: float) -> None:
        """Put the bands (and their labels) on the x origin ``offset``; open bands grow to ``latest``."""
        for _i, rect, t0, t1 in self.rects:
            r = rect.rect()
            end = latest if t1 is None else t1
            rect.setRect(t0 - offset, r.y(), max(end - t0, 0.0), r.height())
        self.place_labels(offset, latest)

    def place_labels(self, offset: float, latest: float) -> None:
        """Run names along the top plot's top edge, for its size in pixels (see place_band_labels)."""
        place_band_labels(self.plots[0], self.labels, offset, latest)
