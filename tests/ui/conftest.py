"""Fixtures of the window tests. This folder is on sys.path for its tests (pytest's prepend
import mode puts a conftest's folder there), so they import window_support's helpers by name."""

from __future__ import annotations

import pytest


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """A shown main window with its own settings and runs folder; its run is stopped and it closes after."""
    from window_support import open_window  # Qt, loaded only for the tests that ask for a window

    yield from open_window(qtbot, tmp_path, monkeypatch)
