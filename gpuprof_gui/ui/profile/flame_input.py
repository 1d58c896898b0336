"""Mouse, wheel and keys of the flame graph: zoom, pan, click to select, double-click to focus.

:class:`FlameInput` adds the event handlers to :class:`FlameViewport` (kept apart so the canvas
file stays about drawing); they read and move the view range.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QMouseEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from gpuprof_gui.ui.profile.flame_viewport import FlameViewport

ZOOM_PER_NOTCH = 1.25  # one wheel notch (120 units) zooms 25%: ~10 notches per 10x
WHEEL_NOTCH = 120.0
DRAG_THRESHOLD_PX = 4  # movement below this between press and release is a click


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
            self._y_off -= (delta.y() or delta.x()) / WHEEL_NOTCH * self._row_h * 3
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
        self._x0, self._x1, self._y_off = x0 - shift, x1 - shift, y_off - d.y()
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
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._clamp_view()
        super().resizeEvent(event)

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
