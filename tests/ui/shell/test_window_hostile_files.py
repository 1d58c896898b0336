"""Hostile files through the window's door: a sentence in the status bar, the window as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

DATA = Path(__file__).resolve().parents[2] / "data"


def _absurd_scalene(tmp_path: Path) -> Path:
    obj = json.loads((DATA / "scalene_sample.json").read_text(encoding="utf-8"))
    for fdata in obj["files"].values():
        for ln in fdata["lines"]:
            if ln.get("n_cpu_percent_python"):
                ln["n_cpu_percent_python"] = 1e308
                ln["lineno"] = 2**31
    path = tmp_path / "absurd.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_absurd_scalene_numbers_are_refused_in_the_status_bar(qtbot, window, tmp_path):
    bad = _absurd_scalene(tmp_path)
    with qtbot.waitSignal(window.load_failed, timeout=60_000) as blocker:
        window.open_path(str(bad))
    text = blocker.args[0]
    assert "out of range" in text and "Traceback" not in text
    assert window.status_is_error() and window.loaded is None


def test_deeply_nested_session_is_refused_and_the_window_stays(qtbot, window, tmp_path):
    bad = tmp_path / "nested.gpuprof-session.json"
    bad.write_text('{"format":"gpuprof-session","version":1,"profile":' + "[" * 100_000 + "]" * 100_000 + "}")
    window.open_path(str(bad))
    qtbot.waitUntil(lambda: window.status_is_error(), timeout=30_000)
    assert "nested too deeply" in window.status_text(), window.status_text()
    assert window.isVisible()
