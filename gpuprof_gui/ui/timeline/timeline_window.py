"""How the main window shows GPU traces: the "GPU timeline" tab follows the profile on show (its run's
``gpu_trace`` and telemetry), a bare ``.gpu-trace.json`` opened through the door shows there with no
profile, and a click on an event shows its Python line in the source view when the profile has it."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from gpuprof_gui.assets import resource_path
from gpuprof_gui.core.gpu_trace import GpuTraceFormatError, load_gpu_trace
from gpuprof_gui.ui.timeline.timeline_panel import TimelinePanel

if TYPE_CHECKING:
    from gpuprof_gui.ui.shell.window_base import WindowBase

TAB_TITLE = "GPU timeline"
RECORDED_TRACE = ("recorded", "gputrace_heat_h200", "heat_gpu.gpu-trace.json")
"""The bundled trace the empty page offers: heat_gpu.py traced on an H200 (tests/data/gpu)."""
TRACE_FILTER = "GPU traces (*.gpu-trace.json *.json);;All files (*)"


def recorded_trace_path() -> Path:
    return resource_path(*RECORDED_TRACE)


def install(win: WindowBase) -> TimelinePanel:
    """The GPU timeline tab, after the other tabs; it follows the workspace's profile."""
    panel = TimelinePanel(win)
    win.timeline = panel
    win.tabs.addTab(panel, TAB_TITLE)
    win.ws.profile_changed.connect(partial(_show_workspace_trace, win, panel))
    panel.line_clicked.connect(partial(show_line, win))
    panel.open_recorded_requested.connect(partial(open_trace, win, "", True))
    panel.open_file_requested.connect(partial(choose_trace, win))
    return panel


def _show_workspace_trace(win: WindowBase, panel: TimelinePanel, *_args: object) -> None:
    """The profile on show changed: show its run's trace; a trace opened on its own file stays."""
    shown = win.workspace.shown
    trace = shown.gpu_trace if shown is not None else None
    if trace is not None and trace is not panel.trace:
        panel.from_profile = True
        panel.set_trace(trace, shown.gpu_telemetry_path if shown is not None else "", "traced with the profile on show")
    elif trace is None and panel.from_profile:
        panel.from_profile = False
        panel.clear()


def open_trace(win: WindowBase, path: str = "", bundled: bool = False, *_checked: object) -> bool:
    """Show the GPU trace in ``path`` (or the bundled one) on the GPU timeline tab; False with the reason
    in the status bar when it cannot be read (the tab keeps what it showed)."""
    panel = win.timeline
    path = str(recorded_trace_path()) if bundled else path
    try:
        trace = load_gpu_trace(path)
    except GpuTraceFormatError as exc:
        win.set_status(str(exc), error=True)
        return False
    telemetry = path[: -len(".gpu-trace.json")] + ".gpu-telemetry.json" if path.endswith(".gpu-trace.json") else ""
    panel.from_profile = False
    origin = "the bundled recording" if bundled else os.path.basename(path)
    panel.set_trace(trace, telemetry if telemetry and os.path.isfile(telemetry) else "", origin)
    win.tabs.setCurrentWidget(panel)
    if not bundled:
        from gpuprof_gui.ui.shell import window_state

        window_state.add_recent(win, path)
    shown = "the bundled GPU trace" if bundled else f"the GPU trace {origin}"
    win.set_status(f"Showing {shown}: {trace.count('kernels'):,} kernels, "
                   f"{trace.count('copies'):,} copies.")  # fmt: skip
    return True


def choose_trace(win: WindowBase, *_checked: object) -> None:
    path, _ = QFileDialog.getOpenFileName(win, "Open GPU trace", os.getcwd(), TRACE_FILTER)
    if path:
        win.open_path(path)


def show_line(win: WindowBase, file: str, line: int) -> None:
    """Show ``file:line`` in the source view when the profile on show has a function there."""
    loaded = win.loaded
    where = f"{file}:{line}"
    if loaded is not None:
        funcs = [(i, f) for i, f in enumerate(loaded.profile.functions)
                 if f.file and (f.file == file or f.file.endswith(os.sep + file) or file.endswith(f.file))
                 and 0 < f.line <= line]  # fmt: skip
        if funcs:
            func = max(funcs, key=lambda item: item[1].line)[0]  # the function whose def is nearest above
            win.select_functions([func])
            win.source.editor.scroll_to_line(line)
            win.tabs.setCurrentIndex(0)
            win.set_status(f"{where}: launched the GPU work clicked in the timeline.")
            return
    win.set_status(f"{where} launched that GPU work (open the run's profile to see its source here).")
