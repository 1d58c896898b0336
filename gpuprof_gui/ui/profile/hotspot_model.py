"""The hotspot table's model: one row per function, sorted and filtered in Python, with the GPU
columns of a traced run (per function, from :mod:`gpuprof_gui.core.gpu_columns`) and of a Scalene
run that sampled the GPU."""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from gpuprof_gui.core.fmt import DASH, format_bytes, format_count, format_pct, format_time, short_path
from gpuprof_gui.core.gpu_columns import GpuColumns, gpu_figures_text, has_gpu_work
from gpuprof_gui.core.gpu_trace_summary import Totals

COLUMNS = (
    "Function", "File:line", "Calls", "Self", "Total", "% of run",
    "GPU kernel", "Copy", "Copied", "Sync wait", "Launches", "GPU %", "GPU mem",
)  # fmt: skip
(COL_FUNCTION, COL_LOCATION, COL_CALLS, COL_SELF, COL_TOTAL, COL_PCT,
 COL_GPU_KERNEL, COL_GPU_COPY, COL_GPU_BYTES, COL_GPU_SYNC, COL_GPU_LAUNCHES, COL_GPU_PCT, COL_GPU_MEM) = range(
    len(COLUMNS))  # fmt: skip
TRACE_COLUMNS = (COL_GPU_KERNEL, COL_GPU_COPY, COL_GPU_BYTES, COL_GPU_SYNC, COL_GPU_LAUNCHES)
"""From the run's GPU trace: shown only when the run has one."""
SAMPLED_GPU_COLUMNS = (COL_GPU_PCT, COL_GPU_MEM)
"""From Scalene's GPU sampling: shown only when the profile has them."""
GPU_COLUMNS = TRACE_COLUMNS + SAMPLED_GPU_COLUMNS
PRESENTATION_GPU_COLUMNS = (COL_GPU_KERNEL, COL_GPU_PCT)
"""On a projector only these GPU columns stay: the room goes to the function's name and times."""
NUMERIC_COLUMNS = (COL_CALLS, COL_SELF, COL_TOTAL, COL_PCT, *GPU_COLUMNS)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FUNC_ROLE = Qt.ItemDataRole.UserRole + 2
_TOP = QModelIndex()  # the invisible root, the default parent of rowCount/columnCount (rows have no children)
REPORTED_TIP = (
    "The profiler's own function summary says {pct} of run; this table sums the "
    "function's own lines, which agrees with an exact reference (docs/scalene-functions.md)."
)

_TOOLTIPS = {
    COL_CALLS: "Number of calls (cProfile). Sampling profilers do not count calls.",
    COL_SELF: "Time spent in the function's own code, callees excluded.",
    COL_TOTAL: "Time from entry to return, callees included (recursion counted once).",
    COL_PCT: "Self time as a share of the whole profiled run.",
    COL_GPU_KERNEL: "GPU time of the kernels the function's own lines launched (from the run's GPU trace).",
    COL_GPU_COPY: "GPU time of the copies between host and device the function's own lines asked for.",
    COL_GPU_BYTES: "Bytes those copies moved.",
    COL_GPU_SYNC: "Time the function's own lines waited for the GPU to finish (synchronisations).",
    COL_GPU_LAUNCHES: "Kernels the function's own lines launched.",
    COL_GPU_PCT: "Scalene: the GPU's average utilisation while the function's lines ran (sampled through NVML).",
    COL_GPU_MEM: "Scalene: the most GPU memory the process held while the function's lines ran.",
}
_TRACE_FIELD = {
    COL_GPU_KERNEL: "kernel_ns", COL_GPU_COPY: "copy_ns", COL_GPU_BYTES: "copy_bytes",
    COL_GPU_SYNC: "sync_ns", COL_GPU_LAUNCHES: "launches",
}  # fmt: skip


