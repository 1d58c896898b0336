"""The flame graph's legend explains only what is drawn; Esc in its search box clears, then shows the whole run."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cProfile
import pstats

import pytest
from flame_support import small_profile
from PySide6.QtCore import Qt

from gpuprof_gui.core.flame import layout_for_profile
from gpuprof_gui.core.importers.folded_import import import_folded
from gpuprof_gui.core.importers.pstats_import import import_pstats
from gpuprof_gui.core.model import ROOT
from gpuprof_gui.ui.profile.flame_image import _header_text

COMPUTE = 3  # small_profile's node


@pytest.fixture
def panel(flame_panel):
    return flame_panel


def _square(n: int) -> int:
    total = 0
    for i in range(n):  # a plain loop: a shared callee such as sum() would make its paths estimates
        total += i * i
    return total


def _cube(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i * i
    return total


def _flat_program() -> int:
    """Two helpers called from one place, calling nothing: cProfile's caller→callee pairs give every path exactly."""
    return _square(40_000) + _cube(40_000)


def flat_cprofile_profile():
    prof = cProfile.Profile()
    prof.runcall(_flat_program)
    return import_pstats(pstats.Stats(prof).stats)


def hatched_frames(profile) -> int:
    return sum(int((~row.exact).sum()) for row in layout_for_profile(profile).rows)


def test_no_hatch_legend_for_a_cprofile_profile_with_nothing_hatched(panel):
    profile = flat_cprofile_profile()
    assert not profile.stacks_exact  # a cProfile tree: estimated in general...
    assert hatched_frames(profile) == 0  # ...but in this one no frame is an estimate
    panel.set_profile(profile)
    assert not panel.legend.isVisible()
    assert "hatched" not in panel.legend.full_text()
    assert "hatched" not in _header_text(profile, "t")  # the PNG export's header says the same
    assert panel.orientation_label.isVisible()  # which way up is still said


def test_hatch_legend_when_a_drawn_frame_is_hatched(panel):
    profile = small_profile(estimated=True)
    assert hatched_frames(profile) == 2
    panel.set_profile(profile)
    assert panel.legend.isVisible() and "hatched = estimated by proportional attribution" in panel.legend.full_text()
    assert "hatched" in _header_text(profile, "t")


def test_sampled_stacks_have_no_hatch_legend(panel):
    profile = import_folded("main;compute;helper 40\nmain;load 20\nmain 5\n")  # py-spy's and flamegraph.pl's format
    panel.set_profile(profile)
    assert not panel.legend.isVisible()
    panel.set_profile(None)
    assert not panel.legend.isVisible() and not panel.orientation_label.isVisible()


def test_esc_in_the_search_box_clears_it_then_shows_the_whole_run(panel, qtbot):
    panel.set_profile(small_profile())
    canvas = panel.canvas
    canvas.focus_node(COMPUTE)
    field = panel.search_field
    field.setFocus()
    qtbot.keyClicks(field, "helper")
    assert panel.match_label.text().startswith("1 match")
    assert canvas._search_mask is not None

    qtbot.keyClick(field, Qt.Key.Key_Escape)  # first press: the search goes, the zoom stays
    assert field.text() == ""
    assert panel.match_label.text() == "" and canvas._search_mask is None
    assert canvas.focused_node == COMPUTE and canvas.history_depth == 1

    qtbot.keyClick(field, Qt.Key.Key_Escape)  # in an empty box: the whole run
    assert canvas.focused_node == ROOT and canvas.history_depth == 0
    assert canvas.view_range == (0.0, canvas.layout_data.total)
    assert field.hasFocus()  # the reader can type the next search straight away


def test_search_box_tooltip_says_what_esc_does(panel):
    assert "Esc" in panel.search_field.toolTip()
