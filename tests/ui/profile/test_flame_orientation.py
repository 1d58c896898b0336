"""Flame graph (root at the bottom) or icicle (root at the top): drawing, hit-testing, zoom, keys, the setting."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from flame_support import expected_centre, small_profile
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from gpuprof_gui.core.model import ROOT

MAIN, LOAD, COMPUTE, HELPER, TOP_HELPER = 1, 2, 3, 4, 5  # small_profile's nodes


@pytest.fixture
def panel(flame_panel):
    flame_panel.set_profile(small_profile())
    return flame_panel


def test_icicle_by_default_root_on_top(panel):
    canvas = panel.canvas
    assert not canvas.root_at_bottom
    rh = canvas.row_height_px
    for node in (ROOT, MAIN, COMPUTE, HELPER):
        depth = int(canvas.layout_data.node_depth[node])
        assert canvas.node_rect(node).top() == depth * rh
    assert panel.orientation_label.isVisible() and "root at the top" in panel.orientation_label.text()


def test_flame_graph_puts_the_root_on_the_bottom_row_and_callees_above(panel):
    canvas = panel.canvas
    panel.set_root_at_bottom(True)
    rh, h = canvas.row_height_px, canvas.height()
    for node in (ROOT, MAIN, COMPUTE, HELPER):
        depth = int(canvas.layout_data.node_depth[node])
        rect = canvas.node_rect(node)
        assert rect.bottom() == h - depth * rh and rect.top() == h - (depth + 1) * rh
    assert canvas.node_rect(HELPER).bottom() == canvas.node_rect(COMPUTE).top()  # the callee sits on its caller
    assert "Flame graph: root at the bottom" in panel.orientation_label.text()
    # Drawn so: the root's colour fills the bottom row, the background the top rows (3 levels only).
    img = canvas.grab().toImage()
    background = QColor(canvas.palette_in_use.background)
    root_px = img.pixelColor(canvas.width() // 2, h - rh // 2)
    assert root_px != background
    assert img.pixelColor(canvas.width() // 2, rh // 2) == background
    panel.set_root_at_bottom(False)
    img = canvas.grab().toImage()
    assert img.pixelColor(canvas.width() // 2, rh // 2) == root_px  # the same frame, now on top
    assert img.pixelColor(canvas.width() // 2, h - rh // 2) == background


@pytest.mark.parametrize("root_at_bottom", [False, True])
def test_click_hits_the_frame_under_the_pointer(panel, qtbot, root_at_bottom):
    canvas = panel.canvas
    panel.set_root_at_bottom(root_at_bottom)
    got, funcs = [], []
    canvas.node_selected.connect(got.append)
    panel.function_selected.connect(funcs.append)
    for node in (MAIN, LOAD, COMPUTE, HELPER, TOP_HELPER):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=expected_centre(canvas, node, root_at_bottom))
    assert got == [MAIN, LOAD, COMPUTE, HELPER, TOP_HELPER]
    assert funcs == [0, 1, 2, 3, 3]
    # The first pixel row of a frame is that frame's, not the row beside it.
    rect = canvas.node_rect(HELPER)
    assert canvas.node_at_pos(QPointF(rect.center().x(), rect.top())) == HELPER
    assert canvas.node_at_pos(QPointF(rect.center().x(), rect.bottom() - 1)) == HELPER
    # Empty space above a flame graph (below an icicle) hits nothing.
    empty_y = 2 if root_at_bottom else canvas.height() - 2
    assert canvas.node_at_pos(QPointF(canvas.width() / 2, empty_y)) == -1


@pytest.mark.parametrize("root_at_bottom", [False, True])
def test_double_click_zooms_to_the_frame_and_back_returns(panel, qtbot, root_at_bottom):
    canvas = panel.canvas
    panel.set_root_at_bottom(root_at_bottom)
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=expected_centre(canvas, COMPUTE, root_at_bottom))
    assert canvas.focused_node == COMPUTE
    start, width, _ = canvas.layout_data.node_extent(COMPUTE)
    assert canvas.view_range == pytest.approx((start, start + width))
    rect = canvas.node_rect(HELPER)  # compute's callee now spans the whole width, on the right side of it
    caller = canvas.node_rect(COMPUTE)
    assert rect.width() == pytest.approx(canvas.width() * 4 / 5)
    assert (rect.bottom() == caller.top()) if root_at_bottom else (rect.top() == caller.bottom())
    canvas.back()
    assert canvas.focused_node == ROOT


@pytest.mark.parametrize("root_at_bottom", [False, True])
def test_up_and_down_arrows_follow_the_drawing(panel, qtbot, root_at_bottom):
    """Up goes to the frame drawn above: the caller in an icicle, the widest callee in a flame graph."""
    canvas = panel.canvas
    panel.set_root_at_bottom(root_at_bottom)
    canvas.setFocus()
    selected = []
    panel.function_selected.connect(selected.append)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=expected_centre(canvas, MAIN, root_at_bottom))
    toward_leaves = Qt.Key.Key_Up if root_at_bottom else Qt.Key.Key_Down
    toward_root = Qt.Key.Key_Down if root_at_bottom else Qt.Key.Key_Up
    qtbot.keyClick(canvas, toward_leaves)
    assert canvas.selected_node == COMPUTE  # main's widest callee (5 s against load_data's 3 s)
    qtbot.keyClick(canvas, toward_leaves)
    assert canvas.selected_node == HELPER
    qtbot.keyClick(canvas, toward_leaves)
    assert canvas.selected_node == HELPER  # a leaf: nothing further
    qtbot.keyClick(canvas, toward_root)
    assert canvas.selected_node == COMPUTE
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    assert canvas.selected_node == LOAD  # the neighbour drawn to its left
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert canvas.selected_node == COMPUTE
    # Every step selects the function, as a click does (the table and source view follow).
    assert selected == [0, 2, 3, 2, 1, 2]
    assert canvas.highlighted_function == 2
    qtbot.keyClick(canvas, Qt.Key.Key_Return)  # zoom to the selected frame
    assert canvas.focused_node == COMPUTE
    for _ in range(3):
        qtbot.keyClick(canvas, toward_root)
    assert canvas.selected_node == ROOT


def test_arrow_with_nothing_selected_starts_at_the_focused_frame(panel, qtbot):
    canvas = panel.canvas
    canvas.focus_node(COMPUTE)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Down)
    assert canvas.selected_node == COMPUTE


def test_turning_the_graph_over_keeps_the_zoom(panel, qtbot):
    canvas = panel.canvas
    canvas.focus_node(COMPUTE)
    view = canvas.view_range
    panel.set_root_at_bottom(True)
    assert canvas.view_range == view and canvas.focused_node == COMPUTE
    panel.set_root_at_bottom(False)
    assert canvas.view_range == view
