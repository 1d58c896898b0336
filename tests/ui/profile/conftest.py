"""Fixtures of the flame-graph reading tests."""

from __future__ import annotations

import pytest

FLAME_W_PX, FLAME_H_PX = 900, 400


@pytest.fixture
def flame_panel(qtbot):
    """A shown :class:`FlamePanel` of 900 x 400 px with no profile yet."""
    from gpuprof_gui.ui.profile.flame_view import FlamePanel  # Qt, loaded only for the tests that ask

    w = FlamePanel()
    qtbot.addWidget(w)
    w.resize(FLAME_W_PX, FLAME_H_PX)
    w.show()
    qtbot.waitExposed(w)
    return w
