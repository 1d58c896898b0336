"""Flame view widgets (offscreen): drawing, clicks, zoom, focus history, search."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QToolTip

from gpuprof_gui.core.flame import (
    hatch_legend,
    layout_for_profile,
)
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder
from gpuprof_gui.ui.profile.flame_viewport import SELECT_MIN_PX
from gpuprof_gui.ui.style.palette import LIGHT, label_colour_on, relative_luminance

FUNCS = [
    FunctionRecord("main", "/src/app.py", 1, calls=1),
    FunctionRecord("load_data", "/src/io_utils.py", 10, calls=2),
    FunctionRecord("compute", "/src/compute.py", 20, calls=3),
    FunctionRecord("helper", "/src/kernels.py", 30, calls=7),
    FunctionRecord("tiny", "/src/tiny.py", 40, calls=1),
]
W_PX, H_PX = 900, 400  # the flame_panel fixture's size (conftest.py)


def make_profile(stacks_exact: bool = False) -> Profile:
    """main 9 (load 3, compute 5 -> helper 4 -> tiny 0.005), helper 1."""
    b = TreeBuilder(10.0)
    main = b.add(0, 0, 9.0, 1.0)  # 1
    b.add(main, 1, 3.0, 3.0)  # 2
    comp = b.add(main, 2, 5.0, 1.0, exact=stacks_exact)  # 3
    h = b.add(comp, 3, 4.0, 3.995, exact=stacks_exact)  # 4
    b.add(h, 4, 0.005, 0.005, exact=stacks_exact)  # 5
    b.add(0, 3, 1.0, 1.0)  # 6
    return Profile("cprofile", list(FUNCS), b.build(), stacks_exact=stacks_exact)


@pytest.fixture
def panel(flame_panel):
    return flame_panel


def frame_centre(canvas, node: int) -> QPoint:
    """Screen centre of ``node``'s frame, from the layout and the view range only."""
    start, width, depth = canvas.layout_data.node_extent(node)
    x0, x1 = canvas.view_range
    scale = canvas.width() / (x1 - x0)
    x = (start + width / 2 - x0) * scale
    y = (depth + 0.5) * canvas.row_height_px
    return QPoint(int(x), int(y))


def colours_in(img: QImage, step: int = 3) -> set[int]:
    return {img.pixel(x, y) for x in range(0, img.width(), step) for y in range(0, img.height(), step)}


def test_set_profile_draws_frames_in_several_colours(panel):
    panel.set_profile(make_profile())
    img = panel.canvas.grab().toImage()
    img.save("/tmp/flame_test_full.png")
    colours = colours_in(img)
    fills = {QColor(c).rgb() for c in LIGHT.frames}
    assert len(colours & fills) >= 3
    assert panel.canvas.last_paint_stats["rects"] == 6  # "tiny" is < 1 px at 900 px
    assert panel.canvas.last_paint_stats["labels"] >= 4


def test_empty_state_renders_its_text(panel):
    img = panel.canvas.grab().toImage()
    bg = QColor(LIGHT.background).rgb()
    dark_rows = {
        y
        for y in range(0, img.height(), 2)
        for x in range(0, img.width(), 2)
        if QColor(img.pixel(x, y)).lightness() < 128
    }
    # The title and three lines of hints: text on several separate rows.
    assert len(dark_rows) >= 8, "no text drawn in the empty state"
    assert QColor(img.pixel(2, 2)).rgb() == bg
    assert not panel.search_field.isEnabled()


def test_click_on_frame_emits_node_and_function(panel, qtbot):
    panel.set_profile(make_profile())
    canvas = panel.canvas
    nodes, funcs = [], []
    panel.node_selected.connect(nodes.append)
    panel.function_selected.connect(funcs.append)
    for node in (2, 4, 6, 1):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=frame_centre(canvas, node))
    assert nodes == [2, 4, 6, 1]
    assert funcs == [1, 3, 3, 0]
    assert canvas.selected_node == 1


