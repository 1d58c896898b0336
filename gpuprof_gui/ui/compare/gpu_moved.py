"""The Compare tab's "Moved to the GPU" page: a CPU run against its GPU version and that run's GPU trace.

Shown beside the per-function changes when either run has a GPU trace
(:func:`gpuprof_gui.core.diff_gpu.before_after` makes the figures): the totals line, the
sentences, and a sortable table — per function the CPU time before and after, the GPU kernels,
copies (time and bytes) and sync wait issued inside it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.core.diff_gpu_text import totals_line
from gpuprof_gui.core.fmt import format_bytes, format_time, short_path

COLUMNS = ("function", "CPU before", "CPU after", "GPU kernels", "copies", "bytes", "sync")
COLUMN_TIPS = {
    "CPU before": "The function's time in the CPU run, its calls included (cProfile's total)",
    "CPU after": "The function's CPU time in the GPU run, its calls included: launching kernels and waiting for them",
    "GPU kernels": "Time of the GPU kernels the function launched, itself or in the functions it called",
    "copies": "Time of the copies between host and GPU it made (the number of copies in the tooltip)",
    "bytes": "Bytes those copies moved",
    "sync": "Time the CPU waited in it for the GPU to finish (stream, event and device syncs)",
}
FIGURES = ("cpu_before_s", "cpu_after_s", "kernel_s", "copy_s", "copy_bytes", "sync_s")
SORT_COLUMN = 1
"""Largest CPU time before first: the function that moved the most heads the table."""
TABLE_MAX_SHARE = 0.6
"""The table may take up to this share of the page to show all its rows; the text has the rest, or what
it needs if less (it scrolls). The splitter moves; a new comparison or a new size shares it out again."""


class _Figure(QTableWidgetItem):
    """A number cell that sorts by its value (a missing one, shown as —, below every number)."""

    def __init__(self, text: str, value: float | None) -> None:
        super().__init__(text)
        self.setData(Qt.ItemDataRole.UserRole, -1.0 if value is None else float(value))
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if isinstance(mine, float) and isinstance(theirs, float):
            return mine < theirs
        return super().__lt__(other)


def _cell_text(key: str, value: Any) -> str:
    return format_bytes(value) if key == "copy_bytes" else format_time(value)


def _where(row: dict[str, Any]) -> str:
    lines = [row["name"], short_path(f"{row['file']}:{row['line']}", 70) if row["file"] else "<built-in>"]
    if row["moved"]:
        lines.append("Moved to the GPU: the outermost function that issues GPU work here")
    if row["before_file"]:
        how = " (the same function in the sibling script)" if row["before_match"] == "sibling" else ""
        lines.append(f"Before: {short_path(row['before_file'], 60)}:{row['before_line']}{how}")
    else:
        lines.append("Not in the CPU run")
    lines.append(f"{row['launches']} kernel launches, {row['copies']} copies")
    return "\n".join(lines)


def read_only_table(columns: tuple[str, ...], tips: dict[str, str], parent: QWidget) -> QTableWidget:
    """A table of whole rows, not edited, its columns' headers with their tooltips (the Compare tab's two)."""
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(columns)
    for col, name in enumerate(columns):
        header = table.horizontalHeaderItem(col)  # made by setHorizontalHeaderLabels
        if header is not None and name in tips:
            header.setToolTip(tips[name])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class GpuMovedPage(QWidget):
    """The totals line and sentences above a sortable table of the functions that moved."""

    function_selected = Signal(str)
    """The user picked a function in the table (its name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: dict[str, Any] | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setContentsMargins(4, 2, 4, 2)
        # In a scroll area: a long sentence on a small projector screen scrolls, it never widens the window.
        self.summary_area = QScrollArea(self)
        self.summary_area.setWidget(self.summary)
        self.summary_area.setWidgetResizable(True)
        self.summary_area.setFrameShape(QFrame.Shape.NoFrame)
        self.summary_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table = read_only_table(COLUMNS, COLUMN_TIPS, self)
        self.table.horizontalHeader().setStretchLastSection(False)  # the numbers stay by their headers
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(self.summary_area)
        self.split.addWidget(self.table)
        self.split.setChildrenCollapsible(False)
        self.split.setSizes([400, 600])
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.split)

    def set_result(self, result: dict[str, Any], cpu_run: str, gpu_run: str) -> None:
        """Show ``before_after``'s result; ``cpu_run``/``gpu_run`` say which run is which ("A", "B")."""
        self.result = result
        device = f" on {escape(result['device'])}" if result.get("device") else ""
        head = f"<b>Run {cpu_run} on the CPU → run {gpu_run} with the GPU{device}</b>"
        items = "".join(f"<li>{escape(s)}</li>" for s in result["sentences"])
        # The sentences first: on a small projector screen they are what shows without scrolling.
        self.summary.setText(
            f"{head}<ul style='margin-left:-24px; margin-top:2px; margin-bottom:2px'>{items}</ul>"
            f"{escape(totals_line(result))}"
        )
        self._fill(result["functions"])

    def clear(self) -> None:
        self.result = None
        self.summary.setText("")
        self.table.setRowCount(0)

    def refit(self) -> None:
        """Columns as wide as their contents in the current font (presentation mode changes it), and
        room beside each header for the sort arrow, which would otherwise cover its last letters."""
        table = self.table
        table.resizeColumnsToContents()
        n = table.columnCount()
        widths = [table.columnWidth(col) for col in range(n)]
        room = table.viewport().width()
        arrow = 2 * table.horizontalHeader().fontMetrics().horizontalAdvance("M")
        if room > 0 and sum(widths) + n * arrow > room:  # a small screen: what room there is, shared
            arrow = max(0, (room - sum(widths)) // n)
            # Still too wide: the function's name gives way (its tooltip has it whole).
            widths[0] = max(min(widths[0], room - sum(widths[1:])), 8 * table.fontMetrics().horizontalAdvance("x"))
        for col in range(n):
            table.setColumnWidth(col, widths[col] + arrow)
        self.share_height()

    def share_height(self) -> None:
        """The whole text and every row where both fit; else the table's rows up to TABLE_MAX_SHARE."""
        total = self.split.height() - self.split.handleWidth()
        if total <= 0:
            return
        t = self.table
        rows = sum(t.rowHeight(r) for r in range(t.rowCount()))
        table_need = (
            t.horizontalHeader().height() + rows + 2 * t.frameWidth() + t.horizontalScrollBar().sizeHint().height()
        )
        text_need = self.summary.heightForWidth(self.summary_area.viewport().width()) + 2
        if text_need + table_need <= total:
            table = total - text_need  # all of both: the table right under the text
        else:
            table = min(table_need, max(int(total * TABLE_MAX_SHARE), total - text_need))
        self.split.setSizes([total - table, table])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.refit()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refit()

    def _fill(self, rows: list[dict[str, Any]]) -> None:
        table = self.table
        table.setSortingEnabled(False)
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            name = QTableWidgetItem(row["name"] + (" ▸ GPU" if row["moved"] else ""))
            name.setData(Qt.ItemDataRole.UserRole, row["name"])
            name.setToolTip(_where(row))
            table.setItem(i, 0, name)
            for col, key in enumerate(FIGURES, start=1):
                item = _Figure(_cell_text(key, row[key]), row[key])
                if key == "copy_s":
                    item.setToolTip(f"{row['copies']} copies")
                table.setItem(i, col, item)
        self.refit()
        table.setSortingEnabled(True)
        table.sortItems(SORT_COLUMN, Qt.SortOrder.DescendingOrder)

    def _on_row_selected(self) -> None:
        items = self.table.selectedItems()
        if items:
            first = self.table.item(items[0].row(), 0)
            if first is not None:
                self.function_selected.emit(str(first.data(Qt.ItemDataRole.UserRole)))
