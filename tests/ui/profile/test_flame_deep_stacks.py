"""A flame graph deeper than its view: a scroll bar reaches every level, in both orientations."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from flame_support import DEEP_LEVELS, deep_profile, expected_centre, small_profile
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent

W_PX = 900  # the flame_panel fixture's width


@pytest.fixture
def panel(flame_panel):
    return flame_panel


@pytest.fixture(scope="module")
def deep():
    return deep_profile()


def deepest_node(canvas) -> int:
    row = canvas.layout_data.rows[canvas.layout_data.max_depth]
    return int(row.node[0])


def wheel(canvas, notches: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A wheel turn over the canvas's middle; positive notches turn it away from the user (up)."""
    pos = QPointF(canvas.width() / 2, canvas.height() / 2)
    event = QWheelEvent(
        pos,
        QPointF(canvas.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    canvas.wheelEvent(event)


def shift_wheel(canvas, notches: int) -> None:
    wheel(canvas, notches, Qt.KeyboardModifier.ShiftModifier)


def test_the_deep_profile_is_deeper_than_the_view(panel, deep):
    panel.set_profile(deep)
    canvas = panel.canvas
    assert canvas.layout_data.max_depth + 1 >= DEEP_LEVELS  # cProfile kept every level of the chain
    assert (canvas.layout_data.max_depth + 1) * canvas.row_height_px > canvas.height()


@pytest.mark.parametrize("root_at_bottom", [False, True])
def test_scroll_bar_reaches_every_level(panel, qtbot, deep, root_at_bottom):
    panel.set_root_at_bottom(root_at_bottom)
    panel.set_profile(deep)
    canvas, bar = panel.canvas, panel.scrolled.scroll_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    rows = canvas.layout_data.max_depth + 1
    assert bar.maximum() == rows * canvas.row_height_px - canvas.height()
    assert bar.pageStep() == canvas.height()
    # The root is in view first: at the top of the bar for an icicle, at its bottom for a flame graph.
    assert bar.value() == (bar.maximum() if root_at_bottom else 0)
    leaf = deepest_node(canvas)
    assert not canvas.rect().contains(expected_centre(canvas, leaf, root_at_bottom))  # cut off
    bar.setValue(0 if root_at_bottom else bar.maximum())  # to the far end: the deepest level
    scrolled = bar.maximum()
    centre = expected_centre(canvas, leaf, root_at_bottom, scrolled)
    assert canvas.rect().contains(centre)
    assert canvas.node_at_pos(QPointF(centre)) == leaf
    img = canvas.grab().toImage()
    assert img.pixelColor(centre.x(), centre.y()) != QColor(canvas.palette_in_use.background)
    got = []
    canvas.node_selected.connect(got.append)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=centre)
    assert got == [leaf]


def test_shift_wheel_scrolls_and_the_bar_follows_plain_wheel_still_zooms(panel, deep):
    panel.set_profile(deep)
    canvas, bar = panel.canvas, panel.scrolled.scroll_bar
    view = canvas.view_range
    shift_wheel(canvas, -2)  # towards the user: further down the page
    assert bar.value() == 2 * 3 * canvas.row_height_px  # three rows a notch
    assert canvas.view_range == view  # scrolling is not zooming
    shift_wheel(canvas, +1)
    assert bar.value() == 3 * canvas.row_height_px
    # A plain wheel turn keeps its meaning: zoom around the pointer, the scroll stays.
    wheel(canvas, 1)
    x0, x1 = canvas.view_range
    assert x1 - x0 < view[1] - view[0]
    assert bar.value() == 3 * canvas.row_height_px


def test_flame_graph_shift_wheel_up_climbs_towards_the_leaves(panel, deep):
    panel.set_root_at_bottom(True)
    panel.set_profile(deep)
    canvas, bar = panel.canvas, panel.scrolled.scroll_bar
    assert bar.value() == bar.maximum()
    shift_wheel(canvas, +1)  # away from the user: up the page, where the deeper frames are
    assert bar.value() == bar.maximum() - 3 * canvas.row_height_px


def test_no_scroll_bar_when_every_level_fits(panel, qtbot, deep):
    panel.set_profile(small_profile())
    assert not panel.scrolled.scroll_bar.isVisible()
    panel.set_profile(deep)
    qtbot.waitUntil(panel.scrolled.scroll_bar.isVisible, timeout=2000)
    panel.resize(W_PX, 2000)  # now it all fits
    qtbot.waitUntil(lambda: not panel.scrolled.scroll_bar.isVisible(), timeout=2000)


def test_presentation_rows_give_the_bar_more_to_scroll(panel, qtbot, deep):
    panel.set_profile(deep)
    bar, canvas = panel.scrolled.scroll_bar, panel.canvas
    normal = bar.maximum()
    panel.set_presentation(True)
    qtbot.waitUntil(lambda: bar.pageStep() == canvas.height(), timeout=2000)
    assert bar.maximum() == (canvas.layout_data.max_depth + 1) * canvas.row_height_px - canvas.height() > normal


def test_keyboard_walk_to_the_deepest_frame_scrolls_it_into_view(panel, qtbot, deep):
    panel.set_profile(deep)
    canvas = panel.canvas
    canvas.setFocus()
    for _ in range(canvas.layout_data.max_depth + 1):  # the first press selects the root
        qtbot.keyClick(canvas, Qt.Key.Key_Down)
    leaf = deepest_node(canvas)
    assert canvas.selected_node == leaf
    rect = canvas.node_rect(leaf)
    assert rect.top() >= 0 and rect.bottom() <= canvas.height()
    assert panel.scrolled.scroll_bar.value() == panel.scrolled.scroll_bar.maximum()
