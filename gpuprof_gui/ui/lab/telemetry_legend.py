"""The row naming each GPU above the telemetry plots, when they show several: a line in its colour, its label.

Outside the plots, so it never hides a curve or a run's name; in as many columns as
the width gives each entry room for its label, or ENTRY_CHARS characters of a longer
one, cut short with "…" (its tooltip says it whole).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QWidget

from gpuprof_gui.ui.style.elided_label import ElidedLabel

ENTRY_CHARS = 20
"""Room for "alice@gpu1 · GPU 0" (18 characters) in each column, at the average character width."""
COLUMN_GAP_PX = 16
SWATCH = "━━"


class LegendEntry(QWidget):
    """A line in the GPU's colour and its label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.swatch = QLabel()
        self.swatch.setTextFormat(Qt.TextFormat.RichText)
        self.label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)  # "alice@lab…3 · GPU 0": the GPU stays
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.swatch)
        row.addWidget(self.label, 1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_entry(self, label: str, colour: str, whole: str) -> None:
        self.colour = colour
        self.swatch.setText(f'<span style="color:{colour}">{SWATCH}</span>')
        self.label.setText(label)
        self.label.setToolTip(whole if whole != label else "")
        self.setToolTip(whole)


class DeviceLegend(QWidget):
    """A grid of LegendEntry, hidden while it has fewer than two (one GPU needs no legend)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(4, 2, 4, 2)
        self.grid.setHorizontalSpacing(COLUMN_GAP_PX)
        self.grid.setVerticalSpacing(0)
        self.entries: list[LegendEntry] = []
        self._columns = 0
        self.setVisible(False)

    def set_entries(self, entries: list[tuple[str, str, str]]) -> None:
        """(label, colour, whole label for the tooltip) per GPU; fewer than two hide the legend."""
        if len(entries) < 2:
            entries = []
        while len(self.entries) > len(entries):
            entry = self.entries.pop()
            self.grid.removeWidget(entry)
            entry.hide()  # at once: deleteLater waits for the event loop, and the old name would show
            entry.deleteLater()
        while len(self.entries) < len(entries):
            self.entries.append(LegendEntry(self))
        for entry, (label, colour, whole) in zip(self.entries, entries, strict=True):
            entry.set_entry(label, colour, whole)
        self._columns = 0
        self._lay_out()
        self.setVisible(bool(entries))

    def columns_for(self, width: int) -> int:
        """As many columns as give each entry its swatch and its label, or ENTRY_CHARS characters of it."""
        if not self.entries:
            return 1
        metrics = self.fontMetrics()
        longest = max((metrics.horizontalAdvance(e.label.full_text()) for e in self.entries), default=0)
        entry = metrics.horizontalAdvance(SWATCH + " ") + min(longest + 4, metrics.averageCharWidth() * ENTRY_CHARS)
        room = width - self.grid.contentsMargins().left() - self.grid.contentsMargins().right()
        fit = max(1, min(len(self.entries), (room + COLUMN_GAP_PX) // (entry + COLUMN_GAP_PX)))
        rows = -(-len(self.entries) // fit)
        return -(-len(self.entries) // rows)  # rows as full as each other: 4 + 4, not 7 + 1

    def _lay_out(self) -> None:
        columns = self.columns_for(self.width())
        if columns == self._columns or not self.entries:
            return
        self._columns = columns
        for entry in self.entries:
            self.grid.removeWidget(entry)
        for i in range(self.grid.columnCount()):
            self.grid.setColumnStretch(i, 0)
        for i, entry in enumerate(self.entries):
            self.grid.addWidget(entry, i // columns, i % columns)
        for i in range(columns):
            self.grid.setColumnStretch(i, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._lay_out()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:  # presentation mode: wider characters, fewer columns
            self._columns = 0
            self._lay_out()
