"""The Offload advisor tab: capacity, Amdahl's law on the selection, transfers, and a guided explanation.

The panel never loads files: the window hands it a saved session, or the profile
shown in the Profile tab with the functions selected there, and the Kernel lab
tab's latest run. Every change recomputes one :class:`Advice` (plain arithmetic)
and redraws the sections from it.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from gpuprof_gui.core import capacity as cap
from gpuprof_gui.core.advice_session import AdviceSession
from gpuprof_gui.core.advice_text import Step, explain, times
from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.model import Profile
from gpuprof_gui.ui.advisor.advisor_capacity import CapacityTable
from gpuprof_gui.ui.advisor.advisor_chart import NO_S_NOTE, AmdahlChart
from gpuprof_gui.ui.advisor.advisor_check import CheckSection
from gpuprof_gui.ui.advisor.advisor_figures import AmdahlFigures, TransferFigures
from gpuprof_gui.ui.advisor.advisor_layout import AdvisorLayout
from gpuprof_gui.ui.advisor.advisor_state import ASSUME_BUTTON, NO_PROFILE_REASON, AdvisorState
from gpuprof_gui.ui.advisor.advisor_style import (
    BANNER_OK,
    BANNER_SYNTHETIC,
    BANNER_WARN,
    PRESENTATION_SHEET,
    FittedLabel,
    apply_fonts,
    follow_page,
    make_label,
)
from gpuprof_gui.ui.advisor.advisor_teaching import TeachingView

PAGE_KEYS = {Qt.Key.Key_Right: 1, Qt.Key.Key_PageDown: 1, Qt.Key.Key_Left: -1, Qt.Key.Key_PageUp: -1}
START_STEP = Step(
    "start",
    "Where to begin",
    "",
    "p = time in the selection / run time",
    "Profile a script in the Profile tab, then select the functions to move to the GPU in its "
    "table (Ctrl-click or Shift-click adds more). The Kernel lab tab measures the kernel speed-up "
    "and the copies.",
)


def banner(lead: str, body: str) -> str:
    """A banner's rich text: the lead in bold, the body in the label's own (normal) weight."""
    return f"<b>{html.escape(lead)}</b> {html.escape(body)}"


class AdvisorPanel(QWidget):
    """Capacity table, Amdahl chart and figures, transfers, and the teaching view."""

    advice_changed = Signal(object)
    """The :class:`Advice` now shown, or None when there is nothing to advise on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("advisor_root")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Left/Right page the teaching view
        self.state = AdvisorState()
        self.advice: Advice | None = None
        self.presentation = False
        self.session_name = ""
        self._build()
        self.transfers.bytes_edited.connect(self._on_bytes_edited)
        self.transfers.calls_edited.connect(self._on_calls_edited)
        self.capacity.measure_requested.connect(self.measure_cpu_bandwidth)
        self._capacity_shown = False
        self.refresh()
        apply_fonts(self, self.presentation)

    def _build(self) -> None:
        self.headline = make_label("Offload advisor", "title", wrap=True)
        self.source_label = FittedLabel("", "small")
        # Banners: one bold lead, the rest in body text; at 20 pt a bold banner took five lines.
        self.synthetic_label = make_label("", "text", wrap=True)
        self.synthetic_label.setStyleSheet(BANNER_SYNTHETIC)
        self.measured_label = make_label("", "text", wrap=True)
        self.measured_label.setStyleSheet(BANNER_OK)
        self.gpu_label = FittedLabel("", "text")
        self.gpu_label.setStyleSheet(BANNER_WARN)
        # A lab run made for other functions: refused until the user says to assume it.
        self.fit_label = make_label("", "text", wrap=True)
        self.assume_button = QPushButton(ASSUME_BUTTON)
        self.assume_button.setToolTip(
            "Apply the Kernel lab's speed-up and copies to the selected functions "
            "although the lab run was not made for them; the prediction is labelled so."
        )
        self.assume_button.clicked.connect(self.toggle_assumption)
        self.fit_row = QWidget()
        fit_box = QHBoxLayout(self.fit_row)
        fit_box.setContentsMargins(0, 0, 0, 0)
        fit_box.addWidget(self.fit_label, 1)
        fit_box.addWidget(self.assume_button, 0, Qt.AlignmentFlag.AlignTop)
        self.chart = AmdahlChart()
        self.chart.setMinimumHeight(260)
        self.amdahl = AmdahlFigures()
        self.transfers = TransferFigures()
        self.capacity = CapacityTable()
        self.check = CheckSection()
        self.check.check_changed.connect(self._on_check_changed)
        # The check sits above the capacity table: it scrolls with it at a desk and follows the
        # figures in the projector column.
        checked = QWidget()
        column = QVBoxLayout(checked)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.check)
        column.addWidget(self.capacity, 1)
        self.teaching = TeachingView()
        figures = QWidget()
        row = QHBoxLayout(figures)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.amdahl, 1)
        row.addWidget(self.transfers, 1)
        self.stage = AdvisorLayout(self.chart, figures, checked, self.teaching)
        self.splitters = self.stage.splitters
        self.teaching.showing_all_changed.connect(self.stage.give_steps_room)
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 6)
        box.setSpacing(4)
        for widget in (
            self.headline,
            self.source_label,
            self.synthetic_label,
            self.fit_row,
            self.measured_label,
            self.gpu_label,
        ):
            box.addWidget(widget)
        box.addWidget(self.stage, 1)

    # -- inputs from the window -------------------------------------------------------------
    def set_session(self, session: AdviceSession, name: str = "") -> None:
        """Show a saved session: its profile, selection, lab run, capacity and measurement."""
        self.session_name = name
        self.state.load_session(session)
        self._refresh_capacity()
        self.refresh()

    def set_profile(self, profile: Profile | None, funcs: list[int]) -> None:
        """The profile now in the Profile tab, with the functions selected in its table."""
        self.state.set_profile(profile, funcs)
        self._refresh_capacity()
        self.refresh()

    def set_selection(self, funcs: list[int]) -> None:
        """The functions to offload changed (table or flame graph)."""
        if self.state.set_functions(funcs):
            self.refresh()

    def set_lab_run(self, run: LabRun | None, reason: str | None = None) -> None:
        """The Kernel lab tab's latest run (s, copies, device), or why there is none."""
        changed = self.state.set_lab_run(run, reason)
        if changed:
            self._refresh_capacity()
        self.refresh()

    def selected_functions(self) -> list[int]:
        return list(self.state.funcs)

    def toggle_assumption(self, *_checked: object) -> None:
        """Use the lab run for the selection although it was made for other functions (or stop)."""
        self.state.lab_assumed = not self.state.lab_assumed
        self.refresh()

    # -- edits ------------------------------------------------------------------------------
    def _on_bytes_edited(self, nbytes: float | None) -> None:
        self.state.bytes_override = nbytes
        self.refresh()

    def _on_calls_edited(self, calls: int | None) -> None:
        self.state.calls_override = calls
        self.refresh()

    def measure_cpu_bandwidth(self) -> None:
        """On demand only: about 0.3 s of NumPy copies, with a busy cursor meanwhile."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.state.set_local_copy_bandwidth(cap.measure_copy_gbps())
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._refresh_capacity()

    # -- drawing ----------------------------------------------------------------------------
    def measured_speedup(self) -> float | None:
        session = self.state.session
        measured = (session.measured or {}) if session is not None else {}
        value = measured.get("speedup")
        return float(value) if value else None

    def refresh(self) -> None:
        advice = self.advice = self.state.advice()
        self._show_headline(advice)
        self._show_banners(advice)
        self._show_fit(advice)
        missing = self.state.missing_gpu_caption()  # the real reason: no GPU, or a lab run for another function
        if advice is None:
            self.amdahl.clear(NO_PROFILE_REASON)
            self.transfers.clear()
        else:
            self.amdahl.set_advice(advice, missing)
            self.transfers.set_advice(
                advice, self.state.bytes_override is not None, self.state.calls_override is not None, missing
            )
        refused = self.state.lab_refused()
        note = (
            (NO_S_NOTE,)
            if refused is None
            else (
                f"No s: the lab run is for {refused.made_for}, another function. '{ASSUME_BUTTON}' takes it.",
                f"No s: the lab run is for {refused.made_for}.",
            )
        )
        # The star belongs on the chart only while it shows the offload that was measured.
        self.chart.set_advice(advice, self.measured_speedup() if self.state.selection_is_session() else None, note)
        self.check.set_advice(advice, self.state.profile)
        self.teaching.set_steps(explain(advice) if advice is not None else [START_STEP])
        apply_fonts(self.teaching, self.presentation)
        follow_page(self.teaching)  # new cards: the light page, not the application's palette
        self.advice_changed.emit(advice)

    def _on_check_changed(self, _check: object) -> None:
        apply_fonts(self.check, self.presentation)  # rebuilt rows take the current mode
        follow_page(self.check)

    def _refresh_capacity(self) -> None:
        session = self.state.session
        if session is not None and session.capacity:
            where = f"Recorded on {session.host or 'the session machine'}" + (
                f", {session.date}" if session.date else ""
            )
            local = False
        else:
            lab = self.state.lab_run
            where = "This machine's CPU" + (
                f"; GPU and link from the Kernel lab run on {lab.device.name}"
                if lab is not None and lab.device.name
                else "; no GPU figures yet"
            )
            local = True
        self.capacity.set_capacity(self.state.capacity(), where + ".", can_measure=local)
        apply_fonts(self.capacity, self.presentation)
        follow_page(self.capacity)
        self._capacity_shown = True

    def _show_headline(self, advice: Advice | None) -> None:
        session = self.state.session
        if advice is None:
            self.headline.setText("Offload advisor")
        else:
            names = ", ".join(advice.functions) or "the selection"
            script = f" in {os.path.basename(session.script)}" if session is not None and session.script else ""
            fit = self.state.lab_fit()
            # On a projector the banner under it says what was assumed.
            made_for = "" if self.presentation or fit is None else f": lab run made for {fit.made_for}"
            assumed = f" (ASSUMED{made_for})" if advice.assumption else ""
            self.headline.setText(f"Offloading {names}{script} to the GPU{assumed}")
        parts = []
        if session is not None:
            parts.append(
                f"Session {self.session_name or 'file'}"
                + (f", recorded on {session.host}" if session.host else "")
                + (f" {session.date}" if session.date else "")
            )
        elif self.state.profile is not None:
            parts.append("Profile from the Profile tab")
        lab = session.lab if session is not None else self.state.lab_run
        if lab is not None:
            kind = "SYNTHETIC lab data" if lab.synthetic else "kernel lab"
            parts.append(
                f"{kind}: {lab.file or 'run'} on {lab.device.name or 'unknown GPU'}"
                + (f", {lab.date}" if lab.date else "")
            )
        self.source_label.setText(". ".join(parts) + "." if parts else "")
        self.source_label.setVisible(bool(parts))

    def _show_banners(self, advice: Advice | None) -> None:
        session = self.state.session
        lab = session.lab if session is not None else self.state.lab_run
        synthetic = (session is not None and session.synthetic) or (lab is not None and lab.synthetic)
        self.synthetic_label.setText(
            banner("SYNTHETIC data:", "made up to show the layout, not measured on any machine.") if synthetic else ""
        )
        self.synthetic_label.setVisible(synthetic)
        measured = self.measured_speedup()
        if measured and advice is not None and session is not None:  # measured comes from the session
            # The measurement belongs to the recording, wherever it is replayed now
            # (host names repeat between machines, so they cannot tell "here" apart).
            where = f" on {session.host}" if session.host else ""
            recorded = session.advice.predicted_speedup_with_transfers
            now = advice.predicted_speedup_with_transfers
            # The measurement is of the recorded offload: edits change the prediction, not what was run.
            what = (
                ""
                if self.state.selection_is_session()
                else f" for {', '.join(session.advice.functions) or 'the recorded selection'}"
            )
            edited = "" if recorded == now else f"; {times(now)} with your changes"
            self.measured_label.setText(
                banner(f"Measured end-to-end{where}{what}:", f"{times(measured)} (predicted {times(recorded)}{edited})")
            )
            how = (session.measured or {}).get("how")
            self.measured_label.setToolTip(how or "")
        self.measured_label.setVisible(bool(measured) and advice is not None)
        if advice is not None and advice.needs_gpu:
            reason = (advice.no_gpu_reason or "").strip()
            self.gpu_label.setText(
                f"Needs a GPU: {'; '.join(advice.needs_gpu)}. "
                + (f"Why they are missing: {reason} " if reason else "")
                + "The share p, the Amdahl limit and the CPU column need no GPU."
            )
        elif advice is None:
            self.gpu_label.setText(NO_PROFILE_REASON + " The CPU column of the capacity table is this machine's.")
        self.gpu_label.setVisible(advice is None or bool(advice.needs_gpu))

    def _show_fit(self, advice: Advice | None) -> None:
        """Say when the lab run was not made for the selection: refused, or assumed by the user."""
        fit = self.state.lab_fit()
        mismatch = advice is not None and fit is not None and not fit.fits
        if mismatch and advice is not None and fit is not None:
            names = ", ".join(advice.functions) or "the selection"
            # On a projector one line: what was done; the full sentence is in the tooltip.
            if advice.assumption:
                lead, body = "Assumed by you:", f"the {fit.made_for} lab run stands in for {names}."
                if not self.presentation:
                    lead, _, body = advice.assumption.partition(": ")
                    lead += ":"
                self.fit_label.setText(banner(lead, body))
                self.fit_label.setToolTip(advice.assumption)
                self.fit_label.setStyleSheet(BANNER_SYNTHETIC)
                self.assume_button.setText("Stop assuming")
            else:
                body = (
                    f"made for {fit.made_for}, not {names}."
                    if self.presentation
                    else f"{fit.reason} Its speed-up and copies are left out of this prediction."
                )
                self.fit_label.setText(banner("Lab run left out:", body))
                self.fit_label.setToolTip(f"{fit.reason} Its speed-up and copies are left out of this prediction.")
                self.fit_label.setStyleSheet(BANNER_WARN)
                self.assume_button.setText(ASSUME_BUTTON)
                self.gpu_label.setVisible(False)  # not "needs a GPU": the figures are there, for another function
        self.fit_row.setVisible(mismatch)

    # -- presentation and keys --------------------------------------------------------------
    def set_presentation(self, on: bool) -> None:
        """Fonts of 20 pt and more, black on white, thicker lines: readable from the back of a room."""
        self.presentation = bool(on)
        self.setStyleSheet(PRESENTATION_SHEET if on else "")
        apply_fonts(self, self.presentation)
        for label in (self.source_label, self.gpu_label):
            label.set_eliding(on)  # one line each on a projector; the whole sentence in the tooltip
        self.chart.set_presentation(on)
        self.stage.set_presentation(on)
        self.refresh()  # shorter headline and banners on a projector

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        step = PAGE_KEYS.get(Qt.Key(event.key()))
        if step is None or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
            return
        self.teaching.set_index(self.teaching.index + step)
        event.accept()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        if not self._capacity_shown:
            self._refresh_capacity()  # this machine's CPU facts: read once, when first needed
        super().showEvent(event)
        focus = QApplication.focusWidget()
        if focus is None or not self.isAncestorOf(focus):
            self.setFocus()  # the arrow keys page the explanation as soon as the tab is shown
