"""A session the window autosaved on the H100 machine reopens here, with no GPU, showing the same tables.

tests/data/sessions/heat_h100.gpuprof-session.json was written by the real window on the
GPU machine (`gpuprof gui heat_cpu.py --run --offload diffuse --lab-file heat_kernels.py
--lab-run`, 2026-11-24 01:06 UTC, NVIDIA H100 80GB HBM3); heat_h100_table.csv is
`gpuprof export SESSION --format csv` run there, i.e. the hotspot table as that machine
had it. Machine folders were stripped from both (paths relative to the repository).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from window_support import save_shot, settle

from gpuprof_gui.core.session import load_session

pytestmark = pytest.mark.timeout(120)
DATA = Path(__file__).resolve().parents[2] / "data" / "sessions"
SESSION = DATA / "heat_h100.gpuprof-session.json"
TABLE = DATA / "heat_h100_table.csv"


def _key(name: str, file: str, line) -> tuple:
    return (name, file or "", int(line))


def test_h100_session_replays_with_the_tables_the_gpu_machine_had(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the script's relative path finds nothing here: the session's text must do
    recorded = load_session(SESSION)
    assert "H100" in recorded.lab.device.name and recorded.telemetry and recorded.advice
    assert window.sessions.open(str(SESSION)), window.status_text()
    settle(qtbot)
    with open(TABLE, newline="", encoding="utf-8") as fh:
        there = {_key(r["name"], r["file"], r["line"]): r for r in csv.DictReader(fh)}
    rows = window.table.model()._all
    here = {_key(r["name"], r["file"], r["line"]): r for r in rows}
    assert here.keys() == there.keys() and len(here) == 865
    for key, row in here.items():
        theirs = there[key]
        assert row["self_s"] == pytest.approx(float(theirs["self_s"]), rel=1e-12), key
        assert row["total_s"] == pytest.approx(float(theirs["total_s"]), rel=1e-12), key
        assert (row["calls"] or 0) == int(theirs["calls"] or 0), key
    # The kernel lab shows the H100's records and its telemetry; the advisor the recorded offload.
    assert [r.candidate for r in window.lab.records] == [r.candidate for r in recorded.lab.records]
    assert window.lab.lab_telemetry.replaying
    advice = window.advisor.state.advice()
    assert advice is not None and advice.functions == ["diffuse"]
    assert advice.kernel_speedup == pytest.approx(recorded.lab.records[0].cpu_ms / recorded.lab.records[0].median_ms)
    assert "(replayed)" in window.windowTitle()
    assert window.source.editor.toPlainText() == recorded.script["text"]  # heat_cpu.py as it ran there
    save_shot(window, "session_h100_replayed")
