"""View ▸ Flame graph: root at bottom / Icicle: root at top turns the Profile and Compare flame graphs
over, and a new window opens the way the last one was left."""

from __future__ import annotations

from flame_support import expected_centre, small_profile
from PySide6.QtCore import QPointF
from window_support import make_window

from gpuprof_gui.core.loaded import prepare
from gpuprof_gui.ui.shell import window_state
from gpuprof_gui.ui.shell.actions import shortcuts_html

COMPUTE = 3  # small_profile's node


def canvases(win):
    return win.flame.canvas, win.compare.canvas


def test_view_menu_turns_both_flame_graphs_over_and_a_new_window_remembers(qtbot, window, tmp_path, monkeypatch):
    a = window.actions_by_id
    assert a["flame_root_top"].isChecked() and not a["flame_root_bottom"].isChecked()  # the default: icicle
    view_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&View")
    assert a["flame_root_bottom"] in view_menu.actions() and a["flame_root_top"] in view_menu.actions()
    window.show_loaded(prepare(small_profile()), "small.prof")
    window.compare.set_comparison(small_profile(), small_profile(estimated=True), "A", "B")

    a["flame_root_bottom"].trigger()
    assert a["flame_root_bottom"].isChecked() and not a["flame_root_top"].isChecked()
    for canvas in canvases(window):
        assert canvas.root_at_bottom
        depth = int(canvas.layout_data.node_depth[0])
        assert canvas.node_rect(0).bottom() == canvas.height() - depth * canvas.row_height_px
    assert "root at the bottom" in window.flame.orientation_label.text()
    assert "root at the bottom" in window.compare.orientation_label.text()
    compare = window.compare.canvas
    window.tabs.setCurrentWidget(window.compare)
    qtbot.waitUntil(compare.isVisible, timeout=2000)
    node = int(compare.layout_data.rows[1].node[0])
    assert compare.node_at_pos(QPointF(expected_centre(compare, node, True))) == node
    window.close()

    second = make_window(qtbot, tmp_path, monkeypatch)  # same settings file
    assert second.actions_by_id["flame_root_bottom"].isChecked()
    assert all(c.root_at_bottom for c in canvases(second))
    second.actions_by_id["flame_root_top"].trigger()
    assert not any(c.root_at_bottom for c in canvases(second))
    second.close()

    third = make_window(qtbot, tmp_path, monkeypatch)
    assert third.actions_by_id["flame_root_top"].isChecked()
    assert not any(c.root_at_bottom for c in canvases(third))
    assert third.settings.value(window_state.FLAME_ROOT_AT_BOTTOM_KEY) in (False, "false")
    third.close()


def test_help_says_how_to_scroll_and_walk_a_flame_graph():
    html = shortcuts_html()
    assert "Shift+wheel" in html and "Esc in the search box" in html and "Up, Down" in html
