"""The capacity table: CPU, GPU and PCIe link side by side, each number with its formula.

The formula is printed under the value, not hidden in a tooltip: a teacher walks a
class through "132 SMs × 128 lanes × 2 × 1.98 GHz" on the projector.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gpuprof_gui.core.advice_text import times
from gpuprof_gui.core.capacity import capacity_rows
from gpuprof_gui.core.fmt import DASH
from gpuprof_gui.ui.advisor.advisor_style import make_label
from gpuprof_gui.ui.style.palette import ADVISOR

COLUMNS = (("cpu", "CPU"), ("gpu", "GPU"), ("link", "PCIe link"))
WORD_JOINER = "\u2060"
"""Invisible; no line break here: a value may wrap between number and unit, never inside "GFLOP/s"."""
RULE_STYLE = f"color: {ADVISOR.rule};"


def format_figure_value(value: float | int | None, unit: str) -> str:
    """``332 GFLOP/s``, ``35.1 GB/s``, ``66,908 GFLOP/s``; ``—`` when unknown."""
    if value is None:
        return DASH
    v = float(value)
    if v >= 100:
        text = f"{v:,.0f}"
    elif v >= 10:
        text = f"{v:.1f}"
    else:
        text = f"{v:.2f}"
    return f"{text} {unit}"


class CapacityTable(QWidget):
    """Rows from :func:`capacity_rows`; rebuilt as a whole on each :meth:`set_capacity`."""

    measure_requested = Signal()
    """The user asked to measure this machine's CPU copy bandwidth (about 0.3 s)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = make_label("Device capacity", "title", selectable=False)
        self.source_label = make_label("", "small", wrap=True)
        self.measure_button = QPushButton("Measure this CPU's copy bandwidth")
        self.measure_button.setToolTip("Copies 256 MiB with NumPy five times (about 0.3 s)")
        self.measure_button.clicked.connect(self.measure_requested)
        self.measure_button.hide()
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(10)  # five columns in a third of a 1024 px screen
        self.grid.setVerticalSpacing(4)
        self.cells: dict[tuple[str, str], tuple[QLabel, QLabel]] = {}  # (quantity, column) -> (value, formula)
        self.ratio_labels: dict[str, QLabel] = {}
        self.rows: list[dict] = []
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.measure_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addLayout(head)
        box.addWidget(self.source_label)
        box.addLayout(self.grid)
        box.addStretch(1)

    def set_capacity(self, capacity: dict, source: str = "", can_measure: bool = False) -> None:
        self._clear()
        cpu, gpu, link = capacity.get("cpu"), capacity.get("gpu"), capacity.get("link")
        self.rows = capacity_rows(cpu, gpu, link)
        self.source_label.setText(source)
        self.source_label.setVisible(bool(source))
        names = {
            "cpu": (cpu or {}).get("name", ""),
            "gpu": (gpu or {}).get("name", "") if gpu else "no GPU figures",
            "link": "host ↔ device",
        }
        self._add(make_label("", "text"), 0, 0)
        for col, (key, word) in enumerate(COLUMNS, start=1):
            self._add(make_label(f"<b>{word}</b><br>{names[key]}", "text", wrap=True), 0, col)
        self._add(make_label("<b>GPU / CPU</b>", "text", wrap=True), 0, len(COLUMNS) + 1)
        for i, row in enumerate(self.rows, start=1):
            r = 2 * i - 1  # a thin rule above each row keeps a wrapped formula with its value
            rule = QFrame()
            rule.setFrameShape(QFrame.Shape.HLine)
            rule.setStyleSheet(RULE_STYLE)
            self.grid.addWidget(rule, r, 0, 1, len(COLUMNS) + 2)
            self._add(make_label(row["quantity"], "text", wrap=True), r + 1, 0)
            for col, (key, _word) in enumerate(COLUMNS, start=1):
                if row[key] is not None:
                    self._add(self._cell(row["quantity"], key, row[key]), r + 1, col)
            ratio = make_label(times(row["ratio"]) if row["ratio"] else "", "value")
            self.ratio_labels[row["quantity"]] = ratio
            self._add(ratio, r + 1, len(COLUMNS) + 1)
        for col in range(1, len(COLUMNS) + 1):
            self.grid.setColumnStretch(col, 3)
        self.grid.setColumnStretch(0, 2)
        cpu_copy = (cpu or {}).get("measured_copy_gbps") or {}
        self.measure_button.setVisible(can_measure and cpu is not None and cpu_copy.get("value") is None)

    def _cell(self, quantity: str, key: str, fig: dict) -> QWidget:
        # "66,908 GFLOP/s" may take two lines: five columns must fit a third of a 1024 px screen.
        shown = format_figure_value(fig.get("value"), fig.get("unit", "")).replace("/", "/" + WORD_JOINER)
        value = make_label(shown, "value", wrap=True)
        formula = make_label(fig.get("formula", ""), "small", wrap=True)
        self.cells[(quantity, key)] = (value, formula)
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(value)
        box.addWidget(formula)
        return cell

    def _add(self, widget: QWidget, row: int, col: int) -> None:
        self.grid.addWidget(widget, row, col, Qt.AlignmentFlag.AlignTop)

    def _clear(self) -> None:
        self.cells.clear()
        self.ratio_labels.clear()
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)  # out of findChildren at once, not at the next event loop turn
                widget.deleteLater()

    def value_text(self, quantity: str, column: str) -> str:
        return self.cells[(quantity, column)][0].text().replace(WORD_JOINER, "")

    def formula_text(self, quantity: str, column: str) -> str:
        return self.cells[(quantity, column)][1].text()
