"""The window's workers and processes: planted modules, signals, escaping children."""

from __future__ import annotations

import cProfile

import pytest
from window_support import LOAD_TIMEOUT_MS

pytestmark = pytest.mark.timeout(240)


def test_opening_a_profile_does_not_run_a_planted_module(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "downloads"
    folder.mkdir()
    cProfile.run("sum(range(1000))", str(folder / "x.prof"))
    (folder / "argparse.py").write_text(
        "import os\nopen(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'MARKER'), 'w').write('ran')\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(folder)
    shown: list = []
    window.profile_shown.connect(shown.append)
    window.open_path("x.prof")
    qtbot.waitUntil(lambda: bool(shown) or window.status_is_error(), timeout=LOAD_TIMEOUT_MS)
    assert not (folder / "MARKER").exists()
    assert shown, window.status_text()
