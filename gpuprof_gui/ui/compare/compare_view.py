"""The Compare tab: a differential flame graph and a table of per-function deltas.

Run A is the baseline (chosen with File ▸ Compare With…), run B the profile on
show. Frames are as wide as the larger of the two runs; their colour says how
much they grew (red) or shrank (blue). The diverging scheme is ColorBrewer's
RdBu on a light canvas and the same arms lightened for a dark one
(palette.DIFF_LIGHT, DIFF_DARK): it stays readable with red-green colour
blindness because it varies in lightness as well as hue.
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.core import diff as dm
from gpuprof_gui.core.diff_gpu import before_after
from gpuprof_gui.core.flame import build_layout
from gpuprof_gui.core.fmt import format_count, format_pct, format_time, short_path
from gpuprof_gui.core.gpu_trace import GpuTrace
from gpuprof_gui.core.model import Profile
from gpuprof_gui.ui.compare.gpu_moved import GpuMovedPage, read_only_table
from gpuprof_gui.ui.profile.flame_canvas import FlameCanvas
from gpuprof_gui.ui.profile.flame_scroll import ScrolledFlame
from gpuprof_gui.ui.style.palette import (
    DIFF_LIGHT,
    current_palette,
    current_theme_colours,
    is_dark_fill,
    label_colour_on,
    theme_colours,
)

# The light theme's classes, strongest shrink first and strongest growth last, either side of neutral.
SHRUNK = DIFF_LIGHT[: len(dm.DIFF_LEVELS)]
GROWN = DIFF_LIGHT[-len(dm.DIFF_LEVELS) :]
assert len(DIFF_LIGHT) == dm.DIFF_N_BUCKETS

DELTA_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("function", "change", "self A", "self B", "total A", "total B", "calls A", "calls B", "status", "location")
FIT_ROWS = 200
"""Columns are sized on this many rows (the biggest changes: the table is sorted by them)."""
FUNCTION_MIN_CHARS = 18
FUNCTION_SHARE = 0.35
"""The function column is cut (its tooltip has the name) beyond this share of the table's width."""
COLUMN_TIPS = {
    "total A": "Time in the function over all its calls, as a share of run A "
    "(exact: the profiler's per-function total, recursion counted once)",
    "total B": "Time in the function over all its calls, as a share of run B "
    "(exact: the profiler's per-function total, recursion counted once)",
}


def diff_colours(dark: bool) -> tuple[str, ...]:
    """One fill per diff bucket: shrunk strong…weak, neutral, grown weak…strong."""
    return theme_colours(dark).diff


def _signed_time(x: float, unit: str) -> str:
    if unit != "s":
        return f"{x * 100:+.2f} pts"
    return ("+" if x > 0 else "−" if x < 0 else "±") + format_time(abs(x))


def _amount(x: float, unit: str) -> str:
    return format_time(x) if unit == "s" else f"{x * 100:.2f}%"


def _pct(fraction: float) -> str:
    return format_pct(100.0 * float(fraction))


