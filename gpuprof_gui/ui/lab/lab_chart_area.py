"""The lab's charts for one problem size: median times and the roofline, under a size picker."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.ui.lab.lab_charts import Ceilings, RooflineChart, TimesChart


def chart_ceilings(run: lm.LabRun | None, records: list[lm.LabRecord]) -> Ceilings:
    """The roofline's ceilings: the run's device facts, else what the records imply."""
    dtype = ((run.problem if run else {}) or {}).get("flops_dtype", "float32")
    if run is not None and run.device.name:
        return Ceilings.from_device(run.device, dtype)
    # Live, before the run's device facts arrive: each record's % of copy bandwidth gives it back.
    copy = next((100.0 * r.gbps / r.pct_of_copy_bw for r in records if r.gbps and r.pct_of_copy_bw), None)
    return Ceilings(copy_gbps=copy, flops_dtype=dtype)


class LabChartArea(QWidget):
    """ "Charts for size:" and the two charts side by side, for the records of the size picked."""

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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        size_row = QHBoxLayout()
        size_row.addWidget(QLabel("Charts for size:"))
        size_row.addWidget(self.size_combo)
        size_row.addStretch(1)
        layout.addLayout(size_row)
        layout.addWidget(self.splitter, 1)
        self.size_combo.currentIndexChanged.connect(self.redraw)

    def show_records(self, records: list[lm.LabRecord], run: lm.LabRun | None) -> None:
        """Offer the records' sizes and chart the one picked; ``run`` gives the device facts and labels."""
        self.records, self.run = records, run
        self._refresh_sizes()
        self.redraw()

    def set_presentation(self, on: bool) -> None:
        """Restyle both charts; their items follow at the next ``redraw``."""
        self.times_chart.set_presentation(on)
        self.roofline.set_presentation(on)

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
