"""The sortable hotspot table (one row per function), kept in sync with the flame graph."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from gpuprof_gui.core.gpu_columns import GpuColumns
from gpuprof_gui.ui.profile.hotspot_model import (
    COL_CALLS,
    COL_FUNCTION,
    COL_LOCATION,
    COL_PCT,
    COL_SELF,
    COL_TOTAL,
    COLUMNS,
    FUNC_ROLE,
    GPU_COLUMNS,
    NUMERIC_COLUMNS,
    PRESENTATION_GPU_COLUMNS,
    SAMPLED_GPU_COLUMNS,
    SORT_ROLE,
    TRACE_COLUMNS,
    HotspotModel,
)  # fmt: skip
from gpuprof_gui.ui.style.palette import (
    LIGHT_UI,
    SHARE_BAR_ALPHA,
    SHARE_BAR_ALPHA_PRESENTATION,
    current_theme_colours,
    qcolour,
)
from gpuprof_gui.ui.style.theme import fit_rows, set_view_font

FUNCTION_MIN_CHARS = 18
"""The function name keeps at least this many characters of room, on any screen."""
LOCATION_MIN_CHARS = 10
LOCATION_SHARE = 0.4
"""File:line takes at most this share of the room the numbers leave (it is shown last)."""
RESIZE_PRECISION_ROWS = 200


class _ShareBarDelegate(QStyledItemDelegate):
    """Draws the % of run as a bar behind the number, so the eye finds the big ones."""

    colour = qcolour(LIGHT_UI.heat, SHARE_BAR_ALPHA)  # the theme's heat colour, set by set_presentation

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        share = index.data(SORT_ROLE)
        if isinstance(share, float) and share > 0:
            rect = option.rect.adjusted(2, 3, -2, -3)
            rect.setWidth(max(1, int(rect.width() * min(share, 100.0) / 100.0)))
            painter.fillRect(rect, self.colour)
        super().paint(painter, option, index)


class HotspotTable(QTableView):
    """Sortable table; emits the function id of the current row and the ids of all selected rows."""

    function_selected = Signal(int)
    """Function id (index into Profile.functions) the user picked."""
    functions_selected = Signal(list)
    """Function ids of every selected row, in table order (Ctrl/Shift-click selects several)."""
    function_activated = Signal(int)
    """Function id double-clicked or Enter-ed: focus it in the flame graph."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_model = HotspotModel(self)
        self.setModel(self.source_model)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(COL_SELF, Qt.SortOrder.DescendingOrder)
        self._sort_section = COL_SELF
        self.horizontalHeader().sortIndicatorChanged.connect(self._biggest_first)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several functions can be offloaded together (the advisor counts nested calls once).
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self._share_bars = _ShareBarDelegate(self)
        self.setItemDelegateForColumn(COL_PCT, self._share_bars)
        header = self.horizontalHeader()
        # Sizing columns to contents measures every row; 200 rows (sorted, so the
        # biggest numbers are among them) size a 10,000-row table just as well.
        header.setResizeContentsPrecision(RESIZE_PRECISION_ROWS)
        # The numbers sized to their contents; Function and File:line share what is left
        # (share_width), File:line shown last: on a narrow screen it is the one cut, not Self or Total.
        for col in NUMERIC_COLUMNS:
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in (COL_FUNCTION, COL_LOCATION):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        header.moveSection(header.visualIndex(COL_LOCATION), len(COLUMNS) - 1)
        header.setStretchLastSection(False)
        header.sectionResized.connect(self._on_section_resized)
        self._user_sized = False  # the user dragged Function or File:line: their widths stay
        self._sharing = False
        self.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.activated.connect(self._on_activated)
        self._syncing = False
        self._presentation = False
        self._show_gpu_columns()

    # -- column widths ---------------------------------------------------------------------------
    def key_columns_in_view(self) -> bool:
        """Whether Function, Self, Total and % of run are all in view without scrolling sideways."""
        header = self.horizontalHeader()
        room = self.viewport().width()
        return all(
            header.sectionViewportPosition(c) >= 0
            and header.sectionViewportPosition(c) + header.sectionSize(c) <= room + 1
            for c in (COL_FUNCTION, COL_SELF, COL_TOTAL, COL_PCT)
        )

    def share_width(self) -> None:
        """Function and File:line share the width the numbers leave: the function name first
        (at least FUNCTION_MIN_CHARS), File:line the rest, down to LOCATION_MIN_CHARS."""
        if self._user_sized:
            return
        header = self.horizontalHeader()
        numbers = sum(header.sectionSize(c) for c in NUMERIC_COLUMNS if not self.isColumnHidden(c))
        room = max(0, self.viewport().width() - numbers - 2)  # 2 px: no horizontal scroll bar from rounding
        char = self.fontMetrics().horizontalAdvance("x")
        function_min, location_min = FUNCTION_MIN_CHARS * char, LOCATION_MIN_CHARS * char
        wanted = self.sizeHintForColumn(COL_LOCATION) + 2 * char if self.source_model.rowCount() else location_min
        if self.isColumnHidden(COL_LOCATION):
            function = max(function_min, room)
            location = 0
        else:
            location = max(location_min, min(wanted, int(room * LOCATION_SHARE)))
            function = max(function_min, room - location)
            location = max(location_min, room - function) if room - function > location else location
        self._sharing = True
        try:
            header.resizeSection(COL_FUNCTION, function)
            if location:
                header.resizeSection(COL_LOCATION, location)
        finally:
            self._sharing = False

    def _on_section_resized(self, section: int, _old: int, _new: int) -> None:
        if self._sharing:
            return
        if section in (COL_FUNCTION, COL_LOCATION):
            if QApplication.mouseButtons() & Qt.MouseButton.LeftButton:
                self._user_sized = True  # dragged on the header: the user's widths stay
        elif section in NUMERIC_COLUMNS:
            QTimer.singleShot(0, self, self.share_width)  # new numbers, new widths: share again

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.share_width()

    def _biggest_first(self, section: int, order: Qt.SortOrder) -> None:
        """A first click on Calls, Self, Total or % of run shows the biggest first (a hotspot table's
        question); a second click turns it round, as on any column."""
        first_click = section != self._sort_section
        self._sort_section = section
        if first_click and section in NUMERIC_COLUMNS and order == Qt.SortOrder.AscendingOrder:
            self.horizontalHeader().setSortIndicator(section, Qt.SortOrder.DescendingOrder)

    def set_rows(
        self, rows: list[dict], unit: str = "s", no_file: str = "<built-in>", gpu: GpuColumns | None = None
    ) -> None:
        """``no_file``: the file column of a function that names no file (a built-in, or a bare folded frame);
        ``gpu``: the run's GPU trace joined to its functions (the GPU columns show only with one)."""
        self.source_model.set_rows(rows, unit, no_file, gpu)
        self._show_gpu_columns()
        self.share_width()

    def clear(self) -> None:
        self.source_model.set_rows([])
        self._show_gpu_columns()

    def _show_gpu_columns(self) -> None:
        """The trace's columns with a GPU trace, Scalene's with its GPU figures; on a projector only the main ones."""
        model = self.source_model
        present = (set(TRACE_COLUMNS) if model.gpu is not None else set()) | (
            set(SAMPLED_GPU_COLUMNS) if model.has_sampled_gpu() else set()
        )
        for col in GPU_COLUMNS:
            self.setColumnHidden(
                col, col not in present or (self._presentation and col not in PRESENTATION_GPU_COLUMNS)
            )

    def set_filter(self, text: str) -> None:
        """Show only functions whose name or file contains ``text`` (case-insensitive)."""
        func, funcs = self.selected_function(), self.selected_functions()
        self.source_model.set_filter(text)
        if len(funcs) > 1:
            self.select_functions(funcs, current=func)
        elif func >= 0:
            self.select_function(func)

    def select_function(self, func: int) -> None:
        """Select the row of ``func`` alone, without echoing ``function_selected``."""
        self.select_functions([func], current=func, hint=QAbstractItemView.ScrollHint.PositionAtCenter)

    def select_functions(
        self, funcs: list[int], current: int | None = None, hint=QAbstractItemView.ScrollHint.EnsureVisible
    ) -> None:
        """Select the rows of ``funcs`` (those shown) without echoing either signal.

        Explicit ClearAndSelect, not ``selectRow``: that one reads the keyboard modifiers,
        so a Ctrl still held from the last click would add to the selection instead.
        """
        rows = [r for r in (self.source_model.row_of_function(f) for f in funcs) if r >= 0]
        if not rows:
            return
        model, selection = self.source_model, QItemSelection()
        for row in rows:
            selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        current_row = model.row_of_function(current) if current is not None else -1
        current_index = model.index(current_row if current_row >= 0 else rows[0], 0)
        self._syncing = True
        try:
            flags = QItemSelectionModel.SelectionFlag
            self.selectionModel().setCurrentIndex(current_index, flags.NoUpdate)
            self.selectionModel().select(selection, flags.ClearAndSelect)
            self.scrollTo(current_index, hint)
        finally:
            self._syncing = False

    def selected_function(self) -> int:
        index = self.currentIndex()
        return int(index.data(FUNC_ROLE)) if index.isValid() else -1

    def selected_functions(self) -> list[int]:
        """Function ids of the selected rows, in table order."""
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [f for f in (self.source_model.function_at(r) for r in rows) if f >= 0]

    def _on_selection_changed(self, *_args) -> None:
        if not self._syncing:
            self.functions_selected.emit(self.selected_functions())

    def _on_current_changed(self, current: QModelIndex | QPersistentModelIndex, _previous) -> None:
        if current.isValid() and not self._syncing:
            self.function_selected.emit(int(current.data(FUNC_ROLE)))

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.function_activated.emit(int(index.data(FUNC_ROLE)))

    def set_presentation(self, on: bool) -> None:
        """Projector font with rows tall enough for it, no File:line column; share bars in the theme's heat colour."""
        set_view_font(self, on)
        fit_rows(self, on)
        # The file and the call count are in the source view's header; on a projector the room
        # goes to the function's name, its times and its share of the run.
        self.setColumnHidden(COL_LOCATION, on)
        self.setColumnHidden(COL_CALLS, on)
        self._presentation = bool(on)
        self._show_gpu_columns()
        self.share_width()
        alpha = SHARE_BAR_ALPHA_PRESENTATION if on else SHARE_BAR_ALPHA
        self._share_bars.colour = qcolour(current_theme_colours(on).heat, alpha)
        self.viewport().update()