class DiffFlameCanvas(FlameCanvas):
    """The flame canvas drawing a union tree, coloured by change instead of by function."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.diff: dm.DiffTree | None = None
        self._relative = np.zeros(0)  # per node, computed once per comparison (the tooltip reads it)
        super().__init__(parent)

    def set_diff(self, diff: dm.DiffTree | None, profile: Profile | None) -> None:
        self.diff = diff
        if diff is None or profile is None:
            self.set_profile(None)
            return
        layout = build_layout(diff.tree)
        self._relative = dm.relative_change(diff)
        buckets = dm.diff_buckets(diff)
        for row in layout.rows:
            row.bucket = buckets[row.node]
        self.set_profile(profile, layout)

    def _apply_style(self) -> None:
        super()._apply_style()
        pal = self._palette
        fills = diff_colours(is_dark_fill(pal.background))
        # Same structure as the base class: one fill per bucket, then the dimmed colour.
        self._fills = [QColor(c) for c in fills] + [QColor(pal.dimmed)]
        self._label_pens = [QColor(label_colour_on(c, pal)) for c in fills] + [QColor(pal.text)]
        self._dark_key = np.array([is_dark_fill(c) for c in (*fills, pal.dimmed)], dtype=bool)

    def tooltip_for(self, node: int) -> str:
        d = self.diff
        if d is None or self.profile is None or node < 0:
            return ""
        func = int(d.tree.func[node])
        name = self.profile.function_label(func)
        a, b, delta = float(d.total_a[node]), float(d.total_b[node]), float(d.delta_s[node])
        rel = float(self._relative[node])
        lines = [name]
        if func >= 0 and self.profile.functions[func].file:
            lines.append(self.profile.functions[func].location)
        lines.append(f"A {_amount(a, d.unit)} → B {_amount(b, d.unit)}")
        change = "only in B" if a == 0 and b > 0 else "only in A" if b == 0 and a > 0 else f"{rel * 100:+.0f}%"
        lines.append(f"change {_signed_time(delta, d.unit)} ({change})")
        if func >= 0 and d.func_share_a is not None and d.func_share_b is not None:
            # The frame is one call path; the function's exact total over all of them, as the table has it.
            lines.append(f"all paths: A {_pct(d.func_share_a[func])} → B {_pct(d.func_share_b[func])} of run")
        return "\n".join(lines)


class _NumberItem(QTableWidgetItem):
    """A cell that sorts by its number, not its text."""

    def __init__(self, text: str, value: float) -> None:
        super().__init__(text)
        self.setData(Qt.ItemDataRole.UserRole, value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if isinstance(mine, (int, float)) and isinstance(theirs, (int, float)):
            return mine < theirs
        return super().__lt__(other)


class ComparePanel(QWidget):
    """Header with both runs, the differential flame graph, the delta table."""

    function_selected = Signal(str)
    """The user picked a function in the delta table (its name)."""
    compared = Signal()
    """A comparison is on show (the flame graph and the table are filled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(
            "Compare this run with another: File ▸ Compare With… (Ctrl+D) picks the baseline "
            "run A; the profile on show is run B."
        )
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend = QLabel()
        # Never let the legend widen the window (the gallery checks it is not cut either).
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.canvas = DiffFlameCanvas(self)
        self.orientation_label = QLabel(self.canvas.orientation_caption)
        self.table = read_only_table(COLUMNS, COLUMN_TIPS, self)
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        self.rows: list[dict] = []
        self.unit = "s"
        self.diff: dm.DiffTree | None = None
        self.profile: Profile | None = None
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(ScrolledFlame(self.canvas))
        self.gpu = GpuMovedPage(self)
        self.gpu.function_selected.connect(self._select_name)
        # The changes table, and beside it, when a run was traced on the GPU, what moved there.
        self.pages = QTabWidget(self)
        self.pages.setTabBarAutoHide(True)  # one page: no tab bar
        self.pages.addTab(self.table, "Changes")
        split.addWidget(self.pages)
        split.setSizes([450, 350])
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.orientation_label, 0, Qt.AlignmentFlag.AlignTop)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addLayout(top)
        box.addWidget(self.legend)
        box.addWidget(split, 1)
        self._show_legend()

    # -- public ------------------------------------------------------------------------------
    def set_comparison(
        self,
        a: Profile,
        b: Profile,
        a_label: str,
        b_label: str,
        trace_a: GpuTrace | None = None,
        trace_b: GpuTrace | None = None,
    ) -> None:
        """Compare baseline ``a`` with ``b`` (pure computation, then the views); a run's GPU trace
        adds the "Moved to the GPU" page (B's, else A's: that run is the GPU one)."""
        pairs = dm.match_functions(a, b)
        self.rows = dm.diff_functions(a, b, pairs)
        self.diff = dm.diff_tree(a, b, pairs)
        self.unit = self.diff.unit
        self.profile = dm.diff_as_profile(self.diff, a, b)
        self.canvas.set_diff(self.diff, self.profile)
        summary = dm.diff_summary(a, b)
        self.header.setText(self._header_text(summary, a_label, b_label))
        self._fill_table()
        self._show_gpu(a, b, trace_a, trace_b, pairs)
        self.compared.emit()

    def _show_gpu(
        self, a: Profile, b: Profile, trace_a: GpuTrace | None, trace_b: GpuTrace | None, pairs: list[tuple[int, int]]
    ) -> None:
        if trace_b is None and trace_a is None:
            self._hide_gpu()
            return
        if trace_b is not None:
            self.gpu.set_result(before_after(a, b, trace_b, pairs), "A", "B")
        elif trace_a is not None:
            self.gpu.set_result(before_after(b, a, trace_a), "B", "A")
        if self.pages.indexOf(self.gpu) < 0:
            self.pages.addTab(self.gpu, "Moved to the GPU")
        self.pages.setCurrentWidget(self.gpu)

    def _hide_gpu(self) -> None:
        self.gpu.clear()
        if self.pages.indexOf(self.gpu) >= 0:
            self.pages.removeTab(self.pages.indexOf(self.gpu))

    def clear(self) -> None:
        self._hide_gpu()
        self.rows, self.diff, self.profile = [], None, None
        self.canvas.set_diff(None, None)
        self.table.setRowCount(0)

    def set_presentation(self, on: bool) -> None:
        """Fonts for the projector; the theme's diff colours in the flame graph, legend and table."""
        self.canvas.set_presentation(on)
        self._fit_columns()  # the numbers' widths in the new font
        self.gpu.refit()
        self._show_legend()
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 1)
            if item is not None:
                item.setForeground(QColor(self._delta_colour(float(item.data(DELTA_ROLE) or 0.0))))

    def set_root_at_bottom(self, on: bool) -> None:
        """A flame graph (root at the bottom) or an icicle (root at the top), as on the Profile tab."""
        self.canvas.set_root_at_bottom(on)
        self.orientation_label.setText(self.canvas.orientation_caption)

    def top_function(self) -> str | None:
        return self.rows[0]["name"] if self.rows else None

    # -- internals ---------------------------------------------------------------------------
    def _header_text(self, summary: dict, a_label: str, b_label: str) -> str:
        unit = summary.get("unit", self.unit)
        ta, tb = summary.get("total_s_a"), summary.get("total_s_b")
        if unit == "s" and ta and tb:
            change = f" — B is {_signed_time(tb - ta, 's')} ({tb / ta:.2f}× A)"
            totals = f"A: {a_label} ({format_time(ta)})   B: {b_label} ({format_time(tb)})"
        else:
            change = " — compared as shares of each run (the runs count samples, not seconds)"
            totals = f"A: {a_label}   B: {b_label}"
        return totals + change

    def _show_legend(self) -> None:
        dark = is_dark_fill(current_palette().background)
        colours = diff_colours(dark)
        levels = dm.DIFF_LEVELS
        # Short words, so the nine swatches fit a 1024 px projector; the tooltip spells them out.
        words = (
            [f"−{levels[-1 - i] * 100:.0f}%" for i in range(len(levels))]
            + [f"±{levels[0] * 100:.0f}%"]
            + [f"+{lvl * 100:.0f}%" for lvl in levels]
        )
        cells = "".join(
            f"<td style='background:{c}; color:{label_colour_on(c, current_palette())}; padding:2px 8px'>{w}</td>"
            for c, w in zip(colours, words, strict=True)
        )
        ends = "<td style='padding:2px 6px'>{}</td>"
        self.legend.setText(
            f"<table cellspacing='2'><tr>{ends.format('B vs A: shrunk')}{cells}{ends.format('grown')}</tr></table>"
        )
        self.legend.setToolTip(
            "Each frame's time in run B against run A: "
            + ", ".join(f"shrunk by more than {lvl * 100:.0f}%" for lvl in reversed(levels))
            + f", within {levels[0] * 100:.0f}%, "
            + ", ".join(f"grown by more than {lvl * 100:.0f}%" for lvl in levels)
            + "."
        )

    def _fill_table(self) -> None:
        table, unit = self.table, self.unit
        table.setSortingEnabled(False)
        table.setRowCount(len(self.rows))
        self_a_key, self_b_key = ("self_s_a", "self_s_b")
        for i, row in enumerate(self.rows):
            status = {"added": "only in B", "removed": "only in A"}.get(row.get("status") or "", "")
            cells = (
                QTableWidgetItem(row["name"]),
                # Sorted by size: the biggest changes first, grown or shrunk.
                _NumberItem(_signed_time(row["delta_s"], unit), abs(row["delta_s"])),
                _NumberItem(_amount(row[self_a_key], unit), row[self_a_key]),
                _NumberItem(_amount(row[self_b_key], unit), row[self_b_key]),
                _NumberItem(_pct(row.get("total_share_a", 0.0)), row.get("total_share_a", 0.0)),
                _NumberItem(_pct(row.get("total_share_b", 0.0)), row.get("total_share_b", 0.0)),
                _NumberItem(format_count(row.get("calls_a")), row.get("calls_a") or 0),
                _NumberItem(format_count(row.get("calls_b")), row.get("calls_b") or 0),
                QTableWidgetItem(status),
                QTableWidgetItem(short_path(f"{row['file']}:{row['line']}", 60) if row.get("file") else "<built-in>"),
            )
            cells[0].setToolTip(row["name"])  # the column may be narrower than a long name
            cells[1].setData(DELTA_ROLE, row["delta_s"])  # signed: the sort key is its size
            cells[1].setForeground(QColor(self._delta_colour(row["delta_s"])))
            for col, item in enumerate(cells):
                table.setItem(i, col, item)
        self._fit_columns()
        table.setSortingEnabled(True)
        table.sortItems(1, Qt.SortOrder.DescendingOrder)

    def _fit_columns(self) -> None:
        """Every column as wide as its contents in the current font, the function name at most
        FUNCTION_SHARE of the view (its tooltip and the flame graph have the whole name):
        the numbers stay readable on a 1024 px projector."""
        table = self.table
        table.horizontalHeader().setResizeContentsPrecision(FIT_ROWS)
        table.resizeColumnsToContents()
        char = table.fontMetrics().horizontalAdvance("x")
        cap = max(FUNCTION_MIN_CHARS * char, int(table.viewport().width() * FUNCTION_SHARE))
        if table.columnWidth(0) > cap:
            table.setColumnWidth(0, cap)

    @staticmethod
    def _delta_colour(delta: float) -> str:
        """The change column's text: grown or shrunk in the diff's colours, unchanged in the muted one."""
        colours = current_theme_colours()
        return colours.grown if delta > 0 else colours.shrunk if delta < 0 else colours.muted

    def _on_row_selected(self) -> None:
        items = self.table.selectedItems()
        if not items or self.profile is None:
            return
        first = self.table.item(items[0].row(), 0)
        if first is None:
            return
        self._select_name(first.text())

    def _select_name(self, name: str) -> None:
        """Show the function named ``name`` in the flame graph, and say so."""
        if self.profile is None:
            return
        funcs = [i for i, f in enumerate(self.profile.functions) if f.name == name]
        if funcs:
            self.canvas.select_function(funcs[0])
        self.function_selected.emit(name)


def label_for(path: str | None, fallback: str) -> str:
    return os.path.basename(path) if path else fallback