def test_click_on_empty_space_selects_nothing(panel, qtbot):
    panel.set_profile(make_profile())
    canvas = panel.canvas
    with qtbot.assertNotEmitted(panel.node_selected):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(W_PX // 2, canvas.height() - 5))


def _wheel(canvas, pos: QPointF, notches: float) -> None:
    ev = QWheelEvent(
        pos,
        canvas.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, int(120 * notches)),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(canvas, ev)


def test_wheel_zooms_around_cursor_without_relayout(panel):
    panel.set_profile(make_profile())
    canvas = panel.canvas
    layout_before = canvas.layout_data
    x0, x1 = canvas.view_range
    pos = QPointF(canvas.width() * 0.25, 30.0)
    at_before = x0 + 0.25 * (x1 - x0)
    _wheel(canvas, pos, 3)
    nx0, nx1 = canvas.view_range
    assert nx1 - nx0 < (x1 - x0) / 1.9  # 1.25 ** 3 ~ 1.95
    assert nx0 + 0.25 * (nx1 - nx0) == pytest.approx(at_before)
    assert canvas.layout_data is layout_before
    _wheel(canvas, pos, -10)  # zooming out past the run clamps to the run
    assert canvas.view_range == pytest.approx((0.0, 10.0))


def test_drag_pans(panel, qtbot):
    panel.set_profile(make_profile())
    canvas = panel.canvas
    canvas.set_view_range(2.0, 4.0)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(400, 40))
    qtbot.mouseMove(canvas, QPoint(300, 40))
    qtbot.mouseMove(canvas, QPoint(220, 40))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(220, 40))
    x0, x1 = canvas.view_range
    assert x1 - x0 == pytest.approx(2.0)
    assert x0 == pytest.approx(2.0 + 180 * 2.0 / canvas.width())


def test_double_click_focus_back_and_reset(panel, qtbot):
    panel.set_profile(make_profile())
    canvas = panel.canvas
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=frame_centre(canvas, 3))
    assert canvas.view_range == pytest.approx((3.0, 8.0))
    assert canvas.focused_node == 3
    assert panel.breadcrumb_labels == ["all", "main", "compute"]
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=frame_centre(canvas, 4))
    assert canvas.view_range == pytest.approx((3.0, 7.0))
    assert canvas.history_depth == 2
    qtbot.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert canvas.view_range == pytest.approx((3.0, 8.0))
    assert panel.breadcrumb_labels == ["all", "main", "compute"]
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    assert canvas.view_range == pytest.approx((0.0, 10.0))
    panel.focus_node(4)
    panel.focus_node(5)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.view_range == pytest.approx((0.0, 10.0))
    assert canvas.history_depth == 0 and canvas.focused_node == 0
    assert panel.breadcrumb_labels == ["all"]


def test_breadcrumb_click_focuses_that_frame(panel, qtbot):
    panel.set_profile(make_profile())
    panel.focus_node(5)
    main_crumb = panel._crumbs[1]
    assert main_crumb.text() == "main"
    qtbot.mouseClick(main_crumb, Qt.MouseButton.LeftButton)
    assert panel.canvas.focused_node == 1
    assert panel.canvas.view_range == pytest.approx((0.0, 9.0))


def test_tooltip_shows_frame_details(panel):
    panel.set_profile(make_profile())
    canvas = panel.canvas
    text = canvas.tooltip_for(4)
    for part in ("helper", "/src/kernels.py:30", "40.0% of run", "calls 7", "estimated"):
        assert part in text
    pos = frame_centre(canvas, 4)
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, pos, canvas.mapToGlobal(pos)))
    assert QToolTip.text() == text
    QToolTip.hideText()


def test_select_function_highlights_and_zooms_to_biggest_frame(panel):
    prof = make_profile()
    panel.set_profile(prof)
    canvas = panel.canvas
    panel.select_function(4)  # "tiny": 0.005 of 10, under a pixel at full view
    assert canvas.highlighted_function == 4
    x0, x1 = canvas.view_range
    start, width, _ = canvas.layout_data.node_extent(5)
    assert x0 <= start and start + width <= x1
    assert width * canvas.width() / (x1 - x0) >= SELECT_MIN_PX
    canvas.reset_zoom()
    panel.select_function(3)  # helper: outlined on both of its frames
    img = canvas.grab().toImage()
    img.save("/tmp/flame_test_select.png")
    hl = QColor(LIGHT.highlight).rgb()
    for node in (4, 6):
        start, width, depth = canvas.layout_data.node_extent(node)
        x = int((start + width / 2) * canvas.width() / 10.0)
        top = depth * canvas.row_height_px
        column = {img.pixel(x, y) for y in range(top - 1, top + 3)}
        assert hl in column, f"frame {node} not outlined"


