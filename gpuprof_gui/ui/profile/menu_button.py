"""The run bar's choice buttons (Python, Run on): "Label: value", elided, with a menu of choices.

A push button, not a tool button: its menu arrow gets room of its own instead of being drawn
over the last letter. The menu is filled each time it opens; a long value is elided in the
middle to about :data:`MAX_NAME_CHARS` characters (the tooltip gives it whole).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

MAX_NAME_CHARS = 14
"""A value is elided past about this many characters."""


class MenuButton(QPushButton):
    """Shows ``label`` and a value (:meth:`show_text`); its menu (:meth:`fill_menu`) changes the value."""

    def __init__(self, label: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.label = label  # "Python: ", "Run on: "
        self.full_text = ""
        self.name_chars = MAX_NAME_CHARS  # a crowded bar may give its value less room
        self._menu = QMenu(self)
        self._menu.aboutToShow.connect(self._refill_menu)
        self.setMenu(self._menu)

    def show_text(self, full_text: str) -> None:
        """Show ``full_text``, elided to the room of the label and :data:`MAX_NAME_CHARS` characters."""
        self.full_text = full_text
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        room = metrics.averageCharWidth() * self.name_chars
        if self.full_text.startswith(self.label):  # the label stays whole: only the value is elided
            value = self.full_text[len(self.label) :]
            self.setText(self.label + metrics.elidedText(value, Qt.TextElideMode.ElideMiddle, room))
        else:
            room += metrics.horizontalAdvance(self.label)
            self.setText(metrics.elidedText(self.full_text, Qt.TextElideMode.ElideMiddle, room))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._elide()  # the room is measured in the new font

    def _refill_menu(self) -> None:
        self._menu.clear()
        self.fill_menu(self._menu)

    def fill_menu(self, menu: QMenu) -> None:
        """Add this button's entries to its (emptied) menu, as it opens."""
        raise NotImplementedError

    def add_choices(
        self, menu: QMenu, entries: list[tuple[str, str]], current: str, pick: Callable[[str], None]
    ) -> None:
        """One checkable entry per ``(text, value)``, ``current`` checked; choosing one calls ``pick(value)``."""
        group = QActionGroup(menu)
        for text, value in entries:
            action = QAction(text, menu, checkable=True)
            action.setChecked(value == current)
            action.triggered.connect(lambda _on=False, v=value: pick(v))
            group.addAction(action)
            menu.addAction(action)
