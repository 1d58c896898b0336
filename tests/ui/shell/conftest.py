"""Fixtures of the shell's tests (the ``window`` fixture is tests/ui/conftest.py's)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "pstats_sample.prof"


@pytest.fixture
def sample_window(qtbot, window):
    """The ``window`` showing tests/data/pstats_sample.prof, opened as a user opens a file."""
    seen = []
    window.profile_shown.connect(seen.append)
    window.open_profile(str(SAMPLE))
    qtbot.waitUntil(lambda: bool(seen), timeout=30_000)
    return window


@pytest.fixture
def xvfb_display():
    """ ":N" of an X server (Xvfb) started for the test and stopped after it; the test is skipped without one."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("needs Xvfb")
    server = subprocess.Popen(
        [xvfb, "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        display = server.stdout.readline().strip()
        if not display.isdigit():
            pytest.skip("Xvfb did not start")
        yield f":{display}"
    finally:
        server.terminate()
        server.wait(timeout=10)
