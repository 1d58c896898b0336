"""The GPU timeline tab: the canvas, its legend and telemetry note, and the summary pane; or, with no
trace, a page that says how to get one and offers the bundled recorded trace."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.core.gpu_timeline_marks import on_trace_axis, telemetry_offset_ns
from gpuprof_gui.core.gpu_trace import GpuTrace
from gpuprof_gui.gpu.trace_io import TraceFormatError, load_trace
from gpuprof_gui.ui.style.palette import TIMELINE_MARKS, app_is_dark, theme_colours
from gpuprof_gui.ui.timeline.timeline_canvas import TimelineCanvas
from gpuprof_gui.ui.timeline.timeline_summary import TimelineSummary

EMPTY_TEXT = (
    "<b>No GPU trace to show.</b><br><br>The GPU timeline shows when your program's kernels, copies and "
    "syncs ran on the GPU, which Python line launched each, and where the GPU sat idle.<br><br>"
    "To record one, tick <b>Trace GPU</b> in the run bar and run your script, or run "
    "<code>gpuprof profile --gpu-trace script.py</code> on the GPU machine and open the "
    "<code>.gpu-trace.json</code> file it writes beside the profile (File ▸ Open, or drop it here)."
)
NO_GPU_WORK = (
    "This trace holds no GPU work and no CUDA call: the program used no CUDA library while it was "
    "traced (a NumPy-only script, or one that ended before its first GPU call)."
)
NO_TELEMETRY = "No GPU telemetry was recorded with this trace, so there is no utilisation strip."
SUMMARY_SHARE = 0.3  # the summary pane's share of the tab's width at first


class TimelinePanel(QWidget):
    """The GPU timeline tab's contents; the window hands it a trace."""

    line_clicked = Signal(str, int)
    """(file, line) of the Python line behind an event clicked in the timeline."""
    open_recorded_requested = Signal()
    """The empty page's "Open the recorded H200 trace" button."""
    open_file_requested = Signal()
    """The empty page's "Open a trace file…" button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trace: GpuTrace | None = None
        self.from_profile = False  # the trace on show came with the profile on show (not a file of its own)
        self.canvas = TimelineCanvas(self)
        self.summary = TimelineSummary(self)
        self.header = QLabel("")
        self.header.setWordWrap(True)
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.telemetry_note = QLabel("")
        self.telemetry_note.setWordWrap(True)
        self.telemetry_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.empty_text = QLabel(EMPTY_TEXT)
        self.empty_text.setWordWrap(True)
        self.empty_text.setTextFormat(Qt.TextFormat.RichText)
        self.empty_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.open_recorded_button = QPushButton("Open the recorded H200 trace")
        self.open_file_button = QPushButton("Open a trace file…")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._empty_page())
        self.stack.addWidget(self._view_page())
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addWidget(self.stack)
        self.canvas.line_clicked.connect(self.line_clicked)
        self.summary.mark_chosen.connect(self._zoom_to_mark)
        self.open_recorded_button.clicked.connect(self.open_recorded_requested)
        self.open_file_button.clicked.connect(self.open_file_requested)
        self._presentation = False
        self._update_legend()

    def _empty_page(self) -> QWidget:
        page = QWidget(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_recorded_button)
        buttons.addWidget(self.open_file_button)
        buttons.addStretch(1)
        box = QVBoxLayout(page)
        box.addStretch(1)
        box.addWidget(self.empty_text)
        box.addLayout(buttons)
        box.addStretch(2)
        return page

    def _view_page(self) -> QWidget:
        left = QWidget(self)
        box = QVBoxLayout(left)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.legend)
        box.addWidget(self.canvas, 1)
        box.addWidget(self.telemetry_note)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.summary)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([700, int(700 * SUMMARY_SHARE / (1 - SUMMARY_SHARE))])
        page = QWidget(self)
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.header)
        outer.addWidget(self.splitter, 1)
        return page

    @property
    def showing_empty(self) -> bool:
        return self.stack.currentIndex() == 0

    def set_trace(self, trace: GpuTrace | None, telemetry_path: str = "", origin: str = "") -> None:
        """Show ``trace`` (None: the empty page), with the telemetry file recorded beside it, if any."""
        self.trace = trace
        self.canvas.set_trace(trace)
        self.summary.set_trace(trace, self.canvas.marks)
        self.stack.setCurrentIndex(0 if trace is None else 1)
        if trace is None:
            return
        meta = trace.meta
        device = meta.get("device", {}).get("name") or "an unnamed GPU"
        script = meta.get("script") or "a program"
        made = "A SYNTHETIC trace (made up, not measured)" if meta.get("synthetic") else "Recorded"
        when = (meta.get("recorded_at") or "")[:16].replace("T", " ")
        self.header.setText(f"<b>GPU timeline of {script}</b> · {made} on {device}{' · ' + when if when else ''}"
                            f"{' · ' + origin if origin else ''}")  # fmt: skip
        telemetry_note = self._load_telemetry(trace, telemetry_path)
        empty = not any(trace.count(table) for table in trace.tables)
        self.telemetry_note.setText(f"{NO_GPU_WORK} {telemetry_note}".strip() if empty else telemetry_note)
        self.telemetry_note.setVisible(bool(self.telemetry_note.text()))

    def _load_telemetry(self, trace: GpuTrace, path: str) -> str:
        """Put the run's telemetry under the rows; the note to show instead ("" when it is shown)."""
        if not path:
            return NO_TELEMETRY
        try:
            telemetry = load_trace(path)
        except (TraceFormatError, OSError) as exc:
            return f"The GPU telemetry of this run could not be read: {exc}"
        offset = telemetry_offset_ns(telemetry.meta.get("t0_monotonic"), trace)
        if offset is None or not telemetry.devices:
            return "The GPU telemetry of this run has no common clock with the trace, so it is not shown."
        series = telemetry.devices[0]["series"]
        t_util, util = series.get("gpu_util_pct", (np.zeros(0), np.zeros(0)))
        t_mem, memory = series.get("memory_used_mib", (np.zeros(0), np.zeros(0)))
        if len(t_util) < 2:
            return "The GPU telemetry of this run has too few utilisation samples to draw."
        self.canvas.set_telemetry(
            on_trace_axis(t_util, offset),
            np.asarray(util, float),
            on_trace_axis(t_mem, offset),
            np.asarray(memory, float),
        )
        return ""

    def _zoom_to_mark(self, mark) -> None:
        self.canvas.zoom_to(mark.start, mark.end)
        self.canvas.setFocus()

    def set_presentation(self, on: bool) -> None:
        self._presentation = bool(on)
        self.canvas.set_presentation(on)
        self._update_legend()

    def _update_legend(self) -> None:
        dark = app_is_dark()
        c = theme_colours(dark, self._presentation)
        gap, stall = TIMELINE_MARKS[dark]
        keys = (
            (c.series[0], "kernel"), (c.series[1], "copy"), (c.series[2], "memset"), (c.muted, "CUDA call"),
            (c.series[3], "NVTX range"), (stall, "sync wait"), (gap, "idle gap (band)"), (stall, "stall (hatched)"),
        )  # fmt: skip
        self.legend.setText(" ".join(f"<span style='color:{colour}'>■</span>&nbsp;{name}" for colour, name in keys))

    def refresh_theme(self) -> None:
        self._update_legend()
        self.canvas.set_presentation(self._presentation)
        if self.trace is not None:
            self.header.setText(self.header.text())

    def clear(self) -> None:
        self.set_trace(None)

    def trace_name(self) -> str:
        return os.path.basename(self.trace.meta.get("script", "")) if self.trace is not None else ""
