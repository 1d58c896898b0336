"""What the flame graph shows: the profile, the visible x range and scroll, focus, selection, search.

:class:`FlameViewport` is the state half of the flame graph widget: zoom and pan
change only the view range (root-time units), never the layout. Input handling
(:mod:`flame_input`) moves it; drawing (:mod:`flame_canvas`) reads it.

Rows are drawn root at the top (an icicle, the default) or root at the bottom
(a flame graph). The vertical scroll ``_y_off`` is counted in pixels away from
the root's edge in both, so the root stays put when the widget is resized and
only :meth:`_row_top` and :meth:`_depth_at_y` know which way the rows grow.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QSizePolicy, QWidget

from gpuprof_gui.core.flame import FlameLayout, frame_tooltip_text, layout_for_profile
from gpuprof_gui.core.model import ROOT, Profile
from gpuprof_gui.ui.style import projector
from gpuprof_gui.ui.style.palette import ViewPalette, current_palette

NORMAL_ROW_MIN_PX = 18  # row height floor: a 9-10 pt label plus padding
PRESENTATION_ROW_MIN_PX = 30  # >= 28 px required; 18 pt text is ~24 px tall at 96 dpi
MIN_VIEW_FRACTION = 1e-6
"""Narrowest view, as a share of the run: the narrowest kept frame
(core.flame.MIN_FRACTION = 1e-5) then spans ten widget widths; further zoom
shows nothing new."""
SELECT_MIN_PX = 60.0  # select_function zooms in until the frame is at least this wide

# (x0, x1, y_off, focused node): one Back step
ViewState = tuple[float, float, float, int]

ICICLE_CAPTION = "Icicle: root at the top"
FLAME_CAPTION = "Flame graph: root at the bottom"


class FlameViewport(QWidget):
    """The flame graph's view state and navigation: focus, zoom, back, select, search, hit-testing."""

    node_selected = Signal(int)
    """A frame was clicked: its tree node id."""
    focus_changed = Signal(int)
    """The focused node changed (double-click, back, reset, focus_node)."""
    view_changed = Signal()
    """The visible x range, the vertical scroll or the room for them changed (zoom, pan, resize, rows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.profile: Profile | None = None
        self.layout_data: FlameLayout | None = None
        self._names: list[str] = []
        self._x0, self._x1, self._y_off = 0.0, 1.0, 0.0
        self._focus = ROOT
        self._history: list[ViewState] = []
        self._selected_node = -1
        self._highlight_func = -1
        self._search_mask: np.ndarray | None = None
        self._presentation = False
        self._root_at_bottom = False
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
        self.view_changed.emit()  # taller rows: more to scroll
        self.update()

    def set_root_at_bottom(self, on: bool) -> None:
        """Draw a flame graph (root at the bottom) or an icicle (root at the top, the default).

        The scroll is kept: counted from the root's edge, it leaves the row in the
        middle of the view in the middle, so turning the graph over keeps the place.
        """
        on = bool(on)
        if on == self._root_at_bottom:
            return
        self._root_at_bottom = on
        self.view_changed.emit()
        self.update()

    @property
    def root_at_bottom(self) -> bool:
        return self._root_at_bottom

    @property
    def orientation_caption(self) -> str:
        """Which way up the graph is drawn, in words for the legend."""
        return FLAME_CAPTION if self._root_at_bottom else ICICLE_CAPTION

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

    def vertical_scroll(self) -> tuple[int, int, int]:
        """``(value, maximum, page)`` in pixels for a scroll bar whose 0 is the top of the graph."""
        max_off = self._max_y_off()
        top_based = max_off - self._y_off if self._root_at_bottom else self._y_off
        return round(top_based), round(max_off), max(1, self.height())

    def set_vertical_scroll(self, value: float) -> None:
        """Scroll so that ``value`` pixels of the graph lie above the view (a scroll bar's value)."""
        self._y_off = self._max_y_off() - float(value) if self._root_at_bottom else float(value)
        self._clamp_view()
        self.view_changed.emit()
        self.update()

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

    def select_node(self, node: int) -> None:
        """Select ``node``'s frame as a click does (its function highlighted), and bring it into view."""
        lay, prof = self.layout_data, self.profile
        if lay is None or prof is None or not 0 <= node < lay.kept.shape[0] or not lay.kept[node]:
            return
        self._selected_node = int(node)
        self._highlight_func = int(prof.tree.func[node])
        self._reveal_node(node)
        self.update()
        self.node_selected.emit(self._selected_node)

    def node_at_pos(self, pos: QPointF) -> int:
        lay = self.layout_data
        if lay is None:
            return -1
        return lay.node_at(self._depth_at_y(pos.y()), self._x0 + pos.x() / self._scale())

    def node_rect(self, node: int) -> QRectF:
        """Where ``node``'s frame is on screen (widget coordinates, unclipped); empty with no profile."""
        if self.layout_data is None:
            return QRectF()
        start, width, depth = self.layout_data.node_extent(node)
        s = self._scale()
        return QRectF((start - self._x0) * s, self._row_top(depth), width * s, self._row_h)

    def tooltip_for(self, node: int) -> str:
        if self.profile is None or node < 0:
            return ""
        return frame_tooltip_text(self.profile, node)

    # -- view arithmetic ------------------------------------------------------

    def _scale(self) -> float:
        return max(1, self.width()) / max(self._x1 - self._x0, 1e-300)

    def _row_top(self, depth: Any) -> Any:
        """Screen y of the top of row ``depth`` (a number or a numpy array of them)."""
        if self._root_at_bottom:
            return self.height() - (depth + 1) * self._row_h + self._y_off
        return depth * self._row_h - self._y_off

    def _depth_at_y(self, y: float) -> int:
        """The row under screen ``y``; the first pixel row of a frame is that frame's."""
        if self._root_at_bottom:
            return math.ceil((self.height() + self._y_off - y) / self._row_h) - 1
        return math.floor((y + self._y_off) / self._row_h)

    def _visible_depths(self) -> tuple[int, int]:
        """First and last row at least partly on screen: the same span in both orientations."""
        rh = self._row_h
        return max(0, int(self._y_off // rh)), int((self._y_off + self.height()) // rh)

    def _max_y_off(self) -> float:
        rows = self.layout_data.max_depth + 1 if self.layout_data else 0
        return max(0.0, float(rows * self._row_h - self.height()))

    def _scroll_by_px(self, dy: float) -> None:
        """Move the rows ``dy`` pixels down the screen (a drag, a wheel turn)."""
        self._y_off += dy if self._root_at_bottom else -dy

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
        self._y_off = min(max(self._y_off, 0.0), self._max_y_off())

    def _scroll_to_depth(self, depth: int, minimal: bool = False) -> None:
        """Bring row ``depth`` fully into view; a jump puts it a third of the way from the root's
        edge (room for its callees), ``minimal`` scrolls no further than needed (a key step)."""
        near = depth * self._row_h  # its edge on the root's side, from the root's edge
        far = near + self._row_h
        if near >= self._y_off and far <= self._y_off + self.height():
            return
        if minimal:
            self._y_off = near if near < self._y_off else far - self.height()
        else:
            self._y_off = max(0.0, near - self.height() / 3)

    def _reveal_node(self, node: int) -> None:
        """Pan and scroll as little as needed to show ``node``'s frame (all of it, or the view inside it)."""
        if self.layout_data is None:
            return
        start, width, depth = self.layout_data.node_extent(node)
        view_w = self._x1 - self._x0
        lo, hi = sorted((start, start + width - view_w))
        x0 = min(max(self._x0, lo), hi)
        self._x0, self._x1 = x0, x0 + view_w
        self._scroll_to_depth(depth, minimal=True)
        self._clamp_view()
        self.view_changed.emit()

    def _apply_style(self) -> None:
        """Palette, label font and the row height they give (the canvas adds its brushes)."""
        self._palette: ViewPalette = current_palette(self._presentation)
        font = QFont(self.font())
        if self._presentation:
            font.setPointSizeF(max(font.pointSizeF(), projector.text_pt()))  # the window's projector size
        self._label_font = font
        self._fm = QFontMetricsF(font)
        floor = PRESENTATION_ROW_MIN_PX if self._presentation else NORMAL_ROW_MIN_PX
        self._row_h = int(max(floor, self._fm.height() + 6))
