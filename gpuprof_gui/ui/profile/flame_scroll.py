"""A flame canvas with a vertical scroll bar, shown when the graph is deeper than the view.

Without it a deep stack (a recursion 28 calls down, a framework's call chain) was cut off
at the bottom of the canvas with nothing to say so; Shift+wheel scrolled, but nobody knew.
The bar is the usual Qt one beside the canvas, not drawn by it, so the canvas's PNG export
stays free of it. Its 0 is the top of the graph whichever way up the graph is drawn.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QSizePolicy, QWidget

from gpuprof_gui.ui.profile.flame_viewport import FlameViewport

SCROLL_TIP = "Scroll the flame graph's rows (Shift+wheel on the graph; drag it up or down)"


class FlameScrollBar(QScrollBar):
    """A vertical scroll bar that follows and moves one canvas's rows."""

    def __init__(self, canvas: FlameViewport, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self._canvas = canvas
        self.setToolTip(SCROLL_TIP)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys belong to the canvas
        # Its arrows must not make the flame graph's pane taller than it was without a bar.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Ignored)
        canvas.view_changed.connect(self.follow_canvas)
        self.valueChanged.connect(self._move_canvas)
        self.follow_canvas()

    def follow_canvas(self) -> None:
        """Range, page and position from the canvas; hidden while every row fits."""
        value, maximum, page = self._canvas.vertical_scroll()
        self.blockSignals(True)
        try:
            self.setRange(0, maximum)
            self.setPageStep(page)
            self.setSingleStep(self._canvas.row_height_px)
            self.setValue(value)
        finally:
            self.blockSignals(False)
        self.setVisible(maximum > 0)

    def _move_canvas(self, value: int) -> None:
        if value != self._canvas.vertical_scroll()[0]:
            self._canvas.set_vertical_scroll(value)


class ScrolledFlame(QWidget):
    """A flame canvas and its :class:`FlameScrollBar` side by side, one widget for a layout."""

    def __init__(self, canvas: FlameViewport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(canvas, 1)
        self.scroll_bar = FlameScrollBar(canvas, self)
        row.addWidget(self.scroll_bar)
