"""The reliability table through the window (offscreen): the status bar says it, the window stays up."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases import CASES, Case
from window_support import RUN_TIMEOUT_MS, run_script  # tests/ui is put on sys.path by conftest.py

WINDOW_CASES = [c for c in CASES if c.window]


@pytest.mark.reliability("window")
@pytest.mark.parametrize("case", WINDOW_CASES, ids=[c.id for c in WINDOW_CASES])
def test_window(case: Case, qtbot, window, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    if case.kind == "file":
        window.open_path(str(path))
        qtbot.waitUntil(lambda: window.status_is_error(), timeout=RUN_TIMEOUT_MS)
        said = window.status_text()
    else:
        window.run_bar.timeout_spin.setValue(case.timeout_s or 0)
        run_script(qtbot, window, path, case.args)
        said = window.status_text() + "\n" + window.console.toPlainText()
    assert "Traceback" not in window.status_text(), said
    for word in case.words:
        assert word.lower() in said.lower(), said[-2000:]
    assert window.isVisible()
