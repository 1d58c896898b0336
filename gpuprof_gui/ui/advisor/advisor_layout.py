"""Where the advisor's sections sit: side by side at a desk, one tall column on a projector.

At desk sizes the four sections share the screen in splitters. At projector sizes
(20 pt and more) they do not fit side by side, so they move into one scrolling
column: the chart beside the step-by-step explanation first (what a class looks
at), then the figures, then the capacity table, each at full width.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.ui.advisor.advisor_teaching import TeachingView

LEFT_SIZES = [370, 490]
"""Chart over the figures: the transfers box needs about 490 px for its ten rows at desk sizes."""
RIGHT_SIZES = [650, 210]
"""Capacity table over the teaching view: one step card needs about 200 px at desk sizes."""
MAIN_SIZES = [1000, 800]
"""Chart and figures beside capacity and steps: the capacity table's five columns need ~400 px of 1024."""
PROJECTOR_TOP_MIN = 360
"""On a projector the chart and the explanation fill the first screen, and never get less than
this: the chart's axes and curves, or a step's title, value and formula, at 20 pt."""
STEPS_SHARE = 0.75
"""With "Show all", the steps take three quarters of the right column; the capacity table scrolls in the rest."""


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
        self,
        chart: QWidget,
        figures: QWidget,
        capacity: QWidget,
        teaching: TeachingView,
        parent: QWidget | None = None,
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
        self.top.setMinimumHeight(PROJECTOR_TOP_MIN)
        self.top_row = QHBoxLayout(self.top)
        self.top_row.setContentsMargins(0, 0, 0, 0)
        self.column_box.addWidget(self.top)
        self.column_area = _scrolled(self.column)
        self.column_area.viewport().installEventFilter(self)
        self.figures_area.viewport().installEventFilter(self)
        self.addWidget(self.main)
        self.addWidget(self.column_area)
        self.presentation = False
        self._right_before: list[int] | None = None  # the column's sizes before "Show all"
        self.steps_room = False

    def give_steps_room(self, all_steps: bool) -> None:
        """At a desk, "Show all" lets the steps take most of the column; off, the column is as it was."""
        self.steps_room = all_steps
        if self.presentation:
            return  # on a projector the steps have the height of the screen already
        if all_steps and self._right_before is None:
            self._right_before = self.right.sizes()
            total = sum(self._right_before)
            steps = max(self._right_before[1], int(total * STEPS_SHARE))
            self.right.setSizes([total - steps, steps])
        elif not all_steps and self._right_before is not None:
            self.right.setSizes(self._right_before)
            self._right_before = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            if watched is self.column_area.viewport():
                self._fit_top()
                self._fit_figures(self.column_area.width())
            elif watched is self.figures_area.viewport():
                self._fit_figures(self.figures_area.width())
        return super().eventFilter(watched, event)

    def _fit_figures(self, width: int) -> None:
        """The two boxes of figures side by side where they fit, one above the other where not
        (scrolling down, not sideways: a sideways cut hides the formulas' ends)."""
        row = self.figures.layout()
        if not isinstance(row, QBoxLayout):
            return
        items = [row.itemAt(i) for i in range(row.count())]
        boxes = [item.widget() for item in items if item is not None]
        margins = row.contentsMargins()
        need = sum(b.minimumSizeHint().width() for b in boxes if b is not None) + row.spacing()
        side_by_side = width >= need + margins.left() + margins.right() + 20  # 20: a vertical scroll bar
        direction = QBoxLayout.Direction.LeftToRight if side_by_side else QBoxLayout.Direction.TopToBottom
        if row.direction() != direction:
            row.setDirection(direction)

    def _fit_top(self) -> None:
        """The chart and the steps take the first screen of the projector column, exactly."""
        viewport = self.column_area.viewport()
        margins = self.column_box.contentsMargins()
        height = max(PROJECTOR_TOP_MIN, viewport.height() - margins.top() - margins.bottom())
        self.top.setFixedHeight(height)
        # Never wider than the screen: a wide capacity table below scrolls sideways, the chart stays.
        self.top.setMaximumWidth(max(0, viewport.width() - margins.left() - margins.right()))
        self.teaching.set_height_limit(height if self.presentation else None)

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
            self._fit_top()
        else:
            self.left.insertWidget(0, self.chart)
            self.figures_area.setWidget(self.figures)
            self.capacity_area.setWidget(self.capacity)
            self.right.insertWidget(1, self.teaching)
            self.teaching.set_height_limit(None)
            self._restore_sizes()
            self._right_before = None
            self.give_steps_room(self.steps_room)  # "Show all" may still be on
            self.setCurrentWidget(self.main)
        for widget in (self.chart, self.figures, self.capacity, self.teaching):
            widget.show()  # a widget moved into a shown parent stays hidden until told