def test_search_dims_non_matching_frames_and_reports_share(panel):
    panel.set_profile(make_profile())
    panel.set_search("HELPER")
    assert panel.search_field.text() == "HELPER"
    # Hand-built records carry no per-function totals: the estimated tree is all there is, and it says so.
    assert panel.match_label.text() == "1 match, 50.0% of run (from the estimated call tree)"
    img = panel.canvas.grab().toImage()
    assert QColor(LIGHT.dimmed).rgb() in colours_in(img, 2)
    panel.set_search("")
    assert panel.match_label.text() == ""
    assert QColor(LIGHT.dimmed).rgb() not in colours_in(panel.canvas.grab().toImage(), 2)


def test_legend_only_for_estimated_stacks(panel):
    estimated = make_profile(stacks_exact=False)
    panel.set_profile(estimated)
    assert panel.legend.isVisible() and panel.legend.full_text() == hatch_legend(estimated)
    assert "proportional attribution" in panel.legend.full_text()
    panel.set_profile(make_profile(stacks_exact=True))
    assert not panel.legend.isVisible()


def test_estimated_frames_are_hatched(panel):
    panel.set_profile(make_profile(stacks_exact=False))
    canvas = panel.canvas
    img = canvas.grab().toImage()
    _, _, depth = canvas.layout_data.node_extent(3)
    y = depth * canvas.row_height_px + canvas.row_height_px // 2
    # node 3 (compute, estimated) spans x in [3, 8) of 10; node 2 (exact) [0, 3).
    # Sample right of their labels.
    w = canvas.width()
    estimated = {img.pixel(x, y) for x in range(int(0.5 * w), int(0.55 * w))}
    exact = {img.pixel(x, y) for x in range(int(0.2 * w), int(0.28 * w))}
    assert len(estimated) >= 2  # fill + hatch lines
    assert len(exact) == 1


def test_presentation_mode_taller_rows_and_larger_fonts(panel):
    panel.set_profile(make_profile())
    normal_h = panel.canvas.row_height_px
    panel.set_presentation(True)
    assert panel.canvas.row_height_px >= 28
    assert panel.canvas.row_height_px > normal_h
    assert panel.search_field.font().pointSizeF() >= 18
    assert panel.canvas._label_font.pointSizeF() >= 18
    panel.grab().save("/tmp/flame_test_presentation.png")
    panel.set_presentation(False)
    assert panel.canvas.row_height_px == normal_h


def test_label_colour_follows_fill_luminance():
    assert label_colour_on("#1f1f6f", LIGHT) == LIGHT.label_light
    assert label_colour_on("#f2c94c", LIGHT) == LIGHT.label_dark
    assert relative_luminance("#ffffff") == pytest.approx(1.0)


def test_precomputed_layout_is_used_as_given(panel):
    prof = make_profile()
    lay = layout_for_profile(prof)
    panel.set_profile(prof, lay)
    assert panel.canvas.layout_data is lay
    panel.clear()
    assert panel.canvas.layout_data is None and panel.breadcrumb_labels == []


def test_deep_zoom_keeps_frames_precise(panel):
    panel.set_profile(make_profile())
    canvas = panel.canvas
    canvas.set_view_range(0.0, 1e-9)  # clamped to the minimum view width
    x0, x1 = canvas.view_range
    assert x1 - x0 > 0
    img = canvas.grab().toImage()
    assert len(colours_in(img, 7)) >= 2
    assert np.isfinite([x0, x1]).all()


def test_many_sub_pixel_frames_leave_a_hint_instead_of_vanishing(panel):
    b = TreeBuilder(10.0)
    busy = b.add(0, 0, 10.0, 0.0)
    for _ in range(2000):  # 0.005 of 10 each: ~0.45 px at ~900 px, none drawn alone
        b.add(busy, 3, 0.005, 0.005)
    panel.set_profile(Profile("cprofile", list(FUNCS), b.build()))
    canvas = panel.canvas
    img = canvas.grab().toImage()
    assert canvas.last_paint_stats["rects"] == 2
    assert canvas.last_paint_stats["hints"] >= 1
    y = 2 * canvas.row_height_px + canvas.row_height_px // 2
    row = {img.pixel(x, y) for x in range(5, canvas.width() - 5)}
    assert QColor(LIGHT.hint).rgb() in row


