"""The GPU timeline tab in the window: its empty page, the bundled trace, a .gpu-trace.json through the
door (and a damaged one), the profile's own trace, and a click that shows the line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gpuprof_gui.core.gpu_trace import load_gpu_trace
from gpuprof_gui.core.opening import Kind, what_is
from gpuprof_gui.ui.timeline import timeline_window

DATA = Path(__file__).resolve().parents[2] / "data" / "gpu"
KNOWN = DATA / "gputrace_known_h200.json"


def test_the_tab_starts_empty_and_says_how_to_get_a_trace(window, qtbot):
    panel = window.timeline
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "GPU timeline"
    window.tabs.setCurrentWidget(panel)
    assert panel.showing_empty and panel.empty_text.isVisible()
    text = panel.empty_text.text()
    assert "Trace GPU" in text and "gpuprof profile --gpu-trace script.py" in text and ".gpu-trace.json" in text
    panel.open_recorded_button.click()
    assert not panel.showing_empty and panel.canvas.isVisible()
    assert panel.trace.meta["device"]["name"] == "NVIDIA H200" and panel.trace.count("kernels") == 240
    assert "bundled" in window.status_text()
    assert panel.canvas.telemetry is not None and panel.telemetry_note.isHidden()  # its telemetry came along


def test_the_bundled_trace_is_the_recorded_h200_one():
    bundled = timeline_window.recorded_trace_path()
    run = DATA / "run_heat_gpu_h200" / "profile.prof"
    assert bundled.read_bytes() == Path(f"{run}.gpu-trace.json").read_bytes()
    assert (
        bundled.with_name("heat_gpu.gpu-telemetry.json").read_bytes() == Path(f"{run}.gpu-telemetry.json").read_bytes()
    )
    assert what_is(bundled) is Kind.GPU_TRACE


def test_opening_a_gpu_trace_file_shows_it_with_no_profile(window, tmp_path):
    path = tmp_path / "run.prof.gpu-trace.json"
    shutil.copy(KNOWN, path)
    assert window.open_path(str(path)) is Kind.GPU_TRACE
    assert window.tabs.currentWidget() is window.timeline and window.loaded is None
    assert window.timeline.trace.count("copies") == 3
    assert not window.status_is_error()


def test_a_damaged_trace_gives_a_plain_message_and_the_window_stays_usable(window, tmp_path):
    raw = json.loads(KNOWN.read_text())
    raw["kernels"]["end"][0] = -5
    bad = tmp_path / "bad.gpu-trace.json"
    bad.write_text(json.dumps(raw))
    assert window.open_path(str(bad)) is Kind.GPU_TRACE
    assert window.status_is_error() and "damaged" in window.status_text()
    assert window.timeline.showing_empty  # nothing half-shown
    window.timeline.open_recorded_button.click()  # still works afterwards
    assert window.timeline.trace is not None and not window.status_is_error()


def test_the_profile_on_show_brings_its_trace_and_a_click_names_its_line(window, qtbot):
    from PySide6.QtCore import QPointF, Qt

    from gpuprof_gui.core.importers.folded_import import import_folded
    from gpuprof_gui.core.loaded import prepare

    def profile():
        made = import_folded("main;launch_all 10\nmain;run 5\n")
        for rec in made.functions:
            if rec.name in ("launch_all", "run"):  # the two functions of the traced script, where they start
                rec.file, rec.line = "/src/tests/data/gpu/gputrace_known.py", 30 if rec.name == "launch_all" else 45
        return made

    trace = load_gpu_trace(KNOWN)
    made = profile()
    launch_all = next(i for i, f in enumerate(made.functions) if f.name == "launch_all")
    loaded = prepare(made, "", gpu_trace=trace)
    window.show_loaded(loaded, "traced run")
    qtbot.waitUntil(lambda: window.timeline.trace is trace)
    panel = window.timeline
    window.tabs.setCurrentWidget(panel)
    canvas = panel.canvas
    k = trace.tables["kernels"]
    canvas.zoom_to(float(k["start"][0]), float(k["end"][0]))
    pos = QPointF(canvas.x_of((k["start"][0] + k["end"][0]) / 2), canvas.row_top(1) + canvas.row_height() * 0.3)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos.toPoint())
    assert list(window.workspace.selection) == [launch_all]  # launch_all (line 30) holds line 42
    assert "gputrace_known.py:42" in window.status_text()
    window.show_loaded(prepare(profile(), ""), "untraced run")
    qtbot.waitUntil(lambda: panel.showing_empty)  # the next profile has no trace: its tab says so


def test_a_trace_with_no_gpu_work_says_so_rather_than_show_a_blank_timeline(window, tmp_path):
    """Trace GPU ticked for a NumPy-only script records an empty trace: the tab says why it is empty."""
    from gpuprof_gui.ui.timeline.timeline_panel import NO_GPU_WORK

    raw = json.loads(KNOWN.read_text())
    for table in ("kernels", "copies", "memsets", "syncs", "api", "markers"):
        raw[table] = {column: [] for column in raw[table]}
    path = tmp_path / "cpu_only.gpu-trace.json"
    path.write_text(json.dumps(raw))
    assert window.open_path(str(path)) is Kind.GPU_TRACE
    note = window.timeline.telemetry_note
    assert note.isVisibleTo(window) and note.text().startswith(NO_GPU_WORK)
    window.open_path(str(KNOWN))  # a trace with work: no such sentence
    assert NO_GPU_WORK not in window.timeline.telemetry_note.text()
