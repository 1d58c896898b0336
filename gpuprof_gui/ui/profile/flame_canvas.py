"""The flame graph drawing widget: one widget paints every frame itself.

Rows run from the root at the top (an icicle) or at the bottom (a flame
graph; :mod:`flame_viewport` places them). ``paintEvent`` asks the layout for the
visible span of each visible row (``np.searchsorted``), drops frames under
one device pixel, and fills one rectangle array per colour straight from
numpy memory (one ``drawRects`` call per colour, as pyqtgraph's
``BarGraphItem`` does). Zoom and pan change only the view range
(:mod:`flame_viewport`); mouse and keys are :mod:`flame_input`'s.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from gpuprof_gui.core.flame import N_COLOUR_BUCKETS, FlameLayout, hatch_legend
from gpuprof_gui.core.model import Profile
from gpuprof_gui.ui.profile.flame_input import FlameInput
from gpuprof_gui.ui.style.palette import is_dark_fill, label_colour_on

EMPTY_TEXT = "Run a script or open a profile to see its flame graph"
EMPTY_HINTS = (
    "Drop a .py script or a profile file anywhere on the window\n"
    "Ctrl+O  open a script  ·  Ctrl+E  the bundled example  ·  F5  run\n"
    "Ctrl+Shift+O  open a .prof, Scalene .json or folded-stacks file"
)

MIN_FRAME_DEVICE_PX = 1.0  # narrower frames are invisible; skip them (one device pixel)
ROW_GAP_PX = 1.0  # background line between rows, so stacked frames read as separate
FRAME_GAP_PX = 1.0  # same between neighbouring frames
PRESENTATION_GAP_PX = 2.0  # thicker separations read better on a projector
PRESENTATION_ROW_GAP_PX = 2.0  # the same between rows
LABEL_PAD_PX = 3.0  # text inset from the frame's left edge
LABEL_MIN_TEXT = "M…M"  # a frame narrower than this gets no label (unreadable anyway)
HINT_MIN_COVERAGE_PX = 0.5
"""A pixel column at least half filled by frames too narrow to draw one by one
gets a neutral 1 px mark, so regions of many tiny calls stay visible."""
FOLDED_MIN_PX = 3.0
"""Folded calls narrower than 3 px are not dotted: a dot pattern needs that much to read."""


def drawn_legend(profile: Profile, layout: FlameLayout) -> str:
    """What the hatches and dots drawn for ``profile`` mean: the hatch only when a frame is hatched.

    A cProfile tree is an estimate below two calls, but a shallow one, or one whose paths
    the sampled stacks all back, has no hatched frame: a legend for hatches then only puzzles.
    """
    if any(not row.exact.all() for row in layout.rows):
        return hatch_legend(profile)
    return hatch_legend(replace(profile, stacks_exact=True))  # the dotted part alone, if any


def _draw_rect_array(painter: QPainter, rects: np.ndarray) -> None:
    """``drawRects`` straight from a C-contiguous (n, 4) float64 array."""
    n = rects.shape[0]
    if n:
        # wrapInstance returns an instance of the type it is given (its stub says Object).
        painter.drawRects(cast(QRectF, shiboken6.wrapInstance(rects.ctypes.data, QRectF)), n)


class FlameCanvas(FlameInput):
    """Draws a :class:`FlameLayout`; zoom, pan, click and focus come from its bases."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.last_paint_stats = {"rects": 0, "labels": 0, "hints": 0}
        self._hints = np.zeros((0, 4))

    def set_profile(self, profile: Profile | None, layout: FlameLayout | None = None) -> None:
        """Show ``profile``; ``layout`` may be precomputed off the GUI thread."""
        self._name_px: dict[int, float] = {}
        super().set_profile(profile, layout)

    def _apply_style(self) -> None:
        super()._apply_style()
        fm = self._fm
        self._gap = PRESENTATION_GAP_PX if self._presentation else FRAME_GAP_PX
        self._row_gap = PRESENTATION_ROW_GAP_PX if self._presentation else ROW_GAP_PX
        self._label_min_px = fm.horizontalAdvance(LABEL_MIN_TEXT) + 2 * LABEL_PAD_PX
        self._baseline = (self._row_h - self._row_gap + fm.ascent() - fm.descent()) / 2
        pal = self._palette
        self._fills = [QColor(c) for c in pal.frames] + [QColor(pal.dimmed)]
        self._label_pens = [QColor(label_colour_on(c, pal)) for c in pal.frames] + [QColor(pal.text)]
        # Per colour key: does the estimate hatch need the light variant?
        fills = [*pal.frames, pal.dimmed]
        self._dark_key = np.array([is_dark_fill(c) for c in fills], dtype=bool)
        self._hatch_brushes = [QBrush(QColor(c), Qt.BrushStyle.BDiagPattern) for c in (pal.hatch, pal.hatch_on_dark)]
        # Folded calls: dots, not the estimate's diagonal lines, in the same two shades.
        self._folded_brushes = [QBrush(QColor(c), Qt.BrushStyle.Dense6Pattern) for c in (pal.hatch, pal.hatch_on_dark)]
        self._name_px = {}

    # -- painting -------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), QColor(self._palette.background))
            lay = self.layout_data
            if lay is None or lay.max_depth < 0:
                self._paint_empty(p)
            else:
                self._paint_frames(p, lay)
        finally:
            p.end()

    def _paint_empty(self, p: QPainter) -> None:
        p.setPen(QColor(self._palette.text))
        p.setFont(self._label_font)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        area = QRectF(self.rect()).adjusted(20, 20, -20, -20)
        line_h = p.fontMetrics().height()
        p.drawText(area.adjusted(0, 0, 0, -4 * line_h), int(flags), EMPTY_TEXT)
        p.drawText(area.adjusted(0, 2 * line_h, 0, 2 * line_h), int(flags), EMPTY_HINTS)
        self.last_paint_stats = {"rects": 0, "labels": 0, "hints": 0}

    def _visible_frames(self, lay: FlameLayout) -> dict[str, np.ndarray] | None:
        """Screen rects and attributes of every frame wider than a device pixel."""
        w_px = float(self.width())
        x0, x1, scale = self._x0, self._x1, self._scale()
        min_w = MIN_FRAME_DEVICE_PX / self.devicePixelRatioF()
        d0, d1 = self._visible_depths()
        d1 = min(lay.max_depth, d1)
        parts, hints = [], []
        n_cols = int(w_px) + 2
        for d in range(d0, d1 + 1):
            lo, hi = lay.visible_span(d, x0, x1)
            if lo == hi:
                continue
            row = lay.rows[d]
            wid = row.width[lo:hi] * scale
            wide = wid >= min_w
            if not wide.all():
                hints.append(self._hint_runs(d, row.start[lo:hi][~wide], wid[~wide], n_cols))
            keep = np.nonzero(wide)[0]
            if keep.shape[0] == 0:
                continue
            sel = keep + lo
            left = (row.start[sel] - x0) * scale
            right = left + wid[keep]
            folded = row.folded[sel] * scale if row.folded is not None else np.zeros(sel.shape[0])
            parts.append((d, left, right, row.node[sel], row.func[sel], row.bucket[sel], row.exact[sel], folded))
        self._hints = np.concatenate(hints) if hints else np.zeros((0, 4))
        if not parts:
            return None
        left = np.concatenate([p[1] for p in parts])
        right = np.concatenate([p[2] for p in parts])
        # Clip to just outside the widget: deep zoom gives huge coordinates
        # that lose precision in the raster engine.
        np.clip(left, -2.0, w_px + 2.0, out=left)
        np.clip(right, -2.0, w_px + 2.0, out=right)
        depth = np.concatenate([np.full(p[1].shape[0], p[0], np.float64) for p in parts])
        return {
            "left": left,
            "right": right,
            "top": self._row_top(depth),
            "node": np.concatenate([p[3] for p in parts]),
            "func": np.concatenate([p[4] for p in parts]),
            "bucket": np.concatenate([p[5] for p in parts]).astype(np.intp),
            "exact": np.concatenate([p[6] for p in parts]),
            "folded_px": np.concatenate([p[7] for p in parts]),
        }

    def _paint_folded(self, p: QPainter, f: dict[str, np.ndarray], dark: np.ndarray) -> None:
        """Dots over the part of a frame that is calls folded into it, at its right end."""
        folded = f["folded_px"]
        shown = np.nonzero(folded >= FOLDED_MIN_PX)[0]
        if shown.shape[0] == 0:
            return
        rects = self._rects(f, shown)
        width = np.minimum(folded[shown], rects[:, 2])
        rects[:, 0] = rects[:, 0] + rects[:, 2] - width
        rects[:, 2] = width
        for shade, brush in enumerate(self._folded_brushes):
            pick = np.nonzero(dark[shown] == bool(shade))[0]
            if pick.shape[0]:
                p.setBrush(brush)
                _draw_rect_array(p, rects[pick])

    def _hint_runs(self, depth: int, start: np.ndarray, wid_px: np.ndarray, n_cols: int) -> np.ndarray:
        """Rects over runs of pixel columns mostly covered by sub-pixel frames."""
        col = np.clip(((start - self._x0) * self._scale()).astype(np.int64), 0, n_cols - 1)
        on = np.bincount(col, weights=wid_px, minlength=n_cols) >= HINT_MIN_COVERAGE_PX
        edges = np.diff(on.astype(np.int8), prepend=0, append=0)
        run_start = np.nonzero(edges == 1)[0]
        run_end = np.nonzero(edges == -1)[0]
        out = np.empty((run_start.shape[0], 4), dtype=np.float64)
        out[:, 0] = run_start
        out[:, 1] = self._row_top(depth)
        out[:, 2] = run_end - run_start
        out[:, 3] = self._row_h - self._row_gap
        return out

    def _rects(self, f: dict[str, np.ndarray], idx: np.ndarray | slice) -> np.ndarray:
        left, right, top = f["left"][idx], f["right"][idx], f["top"][idx]
        out = np.empty((left.shape[0], 4), dtype=np.float64)
        out[:, 0] = left
        out[:, 1] = top
        out[:, 2] = np.maximum(right - left - self._gap, 1.0)
        out[:, 3] = self._row_h - self._row_gap
        return out

    def _paint_frames(self, p: QPainter, lay: FlameLayout) -> None:
        f = self._visible_frames(lay)
        hints = self._hints
        if hints.shape[0]:
            # Under the frames: where a drawn frame shares a column it wins.
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(self._palette.hint))
            _draw_rect_array(p, hints)
        if f is None:
            self.last_paint_stats = {"rects": 0, "labels": 0, "hints": int(hints.shape[0])}
            return
        key = f["bucket"].copy()
        if self._search_mask is not None:
            key[~self._search_mask[f["node"]]] = N_COLOUR_BUCKETS  # the dimmed colour
        f["key"] = key
        order = np.argsort(key, kind="stable")
        rects = self._rects(f, order)
        counts = np.bincount(key, minlength=len(self._fills))
        p.setPen(Qt.PenStyle.NoPen)
        offset = 0
        for k, count in enumerate(counts.tolist()):
            if count:
                p.setBrush(self._fills[k])
                _draw_rect_array(p, rects[offset : offset + count])
                offset += count
        # Estimated frames: one more drawRects per hatch shade (dark on light
        # fills, light on dark fills) so the pattern shows on every colour.
        dark = self._dark_key[key]
        for shade, brush in enumerate(self._hatch_brushes):
            hatched = np.nonzero(~f["exact"] & (dark == bool(shade)))[0]
            if hatched.shape[0]:
                p.setBrush(brush)
                _draw_rect_array(p, self._rects(f, hatched))
        self._paint_folded(p, f, dark)
        self._paint_highlights(p, f)
        labels = self._paint_labels(p, f)
        self.last_paint_stats = {"rects": int(key.shape[0]), "labels": labels, "hints": int(hints.shape[0])}

    def _paint_highlights(self, p: QPainter, f: dict[str, np.ndarray]) -> None:
        pen_w = 3.0 if self._presentation else 2.0
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self._highlight_func >= 0:
            hit = np.nonzero(f["func"] == self._highlight_func)[0]
            if hit.shape[0]:
                p.setPen(QPen(QColor(self._palette.highlight), pen_w))
                _draw_rect_array(p, self._rects(f, hit))
        if self._selected_node >= 0:
            hit = np.nonzero(f["node"] == self._selected_node)[0]
            if hit.shape[0]:
                p.setPen(QPen(QColor(self._palette.text), pen_w + 1.0))
                _draw_rect_array(p, self._rects(f, hit))

    def _paint_labels(self, p: QPainter, f: dict[str, np.ndarray]) -> int:
        left = np.maximum(f["left"], 0.0)
        avail = f["right"] - left - self._gap - 2 * LABEL_PAD_PX
        cand = np.nonzero(avail >= self._label_min_px - 2 * LABEL_PAD_PX)[0]
        if cand.shape[0] == 0:
            return 0
        p.setFont(self._label_font)
        fm, names, widths = self._fm, self._names, self._name_px
        elide = Qt.TextElideMode.ElideRight
        current_pen = -1
        xs = (left[cand] + LABEL_PAD_PX).tolist()
        ys = (f["top"][cand] + self._baseline).tolist()
        for x, y, a, func, k in zip(
            xs, ys, avail[cand].tolist(), f["func"][cand].tolist(), f["key"][cand].tolist(), strict=True
        ):
            text = names[func] if func >= 0 else "all"
            full = widths.get(func)
            if full is None:
                full = widths[func] = fm.horizontalAdvance(text)
            if full > a:
                text = fm.elidedText(text, elide, a)
            if k != current_pen:
                p.setPen(self._label_pens[k])
                current_pen = k
            p.drawText(QPointF(x, y), text)
        return len(xs)
