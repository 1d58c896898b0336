"""The hotspot table's header: a first click on a number column shows the biggest first."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from gpuprof_gui.ui.profile.hotspot_table import COL_CALLS, COL_FUNCTION, COL_PCT, COL_SELF, COL_TOTAL, HotspotTable

ROWS = [
    {
        "func": i,
        "name": f"f{i}",
        "file": "a.py",
        "line": i,
        "calls": (7 - i) * 3,
        "self_s": i * 0.1,
        "total_s": (i % 3) * 0.2 + 0.01 * i,
        "self_pct": i * 2.0,
        "total_pct": i * 3.0,
    }
    for i in range(1, 7)
]


def click_header(table: HotspotTable, col: int) -> None:
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def column_values(table: HotspotTable, col: int) -> list:
    model = table.model()
    return [model.data(model.index(r, col), Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]


@pytest.fixture
def table(qtbot):
    view = HotspotTable()
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_rows(ROWS)
    return view


@pytest.mark.parametrize("col", [COL_CALLS, COL_SELF, COL_TOTAL, COL_PCT])
def test_first_click_on_a_number_column_puts_the_biggest_first_and_a_second_turns_it_round(table, col):
    header = table.horizontalHeader()
    if col == COL_SELF:  # the table starts sorted by Self, biggest first: move away and back
        click_header(table, COL_CALLS)
    click_header(table, col)
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (col, Qt.SortOrder.DescendingOrder)
    first = table.source_model.function_at(0)
    click_header(table, col)
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert table.source_model.function_at(table.model().rowCount() - 1) == first


def test_the_function_column_sorts_a_to_z_first(table):
    click_header(table, COL_FUNCTION)
    assert table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert column_values(table, COL_FUNCTION)[0] == "f1"
