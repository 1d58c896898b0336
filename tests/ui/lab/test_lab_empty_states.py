"""The lab on a computer that cannot run kernels: a recorded run in place of empty views, one dialog
to load another, drops on the tab, and a file list that names the file whose results are shown.

The tests run without a GPU; the ones about what a GPU-less computer shows skip where the lab can run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from gpuprof_gui.assets import resource_path
from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.gpu.install_hint import lab_unavailable_reason
from gpuprof_gui.jobs.lab_runner import cupy_missing_reason

DATA = Path(__file__).resolve().parents[2] / "data" / "lab"
SESSION = DATA / "session_saxpy_h100"  # results and telemetry recorded together on an H100
BUNDLED = resource_path("recorded", "saxpy_h100")  # a copy of it, shipped with the app
REASON = lab_unavailable_reason() or cupy_missing_reason()
no_gpu_here = pytest.mark.skipif(REASON is None, reason="this computer can run the kernel lab")


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A session folder whose results name a candidate file that is not on this computer."""
    folder = tmp_path / "their_session"
    folder.mkdir()
    data = json.loads((SESSION / "lab_results.json").read_text())
    data["file"] = "their_kernels.py"
    (folder / "lab_results.json").write_text(json.dumps(data))
    shutil.copy(SESSION / "telemetry.json", folder / "telemetry.json")
    return folder


# -- a recorded run instead of empty views -------------------------------------------------------
@no_gpu_here
def test_a_fresh_windows_lab_shows_the_bundled_recorded_run_and_why_it_cannot_run(window, qtbot):
    window.tabs.setCurrentWidget(window.lab)
    lab = window.lab
    qtbot.waitUntil(lambda: lab.table.rowCount() > 0, timeout=10_000)
    run = lm.load_run(str(BUNDLED / "lab_results.json"))
    assert lab.lab_telemetry.trace is not None  # its telemetry, not an empty plot
    assert lab.table.rowCount() == len(run.records)
    assert lab.times_chart.bar_count() > 0 and lab.roofline.points
    assert lab.telemetry.band_count() >= len({r.candidate for r in run.records})
    banner = lab.banner.text()
    assert lab.banner.isVisible()
    assert "Recorded on NVIDIA H100" in banner and "23 Nov 2026" in banner  # from the recording itself
    assert "this computer has no GPU" in banner or "cannot run GPU kernels" in banner
    assert REASON in banner
    assert lab.file_combo.currentText() == "saxpy.py"
    assert not lab.run_button.isEnabled()
    assert window.workspace.lab_run is lab.run_data  # the advisor hears of it as of any recorded run


@no_gpu_here
def test_another_bundled_file_shows_its_own_recorded_run(panel, qtbot):
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=10_000)
    index = panel.file_combo.findText("matmul.py")
    panel.file_combo.setCurrentIndex(index)
    panel.file_combo.activated.emit(index)
    assert {r.candidate for r in panel.records} >= {"raw_tiled32"}
    assert panel.run_data is not None and panel.run_data.file == "matmul.py"
    assert panel.file_combo.currentText() == "matmul.py"
    assert "Recorded on NVIDIA H100" in panel.banner.text()


def test_a_recorded_runs_python_candidate_shows_its_code_in_todays_file(panel):
    # The recording keeps the line numbers of saxpy.py as it was then (the file has been reformatted since).
    assert panel.load_recorded(str(DATA / "lab_saxpy.json"))
    panel.candidate_list.select("cupy")
    assert panel.source.text().lstrip().startswith('@array_code("cupy"')
    assert "def plain(cp, a, x, y)" in panel.source.text()


# -- one dialog for a recorded run ---------------------------------------------------------------
def _count_static_dialogs(monkeypatch, answer: str) -> list[str]:
    calls: list[str] = []

    def fake(*args, **kwargs):
        calls.append(str(args[1] if len(args) > 1 else kwargs.get("caption", "")))
        return (answer if len(calls) == 1 else "", "")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake))
    return calls


