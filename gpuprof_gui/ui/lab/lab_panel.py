"""The kernel-lab tab: pick a candidate file, run it, read results, charts and live telemetry.

The GUI process never touches CUDA: runs go through ``run_lab`` (a worker
process) on a thread (see lab_controller), and telemetry comes from NVML
only. Without a GPU the panel says why, disables Run, and shows a run recorded
on a GPU instead of empty views: the bundled one of the file chosen, or one the
user loads (results JSON + the telemetry trace beside it) or drops on the tab.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.gpu.install_hint import lab_unavailable_reason
from gpuprof_gui.gpu.trace_io import Trace
from gpuprof_gui.jobs.lab_runner import LabOutcome, LabRunSpec, cupy_missing_reason
from gpuprof_gui.ui.lab.lab_chart_area import LabChartArea
from gpuprof_gui.ui.lab.lab_controller import LabController
from gpuprof_gui.ui.lab.lab_files import (
    DEFAULT_KERNEL_FILE,
    RecordedRunError,
    bundled_kernel_file,
    bundled_kernel_files,
    bundled_recording,
    candidate_file_text,
    line_naming,
    read_recorded,
    recorded_run_files,
    recorded_run_status,
)
from gpuprof_gui.ui.lab.lab_hosts import LabHosts
from gpuprof_gui.ui.lab.lab_layout import LabColumns
from gpuprof_gui.ui.lab.lab_recorded import RecordedRunDialog, RecordedRunDoor, no_run_banner, recorded_banner
from gpuprof_gui.ui.lab.lab_results import CandidateList, ResultsTable
from gpuprof_gui.ui.lab.lab_source import CandidateSource
from gpuprof_gui.ui.lab.lab_telemetry import LabTelemetry
from gpuprof_gui.ui.lab.lab_top_bar import RUN_SHORTCUT, LabTopBar
from gpuprof_gui.ui.lab.telemetry_view import TelemetryView
from gpuprof_gui.ui.style.palette import current_theme_colours
from gpuprof_gui.ui.style.theme import set_view_font, title_size

RESULTS_FILTER = "Lab results (*.json);;All files (*)"


def banner_style(presentation: bool = False) -> str:
    """The notice's style sheet: the theme's banner colours (pale yellow, or dark amber in the dark theme)."""
    background, text, border = current_theme_colours(presentation).banner
    size = title_size(presentation, "11pt")
    return (
        f"QLabel {{ background: {background}; color: {text}; border: 1px solid {border}; "
        f"padding: 6px; font-size: {size}; }}"
    )


class LabPanel(RecordedRunDoor):
    """Top bar, candidate list + source, results table, charts, telemetry."""

    records_changed = Signal()
    """The table and charts show a new set of records (live or loaded)."""
    run_finished = Signal(object)
    """The :class:`LabOutcome` of a run started from this panel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = LabController(self)
        self.local_reason = lab_unavailable_reason() or cupy_missing_reason()  # why not on this computer
        self.file_path: str | None = None
        self.candidates: list[dict] = []
        self.records: list[lm.LabRecord] = []
        self.run_data: lm.LabRun | None = None  # a loaded or finished run: device facts, problem
        self.edits: dict[str, str] = {}  # candidate -> edited source
        self._run_order: list[str] = []
        self._run_sizes: list[int] = []
        self._sized = False  # the columns had their first width shared out
        self._describing: str | None = None  # the file whose description is awaited
        self._status_error = False
        self._keep_load_error = False  # a recording named on the command line could not be read
        self.recorded_shown: str | None = None  # "bundled", or where the recorded run on show came from
        self.recorded_dialog: RecordedRunDialog | None = None
        self._build()
        self.hosts = LabHosts(self)
        self._connect()
        self._show_availability()

    @property
    def unavailable_reason(self) -> str | None:
        """Why the lab cannot run where it is to run (a host's worker says for itself)."""
        return None if self.top_bar.host_button.host else self.local_reason

    @unavailable_reason.setter
    def unavailable_reason(self, reason: str | None) -> None:
        self.local_reason = reason

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> None:
        self.top_bar = bar = LabTopBar()
        self.file_combo, self.sizes_edit = bar.file_combo, bar.sizes_edit
        self.run_button, self.cancel_button = bar.run_button, bar.cancel_button
        self.load_button, self.save_trace_button = bar.load_button, bar.save_trace_button
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(banner_style())
        self.banner.setVisible(False)

        self.candidate_list = CandidateList()
        self.source = CandidateSource()
        self.table = ResultsTable()
        self.chart_area = LabChartArea()
        self.size_combo = self.chart_area.size_combo
        self.times_chart = self.chart_area.times_chart
        self.roofline = self.chart_area.roofline
        self.telemetry = TelemetryView()
        self.lab_telemetry = LabTelemetry(self.telemetry)
        self.columns = LabColumns(self.candidate_list, self.source, self.table, self.chart_area, self.telemetry)
        self.splitters = self.columns.splitters

        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(bar)
        box.addWidget(self.banner)
        box.addWidget(self.status_label)
        box.addWidget(self.columns, 1)
        self.run_shortcut = QShortcut(QKeySequence(RUN_SHORTCUT), self)
        self.run_shortcut.activated.connect(self.start_run)
        self.setAcceptDrops(True)  # a results file or session folder dropped here is shown here

    def _connect(self) -> None:
        c = self.controller
        c.record_arrived.connect(self._on_record)
        c.run_finished.connect(self._on_run_finished)
        c.described.connect(self._on_described)
        c.describe_failed.connect(self._on_describe_failed)
        self.top_bar.file_chosen.connect(self.choose_file)
        self.top_bar.recording_chosen.connect(self.load_recorded)
        self.run_button.clicked.connect(self.start_run)
        self.cancel_button.clicked.connect(self.cancel_run)
        self.load_button.clicked.connect(self.choose_recorded_run)
        self.save_trace_button.clicked.connect(self.choose_trace_destination)
        self.candidate_list.candidate_selected.connect(self.show_candidate)
        self.table.candidate_selected.connect(self.candidate_list.select)
        self.source.run_edited.connect(self.run_edited)

    def _show_availability(self) -> None:
        reason, run = self.unavailable_reason, self.run_data
        if reason:
            recorded = run is not None and self.recorded_shown is not None
            self.banner.setText(recorded_banner(run, reason) if recorded and run is not None else no_run_banner(reason))
        self.banner.setVisible(bool(reason))
        self.source.set_can_run(not reason)
        self._update_buttons()

    def _update_buttons(self) -> None:
        can_run = not self.unavailable_reason and self.file_path is not None
        self.top_bar.set_running(self.controller.running, can_run, self.lab_telemetry.live)

    def set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self._status_error = error
        colour = current_theme_colours().error  # readable on the light and the dark window
        self.status_label.setStyleSheet(f"color: {colour}; font-weight: bold;" if error else "")

    def set_presentation(self, on: bool) -> None:
        """Projector fonts in every part of the tab; the theme's colours in the charts, source and telemetry."""
        set_view_font(self, on)
        self.banner.setStyleSheet(banner_style(on))
        self.table.set_presentation(on)
        self.candidate_list.restyle()
        self.source.set_presentation(on)
        self.chart_area.set_presentation(on)
        self.telemetry.set_presentation(on)
        self._update_charts()  # bars, labels and ceilings are drawn in the chart's current style
        self.set_status(self.status_label.text(), self._status_error)

    # -- candidate files -------------------------------------------------------------------
    def choose_file(self, path: str) -> None:
        """A file picked in the list, or the first one shown: where no kernel can run, a bundled
        file shows its run recorded on a GPU (results, charts, telemetry) instead of empty views."""
        recording = bundled_recording(path) if self.unavailable_reason else None
        if recording is None or not self.load_recorded(recording, bundled=True):
            self.set_file(path)

    def set_file(self, path: str) -> None:
        """Read ``path``'s candidates (in a worker); the list fills when they arrive."""
        self.file_path = os.path.abspath(path)
        self.top_bar.show_file(self.file_path)
        self.set_status(f"Reading {os.path.basename(path)}…")
        self._describing = self.file_path
        self.controller.describe(self.file_path)
        self._update_buttons()

    def _on_described(self, path: str, info: dict) -> None:
        if path != self._describing:
            return  # an older request answered late, or a recording was loaded meanwhile
        self._describing = None
        self.run_data, self.edits, self.recorded_shown = None, {}, None
        self._show_availability()
        self._set_candidates(info["candidates"])
        self.top_bar.show_sizes(info["problem"].get("default_sizes", []))
        self.set_status(
            f"{info['problem'].get('name', '')}: {len(self.candidates)} candidates. "
            + ("Press Run." if not self.unavailable_reason else "")
        )
        self.records_changed.emit()

    def _on_describe_failed(self, path: str, reason: str) -> None:
        if path == self._describing:
            self._describing = None
            self.set_status(f"Could not read {os.path.basename(path)}: {reason}", error=True)

    def _set_candidates(self, candidates: list[dict]) -> None:
        self.candidates = list(candidates)
        self.candidate_list.set_candidates(self.candidates)
        self._set_records([])
        if self.candidates:
            self.candidate_list.select(self.candidates[0]["name"])

    def show_candidate(self, name: str) -> None:
        cand = next((c for c in self.candidates if c["name"] == name), None)
        if cand is None:
            return
        if self.source.name and self.source.is_edited():
            self.edits[self.source.name] = self.source.text()
        errors = [r.error for r in self.records if r.candidate == name and r.error]
        text = candidate_file_text(self.file_path, self.run_data)
        if text is not None:  # a recorded run's line numbers are those of the file as it was then
            cand = {**cand, "line": line_naming(text, name) or cand.get("line")}
        self.source.show_candidate(
            cand,
            text,
            self.edits.get(name),
            errors[-1] if errors else None,
        )
        self.candidate_list.select(name)

    # -- running ---------------------------------------------------------------------------
    def start_run(self, candidates: list[str] | None = None, overrides: dict[str, str] | None = None) -> bool:
        """Run the file's candidates (or just ``candidates``); False with a status message if it can't."""
        if self.controller.running or not self.isEnabled():
            return False
        if self.unavailable_reason:
            self.set_status(f"Cannot run here: {self.unavailable_reason}", error=True)
            return False
        if self.file_path is None or not self.candidates:
            self.set_status("Choose a candidate file first.", error=True)
            return False
        try:
            sizes = self.top_bar.sizes()
        except ValueError as exc:
            self.set_status(f"The sizes could not be read: {exc}.", error=True)
            return False
        names = list(candidates or [c["name"] for c in self.candidates])
        spec = LabRunSpec(
            path=self.file_path,
            sizes=sizes,
            candidates=list(candidates or []),
            source_overrides=dict(overrides or {}),
            host=self.top_bar.host_button.host,
            gpu=self.top_bar.host_button.gpu,
        )
        kept = [r for r in self.records if r.candidate not in names] if candidates else []
        self.run_data = None if not candidates else self.run_data
        self.recorded_shown = None if not candidates else self.recorded_shown
        self._set_records(kept)
        self._run_order, self._run_sizes = names, sizes
        self.candidate_list.reset_statuses(names)
        self.candidate_list.set_status(names[0], "running")
        self._start_live_telemetry()
        self.hosts.show_run_gpu()
        self.controller.start(spec)
        self.set_status(
            f"Running {len(names)} candidate(s) at {len(sizes) or 'default'} size(s): preparing "
            "inputs and the CPU reference first…"
        )
        self._update_buttons()
        return True

    def run_edited(self, name: str, text: str) -> None:
        self.edits[name] = text
        self.start_run([name], {name: text})

    def cancel_run(self) -> None:
        if self.controller.running:
            self.set_status("Cancelling… (the kernel worker is being stopped)")
            self.controller.cancel()

    def _on_record(self, rec: lm.LabRecord) -> None:
        self.records.append(rec)
        self.table.add_record(rec)
        self.candidate_list.add_record_status(rec)
        done = {n: sum(1 for r in self.records if r.candidate == n) for n in self._run_order}
        upcoming = [n for n in self._run_order if done[n] < len(self._run_sizes)]
        if upcoming and self.controller.running:
            self.candidate_list.set_status(upcoming[0], "running")
        self._update_charts()
        self._update_bands()
        if rec.candidate == self.source.name and rec.error:
            self.source.show_error(rec.error)
        finished = len(self._run_order) * len(self._run_sizes)
        self.set_status(
            f"{len(self.records)} of {finished} results — last: {rec.candidate} at size {rec.size:,}: {rec.status}"
        )
        self.records_changed.emit()

    def _on_run_finished(self, outcome: LabOutcome) -> None:
        self.controller.finish()
        for name in self._run_order:  # anything never reported (cancel, an early error) is no longer "running"
            if self.candidate_list.status_of(name).startswith(("▶", "·")):
                self.candidate_list.set_status(name, "cancelled" if outcome.status == "cancelled" else "skipped")
        if outcome.run is not None:
            previous = [r for r in self.records if r.candidate not in self._run_order]
            outcome.run.records = [*previous, *outcome.run.records]
            self.run_data = outcome.run
        where = f" Results saved to {outcome.results_path}." if outcome.results_path else ""
        self.set_status(f"{outcome.message}{where}", error=outcome.status in ("error", "no_gpu"))
        self._update_charts()
        self._update_buttons()
        self.run_finished.emit(outcome)

    # -- recorded runs ---------------------------------------------------------------------
    def busy(self) -> bool:
        return self.controller.running

    def load_recorded(self, results_path: str, trace_path: str | None = None, bundled: bool = False) -> bool:
        """Show a recorded run (and its telemetry); False with the reason in the status line.

        ``results_path`` is a results file or a folder holding one; without ``trace_path`` the
        ``telemetry.json`` beside the results comes along. The reason stays there when the tab
        is first shown: no bundled kernel file replaces it.
        """
        try:
            results_path, beside = recorded_run_files(results_path)
            run, trace = read_recorded(results_path, trace_path or beside)
        except RecordedRunError as exc:
            self._set_load_error(str(exc))
            return False
        source = trace_path or beside
        self.show_recorded(
            run, trace, os.path.basename(source) if source else None, "bundled" if bundled else results_path
        )
        return True

    def _set_load_error(self, text: str) -> None:
        self.set_status(text, error=True)
        self._keep_load_error = self.file_path is None  # nothing on show yet: showEvent must not hide it

    def show_recorded(
        self, run: lm.LabRun, trace: Trace | None = None, trace_source: str | None = None, origin: str = "session"
    ) -> None:
        """Show a run already in memory (a session's, an advisor session's) with its telemetry ``trace``.

        ``origin``: the results file it was read from, "bundled" (shipped with the app) or "session".
        """
        bundled = bundled_kernel_file(run.file) if run.file else None
        # Run then re-runs what is on screen; a file that is not here cannot be run again.
        self.file_path = str(bundled.resolve()) if bundled is not None else None
        results = origin if origin not in ("bundled", "session") else ""  # what brings it back from the list
        self.top_bar.show_file(self.file_path, run.file or "lab", results)
        self.run_data, self.edits, self._describing = run, {}, None
        self.recorded_shown = origin
        self.lab_telemetry.replay(trace)
        self._run_order = []
        self._set_candidates(
            run.candidates or [{"name": n, "kind": ""} for n in dict.fromkeys(r.candidate for r in run.records)]
        )
        self.top_bar.show_sizes(list(dict.fromkeys(r.size for r in run.records)))
        self._set_records(list(run.records))
        self._update_bands()
        self.candidate_list.select(self.candidates[0]["name"] if self.candidates else "")
        self.set_status(recorded_run_status(run, trace is not None, trace_source, origin == "bundled"))
        self._show_availability()

    # -- records -> views ------------------------------------------------------------------
    def _set_records(self, records: list[lm.LabRecord]) -> None:
        self.records = list(records)
        self.table.clear_records()
        names = [c["name"] for c in self.candidates]
        self.candidate_list.reset_statuses(names, "")
        for rec in self.records:
            self.table.add_record(rec)
            self.candidate_list.add_record_status(rec)
        self._update_charts()
        self._update_bands()
        self.records_changed.emit()

    def _update_charts(self) -> None:
        self.chart_area.show_records(self.records, self.run_data)

    def _update_bands(self) -> None:
        self.lab_telemetry.show_records(self.records)

    def choose_trace_destination(self) -> None:
        try:
            path = self.lab_telemetry.save_trace(self, self.records)
        except OSError as exc:
            self.set_status(f"Could not save the trace: {exc.strerror or exc}", error=True)
        else:
            if path:
                self.set_status(f"Saved the telemetry trace to {path}")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._sized and not self.columns.user_sized:  # keep the proportions until the user drags a splitter
            self.columns.share_width(self.columns.width())
        else:
            self.columns.arrange(self.columns.width())  # two columns or three, whatever the user dragged

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        nothing_shown = self.file_path is None and self.run_data is None
        if nothing_shown and not self.lab_telemetry.replaying and not self._keep_load_error:
            # Read lazily: a window whose lab tab is never opened starts no worker.
            files = bundled_kernel_files()
            preferred = [f for f in files if os.path.basename(f) == DEFAULT_KERNEL_FILE]
            if files:
                self.choose_file((preferred or files)[0])
        if not self._sized:  # a splitter's stretch applies to extra room only: share the first width out
            self._sized = True
            self.columns.share_width(max(self.width(), 800))
        if not self.lab_telemetry.replaying:
            self._start_live_telemetry()

    def _start_live_telemetry(self) -> None:
        self.lab_telemetry.start_live()
        self._update_bands()
        self._update_buttons()

    def _stop_live_telemetry(self) -> None:
        self.lab_telemetry.stop_live()
        self._update_buttons()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        if not self.controller.running:  # a run in progress keeps its telemetry
            self._stop_live_telemetry()

    def shutdown(self) -> None:
        """Stop a run and the sampler (the window is closing)."""
        self.controller.shutdown()
        self._stop_live_telemetry()