# Plain loops, no shared builtins such as sum(): a function reached on two
# levels would make cProfile's caller->callee data ambiguous for this check.
def _busy_leaf(n: int) -> int:
    acc = 0
    for i in range(n):
        acc += i * i
    return acc


def _busy_middle(n: int) -> int:
    return _busy_leaf(n) + _busy_leaf(n // 2)


def _busy_top() -> int:
    acc = 0
    for _ in range(15):
        acc += _busy_middle(20_000)
    return acc


def test_real_cprofile_run_draws_and_searches(panel, qtbot):
    import cProfile
    import pstats

    from gpuprof_gui.core.importers.pstats_import import import_pstats

    prof = cProfile.Profile()
    prof.runcall(_busy_top)
    profile = import_pstats(pstats.Stats(prof).stats)
    panel.set_profile(profile)
    canvas = panel.canvas
    img = canvas.grab().toImage()
    img.save("/tmp/flame_test_cprofile.png")
    assert len(colours_in(img) & {QColor(c).rgb() for c in LIGHT.frames}) >= 2
    # One call chain: cProfile's caller→callee pairs give every frame exactly, nothing is hatched.
    assert profile.tree.exact.all() and not panel.legend.isVisible()

    panel.set_search("_busy_leaf")
    res_text = panel.match_label.text()
    assert res_text.startswith("1 match, ")
    share = float(res_text.split(", ")[1].split("%")[0])
    assert 50.0 < share <= 100.0  # nearly all the run is in the leaf

    leaf = next(i for i, f in enumerate(profile.functions) if f.name.endswith("_busy_leaf"))
    nodes = np.nonzero((profile.tree.func == leaf) & canvas.layout_data.kept)[0]
    biggest = int(nodes[np.argmax(canvas.layout_data.node_width[nodes])])
    got = []
    panel.function_selected.connect(got.append)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=frame_centre(canvas, biggest))
    assert got == [leaf]
    assert "_busy_leaf" in canvas.tooltip_for(biggest)


def test_folded_calls_are_dotted_at_the_frame_s_right_end_and_the_legend_says_so(panel):
    # main 9 s of which 4 s are calls folded into it (a recursion cut short): exact tree, no hatch.
    b = TreeBuilder(10.0)
    main = b.add(0, 0, 9.0, 5.0, folded_s=4.0)
    b.add(main, 1, 4.0, 4.0)
    b.add(0, 3, 1.0, 1.0)
    profile = Profile("scalene", list(FUNCS), b.build(), stacks_exact=True)
    assert profile.tree.conservation_gap() < 1e-12
    panel.set_profile(profile)
    assert panel.legend.isVisible() and "dotted = calls folded" in panel.legend.full_text()
    canvas = panel.canvas
    start, width, depth = canvas.layout_data.node_extent(main)
    x0, x1 = canvas.view_range
    scale = canvas.width() / (x1 - x0)
    y = int((depth + 0.5) * canvas.row_height_px)
    img = canvas.grab().toImage()
    fill = img.pixel(int((start + 1.0 - x0) * scale), y)  # the frame's own colour, left part

    def dotted(xa: float, xb: float) -> int:
        """Pixels of the frame's row in [xa, xb) that are not its plain fill (the dots, blended)."""
        return sum(img.pixel(x, yy) != fill for x in range(int(xa) + 2, int(xb) - 2) for yy in range(y - 3, y + 4))

    right_end = (start + width - 4.0 - x0) * scale, (start + width - x0) * scale
    left_part = (start - x0) * scale + 40, (start + 4.0 - x0) * scale
    assert dotted(*right_end) > 20  # the folded 4 s, at the frame's right end
    assert dotted(*left_part) == 0  # below the child's 4 s at the left: plain (label kept clear)
    # Without folded time there are no dots and the legend stays hidden for an exact tree.
    panel.set_profile(make_profile(stacks_exact=True))
    assert not panel.legend.isVisible()
