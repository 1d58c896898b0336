"""The GPU timeline's summary pane: busy %, kernel / copy / idle time, launches and their overhead,
and the longest idle gaps and stalls with the lines behind them (click one: the timeline zooms to it)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QSizePolicy, QVBoxLayout, QWidget

from gpuprof_gui.core.fmt import format_time
from gpuprof_gui.core.gpu_timeline_marks import Mark, summary_figures, summary_lines
from gpuprof_gui.core.gpu_trace import GpuTrace

TOP_MARKS = 12
"""The pane lists the twelve longest gaps and stalls together; the canvas draws all of them."""


class TimelineSummary(QWidget):
    """Figures of the trace on show and its longest gaps and stalls."""

    mark_chosen = Signal(object)
    """A :class:`Mark` picked in the list: the timeline zooms to it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figures = QLabel("")
        self.figures.setWordWrap(True)
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figures.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.list_title = QLabel("Longest idle gaps and stalls (click to zoom):")
        self.list_title.setWordWrap(True)
        self.list_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.marks = QListWidget(self)
        self.marks.setWordWrap(True)
        self.marks.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.marks.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.marks.itemActivated.connect(self._chosen)
        self.marks.itemClicked.connect(self._chosen)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 0, 0, 0)
        box.addWidget(self.figures)
        box.addWidget(self.list_title)
        box.addWidget(self.marks, 1)
        self.shown_marks: list[Mark] = []

    def set_trace(self, trace: GpuTrace | None, marks: list[Mark]) -> None:
        self.marks.clear()
        if trace is None:
            self.figures.setText("")
            self.shown_marks = []
            return
        self.figures.setText("\n".join(summary_lines(summary_figures(trace))))
        self.shown_marks = sorted(marks, key=lambda m: -m.duration)[:TOP_MARKS]
        for mark in self.shown_marks:
            kind = "Idle gap" if mark.kind == "gap" else "Stall"
            item = QListWidgetItem(f"{kind} {format_time(mark.duration / 1e9)} · {mark.line_text(short=True)}")
            item.setToolTip(f"{mark.what}\n{mark.line_text()}")
            self.marks.addItem(item)
        if not self.shown_marks:
            self.marks.addItem("No idle gap or stall long enough to mark.")

    def _chosen(self, item: QListWidgetItem) -> None:
        row = self.marks.row(item)
        if 0 <= row < len(self.shown_marks):
            self.mark_chosen.emit(self.shown_marks[row])
