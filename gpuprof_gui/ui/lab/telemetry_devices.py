"""The GPUs behind the telemetry plots: one series and one curve per GPU and metric.

A snapshot may hold one GPU, a host's several, or several hosts' (merged: each
device then names its ``host`` and carries a ``label``). A GPU is known by its
host and index; its colour is its place in the order the GPUs first appeared,
so a GPU keeps its colour while others come and go.

One GPU shown: its curves are the plot's metric colours (blue, orange), as they
always were. Several: each GPU has its colour (palette.DEVICE_COLOURS), and a
plot's second metric is drawn dashed in the same colour.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from gpuprof_gui.ui.lab.telemetry_curves import Curve, CurveLayer
from gpuprof_gui.ui.lab.telemetry_plots import PLOTS, curve_pen
from gpuprof_gui.ui.lab.telemetry_series import SampleSeries
from gpuprof_gui.ui.style.palette import LIGHT_UI, ThemeColours, device_colour

DeviceKey = tuple[str, int]
"""A GPU: its host ("" for this computer) and its index there."""
METRICS = tuple(metric for _title, _unit, metrics, _scale in PLOTS for metric in metrics)
SECOND_METRIC_STYLE = Qt.PenStyle.DashLine
"""A plot's second metric (memory utilisation, memory clock, PCIe to host) when colour means the GPU."""


def device_key(dev: dict[str, Any]) -> DeviceKey:
    return str(dev.get("host") or ""), int(dev.get("index", 0))


def device_label(dev: dict[str, Any]) -> str:
    """The GPU's name on screen: the source's ``label`` (merged hosts), else "GPU i: name"."""
    label = dev.get("label")
    return str(label) if label else f"GPU {dev.get('index', 0)}: {dev.get('name') or 'GPU'}"


class DeviceCurves:
    """Series and curves per GPU and metric in ``plots`` (one per row of PLOTS); which GPUs are shown."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        self.plots = plots
        self.layers = [CurveLayer() for _plot in plots]  # every curve of a plot, drawn in one item
        for plot, layer in zip(plots, self.layers, strict=True):
            plot.addItem(layer, ignoreBounds=True)
        self.keys: list[DeviceKey] = []  # in order of appearance: a GPU's colour is its place here
        self.labels: dict[DeviceKey, str] = {}
        self.names: dict[DeviceKey, str] = {}  # the GPU's model, as the source names it
        self.series: dict[tuple[DeviceKey, str], SampleSeries] = {}
        self.curves: dict[tuple[DeviceKey, str], Curve] = {}
        self.shown_key: DeviceKey | None = None  # None: every GPU
        self.colours: ThemeColours = LIGHT_UI
        self.pen_width: float = 1

    # -- which GPUs -----------------------------------------------------------------------
    def shown(self) -> list[DeviceKey]:
        if self.shown_key in self.labels:
            return [self.shown_key]
        return list(self.keys)

    def several(self) -> bool:
        """Whether colour names the GPU (several shown) rather than the metric (one)."""
        return len(self.shown()) > 1

    def show(self, key: DeviceKey | None) -> None:
        """Show one GPU (``key``) or all (None); the caller redraws."""
        self.shown_key = key
        self._apply_look()

    def first_curves(self) -> dict[str, Curve]:
        """The curves of the first GPU shown, per metric (none before a GPU has come)."""
        shown = self.shown()
        return {m: self.curves[(shown[0], m)] for m in METRICS} if shown else {}

    def colour_of(self, key: DeviceKey) -> str:
        return device_colour(self.colours, self.keys.index(key))

    def legend_entries(self) -> list[tuple[str, str, str]]:
        """(name, colour, whole label) of each GPU shown, when there are several; else none.

        One host's GPUs of one model are named "GPU i" only: eight times "NVIDIA H100 80GB HBM3"
        took the legend from one row to four on a projector, and told nothing apart."""
        if not self.several():
            return []
        shown = self.shown()
        same = all(k[0] == "" for k in shown) and len({self.names[k] for k in shown}) == 1
        return [(f"GPU {k[1]}" if same else self.labels[k], self.colour_of(k), self.labels[k]) for k in shown]

    # -- samples --------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every GPU (a new source)."""
        for layer in self.layers:
            layer.remove_all()
        self.keys, self.labels, self.names, self.series, self.curves = [], {}, {}, {}, {}

    def extend(self, devices: list[dict[str, Any]]) -> tuple[set[str], float, bool]:
        """Append a snapshot's new rows: (metrics that changed, newest time, whether the GPUs changed)."""
        changed: set[str] = set()
        latest = -np.inf
        added = False
        for dev in devices:
            key = device_key(dev)
            label = device_label(dev)
            if key not in self.labels:
                self._add(key)
                added = True
            if self.labels[key] != label:
                self.labels[key], added = label, True
            self.names[key] = str(dev.get("name") or "")
            for metric, (t, v) in dev.get("series", {}).items():
                if metric in METRICS and len(t):
                    self.series[(key, metric)].extend(np.asarray(t, float), np.asarray(v, float))
                    latest = max(latest, float(t[-1]))
                    changed.add(metric)
        if added:
            self._apply_look()
        return changed, latest, added

    def has_samples(self) -> bool:
        return any(len(s) for s in self.series.values())

    def _add(self, key: DeviceKey) -> None:
        self.keys.append(key)
        self.labels[key] = ""
        for metric in METRICS:
            self.series[(key, metric)] = SampleSeries()
            row = _plot_of(metric)
            self.curves[(key, metric)] = self.layers[row].add_curve(PLOTS[row][3])

    # -- drawing --------------------------------------------------------------------------
    def draw(self, metric: str, lo_t: float, rebuild: bool) -> float:
        """Bring the shown GPUs' curves of ``metric`` up to date from ``lo_t`` on (``rebuild``: anew);
        the highest value there, in the plot's unit."""
        top = 0.0
        for key in self.shown():
            t, v = self.series[(key, metric)].arrays()
            top = max(top, self.curves[(key, metric)].sync(t, v, lo_t, rebuild))
        return top

    def place(self, offset: float) -> None:
        """x = t - ``offset`` (following live: seconds before the newest sample); repaint."""
        for layer in self.layers:
            if layer.pos().x() != -offset:
                layer.setPos(-offset, 0.0)
            layer.refresh()

    def restyle(self, colours: ThemeColours, pen_width: float) -> None:
        self.colours, self.pen_width = colours, pen_width
        self._apply_look()

    def _apply_look(self) -> None:
        """Pens for one GPU or several; hide the GPUs not shown (and drop their points)."""
        shown = set(self.shown())
        several = len(shown) > 1
        for (key, metric), curve in self.curves.items():
            visible = key in shown
            curve.visible = visible
            if not visible:
                curve.clear()  # drawn anew when shown again
                continue
            rank = _rank_in_plot(metric)
            if several:
                pen = pg.mkPen(self.colour_of(key), width=self.pen_width)
                if rank:
                    pen.setStyle(SECOND_METRIC_STYLE)
            else:
                pen = curve_pen(rank, self.pen_width, self.colours)
            curve.set_pen(pen)


def _plot_of(metric: str) -> int:
    return next(i for i, (_t, _u, metrics, _s) in enumerate(PLOTS) if metric in metrics)


def _rank_in_plot(metric: str) -> int:
    return PLOTS[_plot_of(metric)][2].index(metric)
