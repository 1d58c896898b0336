"""Kernel-lab result views: candidate list with status, and the sortable results table.

Status is shown as a symbol + word + colour, never colour alone: the lab is
used on projectors and by colour-blind readers.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
)

from gpuprof_gui.core.lab_model import LabRecord
from gpuprof_gui.ui.style.palette import app_is_dark, status_colours
from gpuprof_gui.ui.style.theme import fit_rows, set_view_font

# status -> symbol + word (the symbol only where the font has it: status_text); its cell's
# colours are the theme's (palette.status_colours).
STATUS_STYLE: dict[str, str] = {
    "pending": "· pending",
    "running": "▶ running",
    "ok": "✓ ok",
    "wrong": "✗ wrong",
    "failed": "! failed",
    "skipped": "– skipped",
    "timed_out": "⏱ timed out",
    "crashed": "✕ crashed",
    "cancelled": "– cancelled",
}
SYMBOL_STAND_INS = {"⏱": "◷"}
"""A symbol to try where the font lacks the first choice (a clock face for the stopwatch);
where it lacks both, the word goes alone: a missing glyph shows as an empty box."""
# Worst first: a candidate's summary shows the worst status over its sizes.
_SEVERITY = ("crashed", "timed_out", "failed", "wrong", "cancelled", "skipped", "ok")

COLUMNS = (
    "Candidate",
    "Size",
    "Status",
    "Correct",
    "Max rel err",
    "Median ms",
    "p10–p90 ms",
    "GB/s",
    "GFLOP/s",
    "% of peak",
    "× CPU",
    "× CPU incl. transfers",
)
_TIPS = {
    "% of peak": "measured time against the roofline floor (the device's theoretical peaks)",
    "× CPU": "speed-up over the NumPy reference on the CPU, kernel time only",
    "× CPU incl. transfers": "speed-up over the CPU counting host→device and device→host copies",
    "Max rel err": "largest relative error against the NumPy reference (float64)",
}
AUTOSIZE_ROWS = 60
"""Columns follow their content for the first rows (a run has tens); later rows leave them to the user."""
_SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
"""The status a cell is coloured for, so a theme change can colour it again."""


def drawable(text: str, font: QFont | None = None) -> bool:
    """Whether ``font`` (the application's by default) has a glyph for every character of ``text``."""
    metrics = QFontMetrics(font if font is not None else QApplication.font())
    return all(metrics.inFontUcs4(ord(ch)) for ch in text)


def status_text(status: str, font: QFont | None = None) -> str:
    """Symbol and word ("✓ ok"), the symbol only where ``font`` (the application's by default) has it."""
    text = STATUS_STYLE.get(status, status)
    symbol, _space, word = text.partition(" ")
    if not word:
        return text
    choices = (symbol, SYMBOL_STAND_INS.get(symbol, ""))
    shown = next((s for s in choices if s and drawable(s, font)), "")
    return f"{shown} {word}" if shown else word


def style_item(item: QTableWidgetItem | QTreeWidgetItem, status: str, column: int = 0) -> None:
    """Colour one cell (table) or one ``column`` of a row (tree) by status, in the current theme."""
    bg, fg = status_colours(app_is_dark(), status)
    if isinstance(item, QTreeWidgetItem):
        item.setData(column, _STATUS_ROLE, status)
        item.setBackground(column, QBrush(QColor(bg)))
        item.setForeground(column, QBrush(QColor(fg)))
    else:
        item.setData(_STATUS_ROLE, status)
        item.setBackground(QBrush(QColor(bg)))
        item.setForeground(QBrush(QColor(fg)))


def fmt_number(value: float | None, digits: int = 3) -> str:
    """Significant digits, thousands separators for large values; '–' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def fmt_err(value) -> str:
    if value is None:
        return "–"
    value = float(value)  # an infinite error arrives as the string "inf"
    return "∞ (NaN)" if not math.isfinite(value) else f"{value:.1e}"


class _Item(QTableWidgetItem):
    """Sorts by a number kept beside the text (missing values sort last)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:  # Qt's sort hook
        a, b = self.data(_SORT_ROLE), other.data(_SORT_ROLE)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        if a is None or b is None:
            return b is None and a is not None
        return str(a) < str(b)


def _cell(text: str, key) -> _Item:
    item = _Item(text)
    item.setData(_SORT_ROLE, key)
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    return item


def record_cells(rec: LabRecord, font: QFont | None = None) -> list[_Item]:
    """The table's cells for one record, in COLUMNS order (status symbols ``font`` can draw)."""
    err = None if rec.max_rel_err is None else float(rec.max_rel_err)
    spread = (
        f"{fmt_number(rec.p10_ms)}–{fmt_number(rec.p90_ms)}"
        if rec.p10_ms is not None and rec.p90_ms is not None
        else "–"
    )
    cells = [
        _cell(rec.candidate, rec.candidate),
        _cell(f"{rec.size:,}", rec.size),
        _cell(status_text(rec.status, font), _SEVERITY.index(rec.status) if rec.status in _SEVERITY else -1),
        _cell("yes" if rec.correct else "no", int(rec.correct)),
        _cell(fmt_err(err), err),
        _cell(fmt_number(rec.median_ms), rec.median_ms),
        _cell(spread, rec.p90_ms),
        _cell(fmt_number(rec.gbps, 4), rec.gbps),
        _cell(fmt_number(rec.gflops, 4), rec.gflops),
        _cell(fmt_number(rec.pct_of_peak, 3), rec.pct_of_peak),
        _cell(fmt_number(rec.speedup_vs_cpu), rec.speedup_vs_cpu),
        _cell(fmt_number(rec.speedup_vs_cpu_with_transfers), rec.speedup_vs_cpu_with_transfers),
    ]
    style_item(cells[2], rec.status)
    style_item(cells[3], "ok" if rec.correct else ("wrong" if rec.status == "ok" else rec.status))
    for cell in cells[1:]:
        cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if rec.error:
        for cell in cells[:4]:
            cell.setToolTip(rec.error)
    return cells


class ResultsTable(QTableWidget):
    """One row per record; rows are added live as records arrive."""

    candidate_selected = Signal(str)
    """The user picked a row: the candidate's name."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        for col, name in enumerate(COLUMNS):
            header_item = self.horizontalHeaderItem(col)
            if name in _TIPS and header_item is not None:
                header_item.setToolTip(_TIPS[name])
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.itemSelectionChanged.connect(self._on_selection)

    def clear_records(self) -> None:
        self.setRowCount(0)

    def add_record(self, rec: LabRecord) -> None:
        # Sorting while inserting would move the row between setItem calls.
        sorting = self.isSortingEnabled()
        self.setSortingEnabled(False)
        row = self.rowCount()
        self.insertRow(row)
        for col, cell in enumerate(record_cells(rec, self.font())):
            self.setItem(row, col, cell)
        self.setSortingEnabled(sorting)
        if row < AUTOSIZE_ROWS:
            self.resizeColumnsToContents()

    def _on_selection(self) -> None:
        rows = self.selectionModel().selectedRows()
        first = self.item(rows[0].row(), 0) if rows else None
        if first is not None:
            self.candidate_selected.emit(first.text())

    def set_presentation(self, on: bool) -> None:
        """Rows tall enough for the projector font, columns re-fitted to it; status cells in the theme's colours."""
        set_view_font(self, on)
        fit_rows(self, on)
        self.resizeColumnsToContents()
        for row in range(self.rowCount()):
            for col in range(self.columnCount()):
                item = self.item(row, col)
                if item is not None and item.data(_STATUS_ROLE):
                    style_item(item, str(item.data(_STATUS_ROLE)))


class CandidateList(QTreeWidget):
    """Candidates of the file with their kind and a status summary over sizes."""

    candidate_selected = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Candidate", "Kind", "Status"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.header().setStretchLastSection(True)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._statuses: dict[str, list[str]] = {}
        self.currentItemChanged.connect(self._on_current)

    def set_candidates(self, candidates: list[dict]) -> None:
        self.clear()
        self._items, self._statuses = {}, {}
        for cand in candidates:
            item = QTreeWidgetItem([cand["name"], cand.get("kind", ""), ""])
            item.setToolTip(0, cand.get("description") or cand["name"])
            self.addTopLevelItem(item)
            self._items[cand["name"]] = item
            self.set_status(cand["name"], "")
        for col in range(2):
            self.resizeColumnToContents(col)

    def names(self) -> list[str]:
        return list(self._items)

    def reset_statuses(self, names: list[str], status: str = "pending") -> None:
        for name in names:
            self._statuses[name] = []
            self.set_status(name, status)

    def set_status(self, name: str, status: str, detail: str = "") -> None:
        item = self._items.get(name)
        if item is None:
            return
        item.setText(2, (status_text(status, self.font()) + (f" {detail}" if detail else "")) if status else "")
        if status:
            style_item(item, status, 2)
        else:
            item.setData(2, _STATUS_ROLE, None)
            item.setBackground(2, QBrush())
            item.setForeground(2, QBrush())

    def add_record_status(self, rec: LabRecord) -> None:
        """Fold one record into its candidate's summary: the worst status, and how many passed."""
        seen = self._statuses.setdefault(rec.candidate, [])
        seen.append(rec.status)
        worst = min(seen, key=lambda s: _SEVERITY.index(s) if s in _SEVERITY else 0)
        passed = sum(1 for s in seen if s == "ok")
        self.set_status(rec.candidate, worst, f"({passed}/{len(seen)})")

    def restyle(self) -> None:
        """Status cells in the current theme's colours (after a theme change)."""
        for item in self._items.values():
            if item.data(2, _STATUS_ROLE):
                style_item(item, str(item.data(2, _STATUS_ROLE)), 2)

    def status_of(self, name: str) -> str:
        item = self._items.get(name)
        return item.text(2) if item is not None else ""

    def select(self, name: str) -> None:
        item = self._items.get(name)
        if item is not None and item is not self.currentItem():
            self.setCurrentItem(item)

    def _on_current(self, current: QTreeWidgetItem | None, _previous) -> None:
        if current is not None:
            self.candidate_selected.emit(current.text(0))
