"""Where the advisor's sections sit: side by side at a desk, one tall column on a projector.

At desk sizes the four sections share the screen in splitters. At projector sizes
(20 pt and more) they do not fit side by side, so they move into one scrolling
column: the chart beside the step-by-step explanation first (what a class looks
at), then the figures, then the capacity table, each at full width.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QSplitter, QStackedWidget, QVBoxLayout, QWidget

LEFT_SIZES = [370, 490]
"""Chart over the figures: the transfers box needs about 490 px for its ten rows at desk sizes."""
RIGHT_SIZES = [650, 210]
"""Capacity table over the teaching view: one step card needs about 200 px at desk sizes."""
MAIN_SIZES = [900, 700]
PROJECTOR_TOP_HEIGHT = 620
"""Chart and explanation on the first screen: 1000 px less the 20 pt banners and the tab bar."""


def _scrolled(widget: QWidget | None = None) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    # A click inside must focus the advisor, whose arrow keys page the explanation; a focused
    # scroll area would take the arrows for scrolling (the wheel and the bar still scroll).
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if widget is not None:
        area.setWidget(widget)
    return area


class AdvisorLayout(QStackedWidget):
    """Page 0: the desk splitters; page 1: the projector column. The sections move between them."""

    def __init__(
        self, chart: QWidget, figures: QWidget, capacity: QWidget, teaching: QWidget, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.chart, self.figures, self.capacity, self.teaching = chart, figures, capacity, teaching
        self.figures_area, self.capacity_area = _scrolled(figures), _scrolled(capacity)
        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.addWidget(chart)
        self.left.addWidget(self.figures_area)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(self.capacity_area)
        self.right.addWidget(teaching)
        self.main = QSplitter(Qt.Orientation.Horizontal)
        self.main.addWidget(self.left)
        self.main.addWidget(self.right)
        self.splitters = {"left": self.left, "right": self.right, "main": self.main}
        self._restore_sizes()
        self.column = QWidget()
        self.column_box = QVBoxLayout(self.column)
        self.top = QWidget()
        self.top.setMinimumHeight(PROJECTOR_TOP_HEIGHT)
        self.top_row = QHBoxLayout(self.top)
        self.top_row.setContentsMargins(0, 0, 0, 0)
        self.column_box.addWidget(self.top)
        self.column_area = _scrolled(self.column)
        self.addWidget(self.main)
        self.addWidget(self.column_area)
        self.presentation = False

    def _restore_sizes(self) -> None:
        self.left.setSizes(LEFT_SIZES)
        self.right.setSizes(RIGHT_SIZES)
        self.main.setSizes(MAIN_SIZES)

    def set_presentation(self, on: bool) -> None:
        if bool(on) == self.presentation:
            return
        self.presentation = bool(on)
        if on:
            self.figures_area.takeWidget()
            self.capacity_area.takeWidget()
            self.top_row.addWidget(self.chart, 3)
            self.top_row.addWidget(self.teaching, 2)
            self.column_box.addWidget(self.figures)
            self.column_box.addWidget(self.capacity)
            self.setCurrentWidget(self.column_area)
        else:
            self.left.insertWidget(0, self.chart)
            self.figures_area.setWidget(self.figures)
            self.capacity_area.setWidget(self.capacity)
            self.right.insertWidget(1, self.teaching)
            self._restore_sizes()
            self.setCurrentWidget(self.main)
        for widget in (self.chart, self.figures, self.capacity, self.teaching):
            widget.show()  # a widget moved into a shown parent stays hidden until told
