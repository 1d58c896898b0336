"""The lab's charts for one problem size: median times and the roofline, under a size picker."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.ui.lab.lab_charts import TimesChart
from gpuprof_gui.ui.lab.roofline_chart import Ceilings, RooflineChart

NO_RESULTS = "No kernel results yet — run candidates or load a recorded run."
"""What the chart area says before there is anything to chart (no GPU, nothing run yet)."""


def chart_ceilings(run: lm.LabRun | None, records: list[lm.LabRecord]) -> Ceilings:
    """The roofline's ceilings: the run's device facts, else what the records imply."""
    dtype = ((run.problem if run else {}) or {}).get("flops_dtype", "float32")
    if run is not None and run.device.name:
        return Ceilings.from_device(run.device, dtype)
    # Live, before the run's device facts arrive: each record's % of copy bandwidth gives it back.
    copy = next((100.0 * r.gbps / r.pct_of_copy_bw for r in records if r.gbps and r.pct_of_copy_bw), None)
    return Ceilings(copy_gbps=copy, flops_dtype=dtype)


class LabChartArea(QWidget):
    """ "Charts for size:" and the two charts side by side, for the records of the size picked;
    without records, one plain sentence in their place (empty axes would only mislead)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[lm.LabRecord] = []
        self.run: lm.LabRun | None = None
        self.size_combo = QComboBox()
        self.size_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.times_chart = TimesChart()
        self.roofline = RooflineChart()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.times_chart)
        self.splitter.addWidget(self.roofline)
        self.empty_label = QLabel(NO_RESULTS)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setMinimumWidth(1)  # wraps to the width it gets: asks for none
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_label)
        self.stack.setCurrentWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.size_row = QWidget()
        size_row = QHBoxLayout(self.size_row)
        size_row.setContentsMargins(0, 0, 0, 0)
        size_row.addWidget(QLabel("Charts for size:"))
        size_row.addWidget(self.size_combo)
        size_row.addStretch(1)
        # Where the two charts side by side would each be too small to read: one at a time.
        self.chart_tabs = QTabBar()
        self.chart_tabs.addTab("Median time")
        self.chart_tabs.addTab("Roofline")
        self.chart_tabs.setExpanding(False)
        self.chart_tabs.setDocumentMode(True)
        self.chart_tabs.setVisible(False)
        self.chart_tabs.currentChanged.connect(self._fit_charts)
        self.size_row.setVisible(False)
        layout.addWidget(self.size_row)
        layout.addWidget(self.chart_tabs)
        layout.addWidget(self.stack, 1)
        self.size_combo.currentIndexChanged.connect(self.redraw)

    def show_records(self, records: list[lm.LabRecord], run: lm.LabRun | None) -> None:
        """Offer the records' sizes and chart the one picked; ``run`` gives the device facts and labels."""
        self.records, self.run = records, run
        self._refresh_sizes()
        self.size_row.setVisible(bool(records))
        self.stack.setCurrentWidget(self.splitter if records else self.empty_label)
        self._fit_charts()
        self.redraw()

    def one_at_a_time(self) -> bool:
        """Whether the charts take turns (tabs above them): side by side, neither could be read."""
        return self.chart_tabs.isVisibleTo(self)

    def _fit_charts(self, *_args: object) -> None:
        """Both charts side by side where each has room to be read, else the one its tab picks."""
        width = self.splitter.width() - self.splitter.handleWidth()
        apart = width < self.times_chart.readable_size()[0] + self.roofline.readable_size()[0]
        self.chart_tabs.setVisible(apart and bool(self.records))
        self.times_chart.setVisible(not apart or self.chart_tabs.currentIndex() == 0)
        self.roofline.setVisible(not apart or self.chart_tabs.currentIndex() == 1)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_charts()

    def empty_text(self) -> str:
        """The sentence shown in place of the charts, or "" while they are on show."""
        return self.empty_label.text() if self.stack.currentWidget() is self.empty_label else ""

    def set_presentation(self, on: bool) -> None:
        """Restyle both charts; their items follow at the next ``redraw``."""
        self.times_chart.set_presentation(on)
        self.roofline.set_presentation(on)
        self._fit_charts()  # the text they must have room for changed size

    def _refresh_sizes(self) -> None:
        sizes = sorted({r.size for r in self.records})
        current = [self.size_combo.itemData(i) for i in range(self.size_combo.count())]
        if sizes == current:
            return
        keep = self.size_combo.currentData()
        self.size_combo.blockSignals(True)
        self.size_combo.clear()
        for size in sizes:
            self.size_combo.addItem(f"{size:,}", size)
        # The largest size shows the steady state; the user may pick another. While a run
        # adds sizes, a view that was on the largest moves on to the new largest.
        on_largest = not current or keep == current[-1]
        index = len(sizes) - 1 if on_largest or keep not in sizes else sizes.index(keep)
        self.size_combo.setCurrentIndex(index)
        self.size_combo.blockSignals(False)

    def redraw(self, *_args: object) -> None:
        """Chart the records of the size picked (bars, labels and ceilings in the charts' current style)."""
        size = self.size_combo.currentData()
        chosen = [r for r in self.records if r.size == size]
        label = ((self.run.problem if self.run else {}) or {}).get("size_label", "size")
        text = f", {label} = {size:,}" if size is not None else ""
        self.times_chart.set_records(chosen, text)
        self.roofline.set_records(chosen, chart_ceilings(self.run, self.records))
