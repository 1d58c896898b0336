"""The teaching view: the advice explained one number at a time, on the user's own numbers.

Steps come from :func:`gpuprof_gui.core.advice_text.explain`, the same words as the
command-line report. One step at a time (Previous/Next, or Left/Right and
PageUp/PageDown while the advisor tab has the focus), or all of them at once.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from gpuprof_gui.core.advice_text import Step
from gpuprof_gui.ui.advisor.advisor_style import make_label
from gpuprof_gui.ui.style.palette import ADVISOR

FORMULA_STYLE = f"color: {ADVISOR.step_formula};"
CARD_STYLE = (
    f"QFrame#step_card {{ border: 1px solid {ADVISOR.card_border}; border-radius: 6px; background: {ADVISOR.card}; }}"
)


class StepCard(QFrame):
    """One step: title, the value in large bold, the formula, and what it means here."""

    def __init__(self, step: Step, number: int, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("step_card")
        self.setStyleSheet(CARD_STYLE)
        self.step = step
        self.title = make_label(f"{number}/{count}  {step.title}", "title", wrap=True)
        self.value = make_label(step.value, "big", wrap=True)  # "421 ms / call" at 48 pt: wider than a narrow card
        self.value.setVisible(bool(step.value))
        self.formula = make_label(step.formula, "formula", wrap=True)
        self.formula.setStyleSheet(FORMULA_STYLE)
        self.body = make_label(step.body, "text", wrap=True)
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 10, 14, 12)
        box.setSpacing(6)
        for widget in (self.title, self.value, self.formula, self.body):
            box.addWidget(widget)


class TeachingView(QFrame):
    """Cards for every step; one shown at a time unless "Show all" is on."""

    step_changed = Signal(int)
    """The index of the step now shown (0-based)."""
    showing_all_changed = Signal(bool)
    """"Show all" was switched on (True) or off: the layout gives the steps more room, or less."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list[Step] = []
        self.cards: list[StepCard] = []
        self.index = 0
        self.height_limit: int | None = None  # on a projector: the first screen's height
        self.heading = make_label("Step by step", "title", selectable=False)
        self.counter = make_label("", "text", selectable=False)
        self.prev_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.all_button = QPushButton("Show all")
        self.all_button.setCheckable(True)
        for button in (self.prev_button, self.next_button, self.all_button):
            # Clicking a button must not take the focus: Left/Right keep paging the steps.
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.prev_button.setToolTip("Previous step (Left, Page Up)")
        self.next_button.setToolTip("Next step (Right, Page Down)")
        self.container = QWidget()
        self.cards_box = QVBoxLayout(self.container)
        self.cards_box.setContentsMargins(0, 0, 0, 0)
        self.cards_box.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setWidget(self.container)
        # Cards scroll up and down, never sideways: a card wider than the box would lose its words.
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.viewport().installEventFilter(self)
        self.container.installEventFilter(self)  # new cards, new fonts: a new natural height
        top = self.heading_row = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.counter)
        # The buttons get their own row: at projector sizes they are wider than half the screen.
        nav = self.nav_row = QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        nav.addWidget(self.all_button)
        box = self.box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addLayout(top)
        box.addWidget(self.scroll_area, 1)
        box.addLayout(nav)
        self.prev_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.all_button.toggled.connect(self._show_current)
        self.all_button.toggled.connect(self.showing_all_changed)

    def set_steps(self, steps: list[Step]) -> None:
        """New numbers: the same step stays in view (by key) if it still exists."""
        key = self.steps[self.index].key if self.steps else None
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.steps = list(steps)
        self.cards = [StepCard(step, i + 1, len(steps)) for i, step in enumerate(steps)]
        for i, card in enumerate(self.cards):
            self.cards_box.insertWidget(i, card)
        keys = [s.key for s in self.steps]
        self.index = keys.index(key) if key in keys else min(self.index, max(0, len(steps) - 1))
        self._show_current()

    @property
    def showing_all(self) -> bool:
        return self.all_button.isChecked()

    def current_step(self) -> Step | None:
        return self.steps[self.index] if self.steps else None

    def set_index(self, index: int) -> None:
        index = max(0, min(index, len(self.steps) - 1))
        if index != self.index:
            self.index = index
            self._show_current()
            self.step_changed.emit(index)

    def next(self) -> None:
        self.set_index(self.index + 1)

    def previous(self) -> None:
        self.set_index(self.index - 1)

    def _show_current(self, *_args: object) -> None:
        for i, card in enumerate(self.cards):
            card.setVisible(self.showing_all or i == self.index)
        count = len(self.steps)
        self.counter.setText((f"all {count}" if self.showing_all else f"{self.index + 1} / {count}") if count else "")
        self.prev_button.setEnabled(not self.showing_all and self.index > 0)
        self.next_button.setEnabled(not self.showing_all and self.index < count - 1)
        self.fit_box()
        if self.showing_all and self.cards:
            self.container.adjustSize()  # laid out now, so the current step can be scrolled to
            self.scroll_area.verticalScrollBar().setValue(self.cards[self.index].y())  # its top at the top

    def natural_height(self, card: StepCard) -> int:
        """The height ``card`` needs at the box's width: every line of it, nothing squeezed."""
        return card.heightForWidth(self.scroll_area.viewport().width())

    def fit_box(self) -> None:
        """The box is at least as tall as one whole step (the tallest one, when all are shown)."""
        shown = [c for i, c in enumerate(self.cards) if self.showing_all or i == self.index]
        need = max((self.natural_height(card) for card in shown), default=0)
        frame = 2 * self.scroll_area.frameWidth()
        if self.height_limit is not None:  # the chart beside it must stay on screen: a tall step scrolls
            chrome = self._chrome_height()
            need = min(need, max(0, self.height_limit - chrome - frame))
        if self.scroll_area.minimumHeight() != need + frame:
            self.scroll_area.setMinimumHeight(need + frame)

    def _chrome_height(self) -> int:
        """Heading, buttons, margins and spacing: the view's height less its box of steps."""
        margins = self.box.contentsMargins()
        rows = self.heading_row.sizeHint().height() + self.nav_row.sizeHint().height()
        return margins.top() + margins.bottom() + rows + 2 * self.box.spacing()

    def set_height_limit(self, height: int | None) -> None:
        """At most this tall (None: as tall as a step needs); a taller step then scrolls in its box."""
        if height != self.height_limit:
            self.height_limit = height
            self.fit_box()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        resized = watched is self.scroll_area.viewport() and event.type() == QEvent.Type.Resize
        if resized or (watched is self.container and event.type() == QEvent.Type.LayoutRequest):
            self.fit_box()  # narrower, or larger fonts: wrapped lines need more height
        return super().eventFilter(watched, event)
