"""Fixtures of the kernel-lab tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def panel(qtbot):
    """A lab panel alone (no window), 1600 × 950; its sampler and any run are stopped after."""
    from gpuprof_gui.ui.lab.lab_panel import LabPanel  # Qt, loaded only for the tests that ask for a panel

    widget = LabPanel()
    qtbot.addWidget(widget)
    widget.resize(1600, 950)
    yield widget
    widget.shutdown()