class HotspotModel(QAbstractTableModel):
    """Rows from :func:`gpuprof_gui.core.hotspots.hotspot_rows`, sorted and filtered here.

    Sorting in Python with a key is ~100x faster than a QSortFilterProxyModel,
    which calls ``data()`` through the bindings for every comparison (0.2 s for
    5,000 rows, most of the time from a finished run to a painted window).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._all: list[dict] = []
        self._rows: list[dict] = []
        self._unit = "s"
        self._no_file = "<built-in>"  # the file column of a function without a file
        self._filter = ""
        self._sort = (COL_SELF, Qt.SortOrder.DescendingOrder)
        self.gpu: GpuColumns | None = None  # the run's GPU trace joined to its functions

    def set_rows(
        self, rows: list[dict], unit: str = "s", no_file: str = "<built-in>", gpu: GpuColumns | None = None
    ) -> None:
        self.beginResetModel()
        self._all = rows
        self._unit, self._no_file = unit, no_file
        self.gpu = gpu
        self._apply()
        self.endResetModel()

    def has_sampled_gpu(self) -> bool:
        """Whether the profile holds sampled GPU figures (Scalene with a GPU)."""
        return any(r.get("gpu_pct") is not None for r in self._all)

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self._filter = text.strip().lower()
        self._apply()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        funcs = [self.function_at(i.row()) for i in old]
        self._sort = (column, order)
        self._apply()
        new_row = {int(r["func"]): i for i, r in enumerate(self._rows)}
        self.changePersistentIndexList(
            old,
            [
                self.index(new_row.get(f, -1), i.column()) if f in new_row else QModelIndex()
                for f, i in zip(funcs, old, strict=True)
            ],
        )
        self.layoutChanged.emit()

    def _apply(self) -> None:
        rows = self._all
        if self._filter:
            rows = [r for r in rows if self._filter in r["name"].lower() or self._filter in r["file"].lower()]
        column, order = self._sort
        self._rows = sorted(
            rows, key=lambda r: self._sort_key(r, column), reverse=order == Qt.SortOrder.DescendingOrder
        )

    def row_of_function(self, func: int) -> int:
        for i, row in enumerate(self._rows):
            if row["func"] == func:
                return i
        return -1

    def function_at(self, row: int) -> int:
        return int(self._rows[row]["func"]) if 0 <= row < len(self._rows) else -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _TOP) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _TOP) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _TOOLTIPS.get(section)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == SORT_ROLE:
            return self._sort_key(row, col)
        if role == FUNC_ROLE:
            return row["func"]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= COL_CALLS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _tooltip(self, row: dict) -> str:
        where = f"{row['file']}:{row['line']}" if row["file"] else self._no_file.strip("<>()")
        text = f"{row['name']}\n{where}"
        if row.get("reported_pct") is not None:
            text += "\n" + REPORTED_TIP.format(pct=format_pct(row["reported_pct"]))
        if self.gpu is not None:
            own, incl = self.gpu.own.get(row["func"]), self.gpu.incl.get(row["func"])
            if own is not None and has_gpu_work(own):
                text += f"\nGPU, its own lines: {gpu_figures_text(own)}"
            if incl is not None and has_gpu_work(incl):
                text += f"\nGPU, with the functions it called: {gpu_figures_text(incl)}"
        return text

    def _time(self, value: float) -> str:
        return format_time(value) if self._unit == "s" else f"{value:,.0f}"

    def _totals(self, row: dict) -> Totals | None:
        return None if self.gpu is None else self.gpu.own.get(row["func"])

    def _display(self, row: dict, col: int) -> str:
        if col == COL_FUNCTION:
            return row["name"]
        if col == COL_LOCATION:
            return f"{short_path(row['file'])}:{row['line']}" if row["file"] else self._no_file
        if col == COL_CALLS:
            return format_count(row["calls"])
        if col == COL_SELF:
            return self._time(row["self_s"])
        if col == COL_TOTAL:
            return self._time(row["total_s"])
        if col == COL_PCT:
            return format_pct(row["self_pct"]) if row["self_pct"] is not None else DASH
        if col in _TRACE_FIELD:
            totals = self._totals(row)
            if totals is None or not has_gpu_work(totals):
                return ""  # no GPU work: blank cells, so the ones with work stand out
            value = getattr(totals, _TRACE_FIELD[col])
            if not value:
                return ""
            if col == COL_GPU_BYTES:
                return format_bytes(value)
            return format_count(value) if col == COL_GPU_LAUNCHES else format_time(value / 1e9)
        if col == COL_GPU_PCT:
            return format_pct(row["gpu_pct"]) if row.get("gpu_pct") else ""
        mem = row.get("gpu_mem_mb")
        return f"{mem:,.0f} MB" if mem else ""

    def _sort_key(self, row: dict, col: int):
        if col == COL_FUNCTION:
            return row["name"].lower()
        if col == COL_LOCATION:
            return f"{row['file']}:{row['line']:08d}"
        if col in _TRACE_FIELD:
            totals = self._totals(row)
            return float(getattr(totals, _TRACE_FIELD[col])) if totals is not None else 0.0
        value = {
            COL_CALLS: row["calls"], COL_SELF: row["self_s"], COL_TOTAL: row["total_s"], COL_PCT: row["self_pct"],
            COL_GPU_PCT: row.get("gpu_pct"), COL_GPU_MEM: row.get("gpu_mem_mb"),
        }[col]  # fmt: skip
        return -math.inf if value is None else float(value)
