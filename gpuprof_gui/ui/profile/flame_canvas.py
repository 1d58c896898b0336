"""The flame graph drawing widget: one widget paints every frame itself.

Rows are icicle style (root on top). ``paintEvent`` asks the layout for the
visible span of each visible row (``np.searchsorted``), drops frames under
one device pixel, and fills one rectangle array per colour straight from
numpy memory (one ``drawRects`` call per colour, as pyqtgraph's
``BarGraphItem`` does). Zoom and pan change only the view range.
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gpuprof_gui.core.flame import N_COLOUR_BUCKETS, FlameLayout, frame_tooltip_text, layout_for_profile
from gpuprof_gui.core.model import ROOT, Profile
from gpuprof_gui.ui.profile.flame_input import FlameInput
from gpuprof_gui.ui.style.palette import ViewPalette, current_palette, is_dark_fill, label_colour_on
from gpuprof_gui.ui.style.theme import PRESENTATION_PT

EMPTY_TEXT = "Run a script or open a profile to see its flame graph"
EMPTY_HINTS = ("Drop a .py script or a profile file anywhere on the window\n"
               "Ctrl+O  open a script  ·  Ctrl+E  the bundled example  ·  F5  run\n"
               "Ctrl+Shift+O  open a .prof, Scalene .json or folded-stacks file")

MIN_FRAME_DEVICE_PX = 1.0  # narrower frames are invisible; skip them (one device pixel)
ROW_GAP_PX = 1.0  # background line between rows, so stacked frames read as separate
FRAME_GAP_PX = 1.0  # same between neighbouring frames
PRESENTATION_GAP_PX = 2.0  # thicker separations read better on a projector
PRESENTATION_ROW_GAP_PX = 2.0  # the same between rows
NORMAL_ROW_MIN_PX = 18  # row height floor: a 9-10 pt label plus padding
PRESENTATION_ROW_MIN_PX = 30  # >= 28 px required; 18 pt text is ~24 px tall at 96 dpi
PRESENTATION_FONT_PT = PRESENTATION_PT  # the whole window's projector size (theme.py)
LABEL_PAD_PX = 3.0  # text inset from the frame's left edge
LABEL_MIN_TEXT = "M…M"  # a frame narrower than this gets no label (unreadable anyway)
MIN_VIEW_FRACTION = 1e-6
"""Narrowest view, as a share of the run: the narrowest kept frame
(core.flame.MIN_FRACTION = 1e-5) then spans ten widget widths; further zoom
shows nothing new."""
HINT_MIN_COVERAGE_PX = 0.5
"""A pixel column at least half filled by frames too narrow to draw one by one
gets a neutral 1 px mark, so regions of many tiny calls stay visible."""
SELECT_MIN_PX = 60.0  # select_function zooms in until the frame is at least this wide
_RECT_BYTES = 32  # QRectF is four doubles: x, y, w, h
FOLDED_MIN_PX = 3.0
"""Folded calls narrower than 3 px are not dotted: a dot pattern needs that much to read."""


def _draw_rect_array(painter: QPainter, rects: np.ndarray) -> None:
    """``drawRects`` straight from a C-contiguous (n, 4) float64 array."""
    n = rects.shape[0]
    if n:
        painter.drawRects(shiboken6.wrapInstance(rects.ctypes.data, QRectF), n)


class FlameCanvas(FlameInput, QWidget):
    """Draws a :class:`FlameLayout` and handles zoom, pan, click, focus."""

    node_selected = Signal(int)
    """A frame was clicked: its tree node id."""
    focus_changed = Signal(int)
    """The focused node changed (double-click, back, reset, focus_node)."""
    view_changed = Signal()
    """The visible x range or vertical scroll changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.profile: Profile | None = None
        self.layout_data: FlameLayout | None = None
        self._x0, self._x1, self._y_off = 0.0, 1.0, 0.0
        self._focus = ROOT
        self._history: list[tuple[float, float, float, int]] = []
        self._selected_node = -1
        self._highlight_func = -1
        self._search_mask: np.ndarray | None = None
        self._press_pos: QPointF | None = None
        self._press_view: tuple[float, float, float] = (0.0, 1.0, 0.0)
        self._dragging = False
        self.last_paint_stats = {"rects": 0, "labels": 0, "hints": 0}
        self._hints = np.zeros((0, 4))
        self._presentation = False
        self._apply_style()

    # -- public ---------------------------------------------------------------

    def set_profile(self, profile: Profile | None, layout: FlameLayout | None = None) -> None:
        """Show ``profile``; ``layout`` may be precomputed off the GUI thread."""
        self.profile = profile
        if profile is None:
            self.layout_data = None
        else:
            self.layout_data = layout if layout is not None else layout_for_profile(profile)
        self._names = [f.name for f in profile.functions] if profile else []
        self._name_px: dict[int, float] = {}
        self._selected_node = -1
        self._highlight_func = -1
        self._search_mask = None
        self._history.clear()
        self._set_full_view()
        self.update()

    def clear(self) -> None:
        self.set_profile(None)

    def set_presentation(self, on: bool) -> None:
        self._presentation = bool(on)
        self._apply_style()
        self._clamp_view()
        self.update()

    @property
    def row_height_px(self) -> int:
        return self._row_h

    @property
    def palette_in_use(self) -> ViewPalette:
        """The colours chosen by the last theme or presentation change."""
        return self._palette

    @property
    def view_range(self) -> tuple[float, float]:
        """Visible x range in root-time units."""
        return self._x0, self._x1

    @property
    def focused_node(self) -> int:
        return self._focus

    @property
    def history_depth(self) -> int:
        return len(self._history)

    @property
    def highlighted_function(self) -> int:
        return self._highlight_func

    @property
    def selected_node(self) -> int:
        return self._selected_node

    def set_view_range(self, x0: float, x1: float) -> None:
        self._x0, self._x1 = float(x0), float(x1)
        self._clamp_view()
        self.view_changed.emit()
        self.update()

    def focus_node(self, node: int) -> None:
        """Zoom to ``node``'s extent, remembering the current view for Back."""
        lay = self.layout_data
        if lay is None or not 0 <= node < lay.kept.shape[0] or not lay.kept[node]:
            return
        self._history.append((self._x0, self._x1, self._y_off, self._focus))
        self._focus = int(node)
        start, width, depth = lay.node_extent(node)
        self._x0, self._x1 = start, start + width
        self._scroll_to_depth(depth)
        self._clamp_view()
        self.focus_changed.emit(self._focus)
        self.view_changed.emit()
        self.update()

    def zoom_by(self, factor: float, frac: float = 0.5) -> None:
        """Zoom in by ``factor`` (< 1 zooms out), keeping the point at ``frac`` of the width in place."""
        if self.layout_data is None:
            return
        x_at = self._x0 + frac * (self._x1 - self._x0)
        new_w = (self._x1 - self._x0) / factor
        self._x0 = x_at - frac * new_w
        self._x1 = self._x0 + new_w
        self._clamp_view()
        self.view_changed.emit()
        self.update()

    def back(self) -> None:
        if not self._history:
            return
        self._x0, self._x1, self._y_off, self._focus = self._history.pop()
        self._clamp_view()
        self.focus_changed.emit(self._focus)
        self.view_changed.emit()
        self.update()

    def reset_zoom(self) -> None:
        self._history.clear()
        self._set_full_view()
        self.update()

    def select_function(self, func: int, reveal: bool = True) -> None:
        """Highlight every frame of ``func``; with ``reveal``, bring its biggest frame into view.

        Without ``reveal`` the view stays as it is: a file opened before the window has its
        size (a replayed session, an advice session) would be zoomed for a canvas a few
        dozen pixels wide, and the whole graph, with the frames highlighted, says more.
        """
        self._highlight_func = int(func)
        lay, prof = self.layout_data, self.profile
        if lay is None or prof is None or func < 0 or not reveal:
            self.update()
            return
        nodes = np.nonzero((prof.tree.func == func) & lay.kept)[0]
        if nodes.shape[0]:
            big = int(nodes[np.argmax(lay.node_width[nodes])])
            start, width, depth = lay.node_extent(big)
            in_view = start >= self._x0 and start + width <= self._x1
            if not in_view or width * self._scale() < SELECT_MIN_PX:
                self._history.append((self._x0, self._x1, self._y_off, self._focus))
                self._x0, self._x1 = start, start + width
            self._scroll_to_depth(depth)
            self._clamp_view()
            self.view_changed.emit()
        self.update()

    def set_search_mask(self, node_mask: np.ndarray | None) -> None:
        """Dim frames whose node is False in ``node_mask`` (None: no search)."""
        self._search_mask = node_mask
        self.update()

    def node_at_pos(self, pos: QPointF) -> int:
        lay = self.layout_data
        if lay is None:
            return -1
        depth = int((pos.y() + self._y_off) // self._row_h)
        return lay.node_at(depth, self._x0 + pos.x() / self._scale())

    def node_rect(self, node: int) -> QRectF:
        """Where ``node``'s frame is on screen (widget coordinates, unclipped)."""
        start, width, depth = self.layout_data.node_extent(node)
        s = self._scale()
        return QRectF((start - self._x0) * s, depth * self._row_h - self._y_off, width * s, self._row_h)

    def tooltip_for(self, node: int) -> str:
        if self.profile is None or node < 0:
            return ""
        return frame_tooltip_text(self.profile, node)

    # -- view arithmetic ------------------------------------------------------

    def _scale(self) -> float:
        return max(1, self.width()) / max(self._x1 - self._x0, 1e-300)

    def _set_full_view(self) -> None:
        total = self.layout_data.total if self.layout_data else 0.0
        self._x0, self._x1 = 0.0, total if total > 0 else 1.0
        self._y_off = 0.0
        self._focus = ROOT
        self.focus_changed.emit(self._focus)
        self.view_changed.emit()

    def _clamp_view(self) -> None:
        total = self.layout_data.total if self.layout_data and self.layout_data.total > 0 else 1.0
        w = min(max(self._x1 - self._x0, total * MIN_VIEW_FRACTION), total)
        x0 = min(max(self._x0, 0.0), total - w)
        self._x0, self._x1 = x0, x0 + w
        rows = self.layout_data.max_depth + 1 if self.layout_data else 0
        max_off = max(0.0, rows * self._row_h - self.height())
        self._y_off = min(max(self._y_off, 0.0), max_off)

    def _scroll_to_depth(self, depth: int) -> None:
        top = depth * self._row_h
        if top < self._y_off or top + self._row_h > self._y_off + self.height():
            self._y_off = max(0.0, top - self.height() / 3)

    def _apply_style(self) -> None:
        self._palette: ViewPalette = current_palette(self._presentation)
        font = QFont(self.font())
        if self._presentation:
            font.setPointSizeF(max(font.pointSizeF(), PRESENTATION_FONT_PT))
        self._label_font = font
        fm = QFontMetricsF(font)
        self._fm = fm
        floor = PRESENTATION_ROW_MIN_PX if self._presentation else NORMAL_ROW_MIN_PX
        self._row_h = int(max(floor, fm.height() + 6))
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
        self._hatch_brushes = [
            QBrush(QColor(c), Qt.BrushStyle.BDiagPattern) for c in (pal.hatch, pal.hatch_on_dark)
        ]
        # Folded calls: dots, not the estimate's diagonal lines, in the same two shades.
        self._folded_brushes = [
            QBrush(QColor(c), Qt.BrushStyle.Dense6Pattern) for c in (pal.hatch, pal.hatch_on_dark)
        ]
        self._name_px = {}

    # -- painting -------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), QColor(self._palette.background))
            if self.layout_data is None or self.layout_data.max_depth < 0:
                self._paint_empty(p)
            else:
                self._paint_frames(p)
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

    def _visible_frames(self) -> dict[str, np.ndarray] | None:
        """Screen rects and attributes of every frame wider than a device pixel."""
        lay = self.layout_data
        w_px, h_px = float(self.width()), float(self.height())
        x0, x1, scale, rh = self._x0, self._x1, self._scale(), self._row_h
        min_w = MIN_FRAME_DEVICE_PX / self.devicePixelRatioF()
        d0 = max(0, int(self._y_off // rh))
        d1 = min(lay.max_depth, int((self._y_off + h_px) // rh))
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
            "top": depth * rh - self._y_off,
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
        out[:, 1] = depth * self._row_h - self._y_off
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

    def _paint_frames(self, p: QPainter) -> None:
        f = self._visible_frames()
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
        for i, x, y, a, func, k in zip(
            cand.tolist(), xs, ys, avail[cand].tolist(), f["func"][cand].tolist(), f["key"][cand].tolist()
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
