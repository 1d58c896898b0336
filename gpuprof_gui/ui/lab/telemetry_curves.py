"""Telemetry curves drawn in one item per plot, from paths that grow by the new samples only.

Eight GPUs put 72 curves on the plots. A pyqtgraph PlotDataItem per curve, re-set
every tick, cost 55 ms a tick (its setData, bounds and downsampling bookkeeping run in
Python per curve): half a core at 10 Hz. Here each curve is a QPainterPath in data
coordinates (absolute seconds); a tick appends the new points to it, and following live
moves the whole layer left (``setPos``) instead of re-setting x. A path is rebuilt when it
holds REBUILD_SLACK_S seconds more than the window shows, or when the view changes.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPaintEvent, QPen

REBUILD_SLACK_S = 30.0
"""A path is rebuilt once it reaches this far left of the window: 300 points of 10 Hz kept in vain at most."""
APPEND_POINTS_MAX = 16
"""New points up to this many are added one call each; more (a utilisation batch, a late pull) in one array."""
PLOT_CPU_SHARE = 0.07
"""Pulling and painting the plots may take 7% of a core (the event loop's own work brings it to the
10% budget); where a frame costs more (eight GPUs, a slow laptop), frames come less often, every
sample still drawn: redraw_interval_ms. One GPU: ~4 ms a frame, 10 a second; eight: ~10 ms, ~7."""
MAX_INTERVAL_MS = 1000
"""...but at least once a second."""
BOUNDS_PAD = 0.05
"""The layer's bounds reach 5% past its curves: a line at the edge is still repainted whole."""


class Curve:
    """One GPU's samples of one metric as a path; ``getData()`` gives them as the plot shows them."""

    def __init__(self, layer: CurveLayer, scale: float) -> None:
        self.layer = layer
        self.scale = scale
        self.pen = QPen()
        self.visible = True
        self.path = QPainterPath()
        self.first_t = np.inf  # the oldest time in the path
        self.last_t = -np.inf  # the newest
        self._t = np.empty(0)
        self._v = np.empty(0)

    def set_pen(self, pen: QPen) -> None:
        self.pen = pen
        self.layer.update()

    def clear(self) -> None:
        self.path = QPainterPath()
        self.first_t, self.last_t = np.inf, -np.inf
        self._t, self._v = np.empty(0), np.empty(0)

    def sync(self, t: np.ndarray, v: np.ndarray, lo_t: float, rebuild: bool) -> float:
        """Bring the path up to ``t``/``v`` (the whole series), from ``lo_t`` on; the highest value from lo_t."""
        first = int(np.searchsorted(t, lo_t)) if np.isfinite(lo_t) else 0
        if len(t) and (rebuild or self.first_t < max(lo_t, float(t[0])) - REBUILD_SLACK_S or not len(self._t)):
            self._build(t[first:], v[first:])
        elif len(t) and t[-1] > self.last_t:
            new = max(int(np.searchsorted(t, self.last_t, side="right")) - 1, 0)  # from the last point drawn
            self._append(t[new:], v[new:] * self.scale)
            self._t, self._v = t, v
            self.last_t = float(t[-1])
        elif not len(t):
            self.clear()
        shown = v[first:]
        if len(shown) and np.isfinite(shown).any():
            return float(np.nanmax(shown)) * self.scale
        return 0.0

    def _append(self, t: np.ndarray, v: np.ndarray) -> None:
        """Extend the polyline from its last point (``t[0]``, ``v[0]``) by the rest; a NaN is a gap.

        A few points a tick: QPainterPath's own calls cost ~1 µs each, arrayToQPath ~40 µs whatever
        the length. One polyline: a path of many short subpaths draws ~2x slower."""
        if len(t) > APPEND_POINTS_MAX:
            tail = _path(t, v)
            if np.isfinite(v[0]):
                self.path.connectPath(tail)
            else:
                self.path.addPath(tail)
            return
        joined = bool(np.isfinite(v[0]))
        for x, y in zip(t[1:].tolist(), v[1:].tolist(), strict=True):
            if y != y:  # NaN: no sample
                joined = False
            elif joined:
                self.path.lineTo(x, y)
            else:
                self.path.moveTo(x, y)
                joined = True

    def _build(self, t: np.ndarray, v: np.ndarray) -> None:
        self.path = _path(t, v * self.scale)
        self.first_t = float(t[0]) if len(t) else np.inf
        self.last_t = float(t[-1]) if len(t) else -np.inf
        self._t, self._v = t, v

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 - pyqtgraph's name, for tests
        """The points in the path, x as the plot shows it (seconds before now, following live)."""
        keep = self._t >= self.first_t
        return self._t[keep] + self.layer.pos().x(), self._v[keep] * self.scale


class CurveLayer(pg.GraphicsObject):
    """Every curve of one plot, painted in one go: per curve one setPen and one drawPath."""

    def __init__(self) -> None:
        super().__init__()
        self.curves: list[Curve] = []
        self._bounds = QRectF()

    def add_curve(self, scale: float) -> Curve:
        curve = Curve(self, scale)
        self.curves.append(curve)
        return curve

    def remove_all(self) -> None:
        self.curves = []
        self.refresh()

    def refresh(self) -> None:
        """New bounds (the union of the visible paths) and a repaint."""
        rect = QRectF()
        for curve in self.curves:
            if curve.visible and not curve.path.isEmpty():
                rect = rect.united(curve.path.controlPointRect())
        if rect.isValid() or rect.width() or rect.height():
            pad_x, pad_y = rect.width() * BOUNDS_PAD + 1e-6, rect.height() * BOUNDS_PAD + 1e-6
            rect = rect.adjusted(-pad_x, -pad_y, pad_x, pad_y)
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def paint(self, painter: QPainter, *_args: object) -> None:
        for curve in self.curves:
            if curve.visible and not curve.path.isEmpty():
                painter.setPen(curve.pen)
                painter.drawPath(curve.path)


def _path(t: np.ndarray, v: np.ndarray) -> QPainterPath:
    """A polyline through the finite points; a missing sample (NaN) leaves a gap."""
    if not len(t):
        return QPainterPath()
    return pg.arrayToQPath(np.asarray(t, float), np.asarray(v, float), connect="finite")


def redraw_interval_ms(frame_s: float, fastest_ms: int) -> int:
    """How often to pull and redraw when a frame costs ``frame_s`` seconds of CPU: every ``fastest_ms``
    if that keeps within PLOT_CPU_SHARE, else as often as does (at least once a second)."""
    return int(min(max(fastest_ms, frame_s / PLOT_CPU_SHARE * 1000.0), MAX_INTERVAL_MS))


class TimedGraphics(pg.GraphicsLayoutWidget):
    """The plots' widget, timing its own paints (``paint_s``: the last one) for redraw_interval_ms."""

    paint_s = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        start = time.perf_counter()
        super().paintEvent(event)
        self.paint_s = time.perf_counter() - start
