"""Mouse, wheel and keys of the flame graph: zoom, pan, click to select, double-click to focus.

:class:`FlameInput` adds the event handlers to :class:`FlameViewport` (kept apart so the canvas
file stays about drawing); they read and move the view range.

The wheel zooms; Shift+wheel (or a sideways swipe) scrolls a graph deeper than the view,
as its scroll bar does. The arrow keys walk the frames as they are drawn: Up and Down go to
the frame above or below (the caller or the widest callee, whichever way up the graph is),
Left and Right to the neighbouring frame of the same row; Enter zooms to the selected frame.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QMouseEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from gpuprof_gui.core.model import ROOT
from gpuprof_gui.ui.profile.flame_viewport import FlameViewport

ZOOM_PER_NOTCH = 1.25  # one wheel notch (120 units) zooms 25%: ~10 notches per 10x
WHEEL_NOTCH = 120.0
DRAG_THRESHOLD_PX = 4  # movement below this between press and release is a click
ROWS_PER_NOTCH = 3  # Shift+wheel scrolls three rows a notch, as text views scroll three lines


class FlameInput(FlameViewport):
    """The flame graph's event handlers on top of its view state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._press_pos: QPointF | None = None
        self._press_view: tuple[float, float, float] = (0.0, 1.0, 0.0)
        self._dragging = False

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self.layout_data is None:
            return
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or abs(delta.x()) > abs(delta.y()):
            # Shift turns the wheel sideways on some platforms: the turn is then in x.
            self._scroll_by_px((delta.y() or delta.x()) / WHEEL_NOTCH * self._row_h * ROWS_PER_NOTCH)
            self._clamp_view()
            self.view_changed.emit()
            self.update()
        else:
            self.zoom_by(ZOOM_PER_NOTCH ** (delta.y() / WHEEL_NOTCH), event.position().x() / max(1, self.width()))
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = event.position()
            self._press_view = (self._x0, self._x1, self._y_off)
            self._dragging = False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press_pos is None or self.layout_data is None:
            return
        d = event.position() - self._press_pos
        if not self._dragging and abs(d.x()) + abs(d.y()) < DRAG_THRESHOLD_PX:
            return
        self._dragging = True
        x0, x1, y_off = self._press_view
        shift = d.x() * (x1 - x0) / max(1, self.width())
        self._x0, self._x1, self._y_off = x0 - shift, x1 - shift, y_off
        self._scroll_by_px(d.y())
        self._clamp_view()
        self.view_changed.emit()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._press_pos is not None:
            if not self._dragging:
                node = self.node_at_pos(event.position())
                self._selected_node = node
                if node >= 0 and self.profile is not None:
                    self._highlight_func = int(self.profile.tree.func[node])
                self.update()
                if node >= 0:
                    self.node_selected.emit(node)
            self._press_pos = None
            self._dragging = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        node = self.node_at_pos(event.position())
        if node >= 0:
            self.focus_node(node)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Backspace or (key == Qt.Key.Key_Left and mods & Qt.KeyboardModifier.AltModifier):
            self.back()
        elif key in (Qt.Key.Key_Escape, Qt.Key.Key_Home):
            self.reset_zoom()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right) and self.profile:
            target = self._node_beside(self._selected_node, key)
            if target != self._selected_node:  # at a leaf, the root or a row's end: stay, say nothing
                self.select_node(target)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected_node >= 0:
            self.focus_node(self._selected_node)
        else:
            super().keyPressEvent(event)

    def _node_beside(self, node: int, key: int) -> int:
        """The frame an arrow key moves to from ``node`` (-1: start at the focused frame)."""
        lay, prof = self.layout_data, self.profile
        if lay is None or prof is None:
            return -1
        if node < 0 or not lay.kept[node]:
            return self._focus
        start, width, depth = lay.node_extent(node)
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            row = lay.rows[depth]
            i = int(np.searchsorted(row.start, start, side="left")) + (1 if key == Qt.Key.Key_Right else -1)
            return int(row.node[i]) if 0 <= i < len(row) else node
        # Up is toward the root when the root is at the top.
        toward_root = (key == Qt.Key.Key_Up) != self._root_at_bottom
        if toward_root:
            return int(prof.tree.parent[node]) if node != ROOT else node
        lo, hi = lay.visible_span(depth + 1, start, start + width)
        if lo == hi:
            return node
        below = lay.rows[depth + 1]
        return int(below.node[lo + int(np.argmax(below.width[lo:hi]))])

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._clamp_view()
        super().resizeEvent(event)
        self.view_changed.emit()  # more or fewer rows fit: the scroll bar follows

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
            node = self.node_at_pos(QPointF(event.pos()))
            if node >= 0:
                QToolTip.showText(event.globalPos(), self.tooltip_for(node), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
