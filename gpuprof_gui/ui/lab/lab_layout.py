"""Where the kernel lab's parts sit: candidates over source | results over charts | telemetry.

The three columns share the width in MAIN_STRETCH until the user drags a handle. A
splitter's stretch factors share out extra room only, so the panel hands the first
width out itself (``share_width``) when it is first shown, and again on each resize.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from gpuprof_gui.ui.lab.lab_chart_area import LabChartArea

MAIN_STRETCH = (4, 10, 6)
"""Candidates+source : table+charts : telemetry; at 1600 px wide that is about 320 : 800 : 480."""
LEFT_SIZES = [220, 600]  # candidate list over the source: the list holds a handful of names
CENTRE_SIZES = [360, 460]  # results table over the charts


class LabColumns(QSplitter):
    """The lab's three columns; ``splitters`` names every splitter in them."""

    def __init__(
        self,
        candidates: QWidget,
        source: QWidget,
        table: QWidget,
        charts: LabChartArea,
        telemetry: QWidget,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(candidates)
        left.addWidget(source)
        left.setSizes(LEFT_SIZES)
        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(table)
        centre.addWidget(charts)
        centre.setSizes(CENTRE_SIZES)
        self.addWidget(left)
        self.addWidget(centre)
        self.addWidget(telemetry)
        for index, stretch in enumerate(MAIN_STRETCH):
            self.setStretchFactor(index, stretch)
        self.user_sized = False  # the user dragged a handle: their sizes stay
        self.splitterMoved.connect(self._on_user_split)
        self.splitters: dict[str, QSplitter] = {"main": self, "left": left, "centre": centre, "charts": charts.splitter}

    def share_width(self, total: int) -> None:
        """Give the columns ``total`` px in MAIN_STRETCH proportions."""
        self.setSizes([total * s // sum(MAIN_STRETCH) for s in MAIN_STRETCH])

    def _on_user_split(self, *_args: object) -> None:
        self.user_sized = True