def _file_dialogs() -> list[QFileDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()]


def test_load_recorded_run_is_one_dialog_and_the_trace_beside_the_results_comes_along(panel, qtbot, monkeypatch):
    calls = _count_static_dialogs(monkeypatch, str(SESSION / "lab_results.json"))
    panel.show()
    panel.load_button.click()
    assert calls == []  # no modal dialog after modal dialog
    dialog = panel.recorded_dialog
    assert dialog is not None and _file_dialogs() == [dialog]
    dialog.selectFile(str(SESSION / "lab_results.json"))
    dialog.accept()
    assert panel.run_data is not None and panel.run_data.device.name.startswith("NVIDIA H100")
    assert panel.lab_telemetry.trace is not None  # telemetry.json, found beside the results
    assert "telemetry from telemetry.json" in panel.status_label.text()
    assert not _file_dialogs()


def test_the_dialog_loads_a_session_folder(panel, qtbot, monkeypatch, elsewhere):
    calls = _count_static_dialogs(monkeypatch, str(elsewhere / "lab_results.json"))
    panel.show()
    panel.choose_recorded_run()
    dialog = panel.recorded_dialog
    assert dialog is not None and calls == []
    dialog.selectFile(str(elsewhere))
    dialog.accept()  # Open on a folder holding results loads it instead of entering it
    assert panel.run_data is not None and panel.run_data.file == "their_kernels.py"
    assert panel.lab_telemetry.trace is not None


def _drop(widget, path: Path) -> tuple[bool, bool]:
    """Drag ``path`` over ``widget`` and drop it there: (enter accepted, drop accepted)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    action, buttons, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(10, 10), action, mime, buttons, mods)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPointF(10, 10), action, mime, buttons, mods)
    if enter.isAccepted():
        QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_a_results_file_or_session_folder_dropped_on_the_lab_is_shown(panel, elsewhere, tmp_path):
    panel.show()
    assert _drop(panel, elsewhere) == (True, True)
    assert panel.run_data is not None and panel.run_data.file == "their_kernels.py"
    assert panel.lab_telemetry.trace is not None
    assert _drop(panel, DATA / "lab_matmul.json") == (True, True)
    assert panel.run_data.file == "matmul.py"
    script = tmp_path / "script.py"
    script.write_text("print(1)\n")
    assert _drop(panel, script)[0] is False  # a script is the window's: it goes to the run bar
    assert _drop(panel, tmp_path)[0] is False  # so is a folder without lab results


# -- the file list names the file whose results are shown ---------------------------------------
def test_the_file_list_names_a_candidate_file_that_is_not_bundled(panel, qtbot):
    path = DATA / "faults.py"
    panel.set_file(str(path))
    assert panel.file_combo.currentText() == "faults.py"
    assert Path(panel.file_combo.currentData()).resolve() == path.resolve()
    panel.set_file(str(path))  # named once, however often it is chosen
    assert [panel.file_combo.itemText(i) for i in range(panel.file_combo.count())].count("faults.py") == 1


def test_the_file_list_names_a_recorded_runs_file(panel, elsewhere):
    assert panel.load_recorded(str(DATA / "lab_matmul.json"))
    assert panel.file_combo.currentText() == "matmul.py"
    assert panel.load_recorded(str(elsewhere / "lab_results.json"))
    assert panel.file_combo.currentText() == "their_kernels.py (recorded)"
    assert panel.file_path is None and not panel.run_button.isEnabled()  # Run must not run another file
    # Choosing it again, after another file, brings that recorded run back.
    assert panel.load_recorded(str(DATA / "lab_reduction.json"))
    index = panel.file_combo.findText("their_kernels.py (recorded)")
    panel.file_combo.setCurrentIndex(index)
    panel.file_combo.activated.emit(index)
    assert panel.run_data.file == "their_kernels.py"
