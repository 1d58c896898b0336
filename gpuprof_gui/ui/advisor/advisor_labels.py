"""Where the Amdahl chart's texts go: the free spot nearest what they name, never on a curve or a text.

The plot is a grid of ``CELL_PX`` cells. Curves, dashed lines and markers take their
cells (with ``CLEARANCE_PX`` around them); each text in turn takes the free rectangle
nearest its anchor and leaves it taken for the next. A summed-area table of the taken
cells tests every position at once (numpy), so a plot of 700 × 400 px is ~30,000
positions per text: under a millisecond. Pixels here are the plot's own, y down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CELL_PX = 3.0
"""Grid step: fine enough that a text sits within 3 px of where it could be, coarse enough to be instant."""
CLEARANCE_PX = 4.0
"""Room between a text and a curve, a line, a marker or another text."""
LEADER_TRIES = 400
"""Free spots, nearest first, tried for a leader line that crosses nothing (then the nearest wins)."""


@dataclass(frozen=True)
class Spot:
    """A text's rectangle (top-left, size, plot pixels) and whether it overlaps nothing."""

    x: float
    y: float
    w: float
    h: float
    free: bool

    def nearest_point(self, ax: float, ay: float) -> tuple[float, float]:
        """The point of the rectangle nearest (ax, ay): where a leader line from the anchor ends."""
        return min(max(ax, self.x), self.x + self.w), min(max(ay, self.y), self.y + self.h)

    def distance(self, ax: float, ay: float) -> float:
        nx, ny = self.nearest_point(ax, ay)
        return math.hypot(nx - ax, ny - ay)


class FreeSpace:
    """A ``width`` × ``height`` px plot; ``take_*`` marks what is drawn, :meth:`place` finds room."""

    def __init__(self, width: float, height: float, cell: float = CELL_PX) -> None:
        self.width, self.height, self.cell = float(width), float(height), float(cell)
        # Whole cells inside the plot only: a text in the last column still ends inside it.
        self.cols = max(1, math.floor(self.width / cell))
        self.rows = max(1, math.floor(self.height / cell))
        self.taken = np.zeros((self.rows, self.cols), dtype=bool)

    def take_rect(self, x0: float, y0: float, x1: float, y1: float, pad: float = CLEARANCE_PX) -> None:
        c0, c1 = self._col(min(x0, x1) - pad), self._col(max(x0, x1) + pad)
        r0, r1 = self._row(min(y0, y1) - pad), self._row(max(y0, y1) + pad)
        if c0 <= c1 and r0 <= r1:
            self.taken[r0 : r1 + 1, c0 : c1 + 1] = True

    def take_polyline(self, xs: Sequence[float], ys: Sequence[float], pad: float = CLEARANCE_PX) -> None:
        """A curve: points half a cell apart along it, each taking the cells within ``pad``."""
        x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        if len(x) == 0:
            return
        if len(x) > 1:
            seg = np.hypot(np.diff(x), np.diff(y))
            steps = np.maximum(1, np.ceil(seg / (self.cell / 2))).astype(int)
            t = np.concatenate([np.arange(n) / n for n in steps] + [np.zeros(1)])
            start = np.repeat(np.arange(len(seg)), steps)
            start = np.append(start, len(x) - 1)
            nxt = np.minimum(start + 1, len(x) - 1)
            x = x[start] + (x[nxt] - x[start]) * t
            y = y[start] + (y[nxt] - y[start]) * t
        inside = (x >= -pad) & (x <= self.width + pad) & (y >= -pad) & (y <= self.height + pad)
        for px, py in zip(x[inside], y[inside], strict=True):
            self.take_rect(px, py, px, py, pad)

    def place(self, w: float, h: float, ax: float, ay: float) -> Spot:
        """The free ``w`` × ``h`` rectangle nearest (ax, ay), now taken; the least-covered one if none is free."""
        spot = self.find(w, h, ax, ay)
        self.take(spot)
        return spot

    def take(self, spot: Spot) -> None:
        self.take_rect(spot.x, spot.y, spot.x + spot.w, spot.y + spot.h)

    def find(self, w: float, h: float, ax: float, ay: float, reach: float = 0.0) -> Spot:
        """The free ``w`` × ``h`` rectangle nearest (ax, ay); the least-covered one if none is free.

        With ``reach`` (a marker's radius and clearance), a rectangle further away than that
        needs a leader line to (ax, ay): the nearest one whose leader crosses nothing drawn wins.
        """
        kw, kh = max(1, math.ceil(w / self.cell)), max(1, math.ceil(h / self.cell))
        if kw > self.cols or kh > self.rows:  # larger than the plot: top left, marked as not free
            return Spot(0.0, 0.0, w, h, False)
        sat = np.zeros((self.rows + 1, self.cols + 1), dtype=np.int32)
        sat[1:, 1:] = self.taken.cumsum(0).cumsum(1)
        covered = sat[kh:, kw:] - sat[:-kh, kw:] - sat[kh:, :-kw] + sat[:-kh, :-kw]
        rows, cols = np.nonzero(covered == covered.min())
        x0, y0 = cols * self.cell, rows * self.cell
        dx = np.maximum(np.maximum(x0 - ax, 0.0), ax - (x0 + w))
        dy = np.maximum(np.maximum(y0 - ay, 0.0), ay - (y0 + h))
        distance = np.hypot(dx, dy)
        order = np.argsort(distance, kind="stable")
        best = int(order[0])
        if reach > 0:
            for i in order[:LEADER_TRIES]:
                spot = Spot(float(x0[i]), float(y0[i]), w, h, True)
                if distance[i] <= reach or self._clear_leader(ax, ay, *spot.nearest_point(ax, ay), reach):
                    best = int(i)
                    break
        return Spot(float(x0[best]), float(y0[best]), w, h, bool(covered.min() == 0))

    def _clear_leader(self, ax: float, ay: float, bx: float, by: float, reach: float) -> bool:
        """Whether a line from (ax, ay) to (bx, by) crosses nothing taken beyond ``reach`` of (ax, ay)."""
        length = math.hypot(bx - ax, by - ay)
        steps = max(1, math.ceil(length / (self.cell / 2)))
        for t in np.linspace(min(1.0, reach / length), 1.0, steps):
            if self.taken[self._row(ay + (by - ay) * t), self._col(ax + (bx - ax) * t)]:
                return False
        return True

    def _col(self, x: float) -> int:
        return int(min(self.cols - 1, max(0, math.floor(x / self.cell))))

    def _row(self, y: float) -> int:
        return int(min(self.rows - 1, max(0, math.floor(y / self.cell))))


def decade_ticks(lo: float, hi: float) -> list[float]:
    """Tick values between ``lo`` and ``hi`` (> 0): powers of ten, with 2 and 5 between them on a short axis."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks = [10.0**d for d in range(first, last + 1) if lo <= 10.0**d <= hi]
    if len(ticks) < 3:
        ticks = sorted(m * 10.0**d for d in range(first, last + 1) for m in (1, 2, 5) if lo <= m * 10.0**d <= hi)
    return ticks


def tick_text(value: float) -> str:
    """``1×``, ``20×``, ``10,000×``, ``0.5×``."""
    return f"{value:,.0f}×" if value >= 1 else f"{value:g}×"
