"""A one-line label that shortens its text with "…" to the room it has, the whole text in its tooltip.

For text whose length the app does not choose (paths, GPU names, a run's message) in rows
that must fit a 1024 px screen: the label never asks for more width than it is given.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """``text()`` is what is shown (maybe elided); ``full_text()`` is what was set."""

    def __init__(self, text: str = "", parent: QWidget | None = None, mode=Qt.TextElideMode.ElideRight) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self._own_tip = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def full_text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._full = text or ""
        self._elide()

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt override
        self._own_tip = tip or ""
        self._elide()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.fontMetrics().horizontalAdvance("…") * 3, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4, hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._elide()

    def _elide(self) -> None:
        room = max(0, self.contentsRect().width() - 2 * max(0, self.margin()))
        shown = self.fontMetrics().elidedText(self._full, self._mode, room) if self._full else ""
        QLabel.setText(self, shown)
        tip = self._own_tip or (self._full if shown != self._full else "")
        QLabel.setToolTip(self, tip)
