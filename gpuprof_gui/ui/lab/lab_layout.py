"""Where the kernel lab's parts sit: candidates over source | results over charts | telemetry.

The three columns share the width in MAIN_STRETCH until the user drags a handle. A
splitter's stretch factors share out extra room only, so the panel hands the first
width out itself (``share_width``) when it is first shown, and again on each resize.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QWidget

from gpuprof_gui.ui.lab.lab_chart_area import LabChartArea

MAIN_STRETCH = (4, 10, 6)
"""Candidates+source : table+charts : telemetry; at 1600 px wide that is about 320 : 800 : 480."""
LEFT_SIZES = [220, 600]  # candidate list over the source: the list holds a handful of names
CENTRE_SIZES = [360, 460]  # results table over the charts
NARROW_PX = 1250
"""Below this width the telemetry is a tab beside the charts, not a third column: three columns
on a 1024 px screen left each chart about 200 px wide, its titles and labels cut."""
NARROW_STRETCH = (4, 16)
CHARTS_TAB, TELEMETRY_TAB = "Charts", "Telemetry"


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
        self._centre, self._charts, self._telemetry = centre, charts, telemetry
        self.tabs = QTabWidget()  # charts | telemetry, on a narrow window
        self.tabs.setDocumentMode(True)
        self.tabs.hide()
        self.narrow = False

    def arrange(self, width: int) -> None:
        """Three columns, or (narrower than NARROW_PX) two, the telemetry a tab beside the charts."""
        narrow = width < NARROW_PX
        if narrow == self.narrow:
            return
        self.narrow = narrow
        sizes = self._centre.sizes()
        if narrow:
            self._centre.replaceWidget(1, self.tabs)
            self.tabs.addTab(self._charts, CHARTS_TAB)
            self.tabs.addTab(self._telemetry, TELEMETRY_TAB)  # leaves the third column
            self.tabs.show()
        else:
            self.tabs.removeTab(1)
            self.tabs.removeTab(0)
            self._centre.replaceWidget(1, self._charts)
            self.addWidget(self._telemetry)
            self.setStretchFactor(2, MAIN_STRETCH[2])
            self.tabs.hide()
            for widget in (self._charts, self._telemetry):
                widget.show()  # a tab page left hidden stays hidden in its column
        self._centre.setSizes(sizes)

    def share_width(self, total: int) -> None:
        """Give the columns ``total`` px in MAIN_STRETCH (or NARROW_STRETCH) proportions."""
        self.arrange(total)
        stretch = NARROW_STRETCH if self.narrow else MAIN_STRETCH
        self.setSizes([total * s // sum(stretch) for s in stretch])

    def _on_user_split(self, *_args: object) -> None:
        self.user_sized = True
