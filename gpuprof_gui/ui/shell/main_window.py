"""The main window: run bar, flame graph, hotspot table, source view, console; kernel lab and advisor tabs."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QGraphicsOpacityEffect,
    QLabel,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui import __version__
from gpuprof_gui.assets import icon_path
from gpuprof_gui.core.provenance import Provenance
from gpuprof_gui.core.source_where import no_file_label
from gpuprof_gui.core.workspace import Workspace
from gpuprof_gui.jobs.runner import RunOutcome
from gpuprof_gui.ui.advisor import advisor_window
from gpuprof_gui.ui.advisor.advisor_panel import AdvisorPanel
from gpuprof_gui.ui.compare import compare_window
from gpuprof_gui.ui.lab.lab_panel import LabPanel
from gpuprof_gui.ui.profile.console import ConsolePane
from gpuprof_gui.ui.profile.flame_view import FlamePanel
from gpuprof_gui.ui.profile.hotspot_table import HotspotTable
from gpuprof_gui.ui.profile.qt_runner import QtProfileRun
from gpuprof_gui.ui.profile.run_bar import RunBar
from gpuprof_gui.ui.profile.source_view import SourceView
from gpuprof_gui.ui.shell import (
    export_window,
    navigation,
    presentation,
    run_start,
    screen_fit,
    session_io,
    window_state,
)
from gpuprof_gui.ui.shell.actions import make_actions
from gpuprof_gui.ui.shell.profile_loader import LoadedProfile, ProfileLoader
from gpuprof_gui.ui.shell.window_files import WindowFiles
from gpuprof_gui.ui.shell.workspace_qt import QtWorkspace
from gpuprof_gui.ui.style import projector, theme
from gpuprof_gui.ui.style.elided_label import ElidedLabel
from gpuprof_gui.ui.style.palette import current_theme_colours
from gpuprof_gui.ui.timeline import timeline_window

ELAPSED_TICK_MS = 100
STALE_OPACITY = 0.45
"""Views showing an older result while a run goes on are drawn this faint: still readable, plainly not current."""


class MainWindow(WindowFiles):
    """Owns the views and one run at a time. Views never load files themselves.

    Its signals (run_finished, profile_shown, load_failed) and the parts feature modules
    use are declared in :class:`~gpuprof_gui.ui.shell.window_base.WindowBase`; opening
    and saving files is :class:`~gpuprof_gui.ui.shell.window_files.WindowFiles`'.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.setWindowTitle("gpuprof-gui")
        self.setWindowIcon(QIcon(str(icon_path())))
        self.setAcceptDrops(True)
        self.theme_name, self.theme_group, self.theme_follower = "system", None, None  # theme.install sets them
        self.workspace = Workspace()
        self.ws = QtWorkspace(self.workspace, self)
        self.actions_by_id = make_actions(self)
        a = self.actions_by_id
        self.run_bar = RunBar(a["run"], a["cancel"], self)
        self.flame = FlamePanel(self)
        self.table = HotspotTable(self)
        self.source = SourceView(self)
        self.console = ConsolePane(self)
        self.lab = LabPanel(self)
        self.advisor = AdvisorPanel(self)
        self.loader = ProfileLoader(self)
        self.current_run: QtProfileRun | None = None
        self._run_dir_said: tuple[str, str | None] | None = None  # the run's folder, and why a temporary one
        self.last_outcome: RunOutcome | None = None
        self._pending: Provenance | None = None  # where the profile being loaded comes from
        self._selection_from = ""  # which view made the selection being shown ("flame", "table", "")
        self._reveal = True  # whether the flame graph zooms to show a selection made elsewhere
        self._outcome_note: str | None = None  # the run's message, kept in the status bar after loading
        self._elapsed_timer = QTimer(self, interval=ELAPSED_TICK_MS)
        self._elapsed_timer.timeout.connect(self._tick)
        # Elided to the window's width (a long message would widen it), the whole text in its tooltip.
        self._status_label = ElidedLabel("Drop a Python script or a profile file here, or press Ctrl+O.")
        self.stale_banner = QLabel("", self)
        self.stale_banner.setWordWrap(True)
        self.stale_banner.setObjectName("stale_banner")
        self.stale_banner.hide()
        self._status_is_error = False
        self._presenting = False  # the Profile tab's projector layout is on (presentation.py)
        self._build_layout()
        compare_window.install(self)
        timeline_window.install(self)
        export_window.install(self)
        self._connect()
        self.sessions = session_io.install(self)  # after _connect: the advisor hears of a lab run first
        theme.install(self)
        navigation.install(self)
        window_state.build_menus(self)
        window_state.restore(self)
        self._update_actions()

    # -- construction ----------------------------------------------------------------------
    def _build_layout(self) -> None:
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.source)
        right.addWidget(self.console)
        right.setSizes([600, 400])
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.table)
        bottom.addWidget(right)
        bottom.setSizes([500, 500])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(self.flame)
        main.addWidget(bottom)
        main.setSizes([550, 450])  # the flame graph keeps >= 35% of the window (presentation.py)
        self.splitters = {"main": main, "bottom": bottom, "right": right}
        profile_page = QWidget(self)
        box = QVBoxLayout(profile_page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.run_bar)
        box.addWidget(self.stale_banner)
        box.addWidget(main, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(profile_page, "Profile")
        self.tabs.addTab(self.lab, "Kernel lab")
        self.tabs.addTab(self.advisor, "Offload advisor")
        self.setCentralWidget(self.tabs)
        self.statusBar().addWidget(self._status_label, 1)

    def _connect(self) -> None:
        a = self.actions_by_id
        a["open_script"].triggered.connect(self.choose_script)
        a["open_profile"].triggered.connect(self.choose_profile)
        a["open_example"].triggered.connect(self.open_example)
        a["save_profile"].triggered.connect(self.save_raw_profile)
        a["quit"].triggered.connect(self.close)
        a["run"].triggered.connect(self.start_run)
        a["cancel"].triggered.connect(self.cancel_run)
        a["find"].triggered.connect(self._focus_search)
        a["back"].triggered.connect(self.flame.canvas.back)
        a["reset_zoom"].triggered.connect(self.flame.reset_zoom)
        a["shortcuts"].triggered.connect(self.show_shortcuts)
        a["about"].triggered.connect(self.show_about)
        self.run_bar.browse_requested.connect(self.choose_script)
        self.flame.function_selected.connect(self._on_flame_function)
        self.flame.search_field.textChanged.connect(self.table.set_filter)
        self.table.function_selected.connect(self._on_table_function)
        self.table.functions_selected.connect(self._on_table_functions)
        self.ws.selection_changed.connect(self._show_selection)
        self.ws.lab_changed.connect(self._show_lab_run)
        self.advisor.advice_changed.connect(self.workspace.set_advice)
        self.table.function_activated.connect(self._on_table_activated)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.ws.profile_changed.connect(self._show_workspace)
        self.tabs.currentChanged.connect(lambda _index: screen_fit.fit_soon(self))  # a page may want more room
        advisor_window.connect_advisor(self)

    @property
    def loaded(self) -> LoadedProfile | None:
        """The profile on show (the workspace's)."""
        return self.workspace.shown

    # -- status ----------------------------------------------------------------------------
    def status_text(self) -> str:
        return self._status_label.full_text()

    def status_is_error(self) -> bool:
        return self._status_is_error

    def set_status(self, text: str, error: bool = False) -> None:
        self._status_label.setText(text)
        self._status_is_error = error
        colour = current_theme_colours().error  # readable on the light and the dark status bar
        self._status_label.setStyleSheet(f"color: {colour}; font-weight: bold;" if error else "")

    def _update_actions(self) -> None:
        running = self.current_run is not None
        self.actions_by_id["run"].setEnabled(not running)
        self.actions_by_id["cancel"].setEnabled(running)
        self.actions_by_id["save_profile"].setEnabled(self._raw_profile_path() is not None)
        self.run_bar.set_running(running)

    # -- running ---------------------------------------------------------------------------
    def start_run(self) -> None:
        if self.current_run is not None:
            return
        script = self.run_bar.script
        if not script:
            self.set_status("Choose a script first: drop a .py file here or press Ctrl+O.", error=True)
            return
        try:
            args = self.run_bar.script_args()
        except ValueError as exc:
            self.set_status(f"The arguments could not be read: {exc}.", error=True)
            return
        script = os.path.abspath(os.path.expanduser(script))
        out_dir, where_said = self._run_dir_said = window_state.new_run_dir_said(
            script, keep=window_state.shown_run_dirs(self), host=self.run_bar.host_button.host
        )
        spec = run_start.run_spec(self.run_bar, script, args, out_dir)
        # A previous run's profile still loading would land in the middle of this run.
        self.loader.discard_pending()
        run = QtProfileRun(spec, self)
        self.workspace.run_started(Provenance.for_run(script, args, spec.profiler))
        run.stdout_data.connect(self.console.append_stdout)
        run.stderr_data.connect(self.console.append_stderr)
        run.finished.connect(self._on_run_finished)
        self.current_run = run
        self.sessions.run_started(spec)
        window_state.remember_run_choices(self, spec)
        self.console.start_run(
            f"$ {os.path.basename(script)} {' '.join(args)}   [{spec.profiler}]", os.path.join(out_dir, "output.log")
        )
        running = run_start.running_text(self.run_bar, script, spec)
        self.set_status(f"{running} {where_said}" if where_said else running)
        self._update_actions()
        run.start()
        self._elapsed_timer.start()

    def cancel_run(self) -> None:
        if self.current_run is not None:
            self.set_status("Cancelling… (the partial profile is being saved)")
            self.current_run.cancel()

    def _tick(self) -> None:
        if self.current_run is not None:
            self.run_bar.set_elapsed(self.current_run.elapsed_s)

    def _on_run_finished(self, outcome: RunOutcome) -> None:
        run, self.current_run = self.current_run, None
        self._elapsed_timer.stop()
        self.run_bar.set_elapsed(outcome.wall_s)
        self.last_outcome = outcome
        self.console.end_run(footer=f"[{outcome.message}]")
        failed = outcome.status not in ("finished",)
        said = f" {self._run_dir_said[1]}" if self._run_dir_said and self._run_dir_said[1] else ""
        if self.console.log_problem:
            said += f" {self.console.log_problem}"
        self.set_status(outcome.message + said, error=failed and not outcome.ok)
        self._update_actions()
        if run is not None:
            run.deleteLater()
        if outcome.ok and outcome.profile_path:
            started = self.workspace.run.provenance if self.workspace.run is not None else Provenance()
            self._pending = started.with_changes(path=outcome.profile_path, wall_s=outcome.wall_s)
            self.source.search_dirs = [os.path.dirname(run.spec.script)] if run else []
            self._outcome_note = outcome.message
            # Our worker wrote it (one from a host came over the network: read in a worker, as a file opened)
            self.loader.load(outcome.profile_path, trusted=not (run and run.spec.host))
        else:
            self.workspace.run_ended(False, outcome.message)
        self.run_finished.emit(outcome)

    # -- showing ---------------------------------------------------------------------------
    def show_loaded(self, result: LoadedProfile, provenance: Provenance | str | None = None) -> None:
        """Hand an already loaded profile to every view, as a finished load does (a str names it)."""
        if isinstance(provenance, str):
            provenance = Provenance(path=result.path, title=provenance) if provenance else None
        self._pending = provenance or self._pending
        self._on_loaded(result)

    def _on_loaded(self, result: LoadedProfile) -> None:
        provenance, self._pending = self._pending or Provenance.for_path(result.path), None
        if self.workspace.run is not None and provenance.kind == "run":
            self.workspace.run_ended(True)
        self.workspace.show(result, provenance)
        profile = result.profile
        self.flame.set_profile(profile, result.layout)
        self.table.set_rows(result.rows, profile.unit, no_file_label(profile.profiler), result.gpu)
        self.source.clear(result.gpu)
        self.advisor.set_profile(profile, [])
        if result.rows:  # the first row in the table's order whose source can be shown, else the top one
            model = self.table.source_model
            first = self.source.first_with_source(profile, (model.function_at(i) for i in range(model.rowCount())))
            self.select_functions([result.rows[0]["func"] if first is None else first], reveal=False, origin="load")
            if first is None:
                self.source.explain_no_source(profile)
        self.setWindowTitle(f"{provenance.name} — gpuprof-gui")
        note, self._outcome_note = self._outcome_note, None
        caveat = " ".join(profile.notes[:1])
        if note is None:
            self.set_status(
                f"Opened {os.path.basename(result.path)}: {len(profile.functions):,} functions, "
                f"{profile.profiler}. {caveat}".strip()
            )
        self._update_actions()
        self.profile_shown.emit(result)

    def _on_load_failed(self, text: str) -> None:
        pending, self._pending = self._pending, None
        if self.workspace.run is not None and pending is not None and pending.kind == "run":
            self.workspace.run_ended(False, text)  # the run's own profile cannot be shown: the old one goes
        self.set_status(text, error=True)
        self.load_failed.emit(text)

    def _show_workspace(self) -> None:
        """Mark what is stale, clear what a failed run left behind (the workspace says which)."""
        ws = self.workspace
        if ws.shown is None and self.flame.profile is not None:
            for view in (self.flame, self.table, self.source):
                view.clear()
            self.advisor.set_profile(None, [])
            self.setWindowTitle("gpuprof-gui")
            self._update_actions()
        faint = ws.stale
        for view in (self.flame, self.table, self.source):
            if faint and view.graphicsEffect() is None:
                view.setGraphicsEffect(QGraphicsOpacityEffect(view, opacity=STALE_OPACITY))
            elif not faint and view.graphicsEffect() is not None:
                # PySide6's stub types QWidget.setGraphicsEffect(effect: QGraphicsEffect) without None;
                # Qt takes None (nullptr) and removes the effect.
                view.setGraphicsEffect(None)  # type: ignore[arg-type]
        colours = current_theme_colours()
        if faint and ws.run is not None:
            self.stale_banner.setText(
                f"Showing the earlier result {ws.name} while {ws.run.provenance.name} runs; "
                "it is replaced when the run's profile arrives."
            )
            self.stale_banner.setStyleSheet(f"padding: 4px; color: {colours.error};")
        elif ws.failure is not None and ws.shown is None:
            self.stale_banner.setText(
                f"The run of {ws.failure.provenance.name} left no profile: "
                f"{ws.failure.message} Its output is in the console."
            )
            self.stale_banner.setStyleSheet(f"padding: 4px; color: {colours.error}; font-weight: bold;")
        self.stale_banner.setVisible(faint or (ws.failure is not None and ws.shown is None))

    def is_stale_shown(self) -> bool:
        """True while the views are drawn faint under the "earlier result" banner."""
        return self.flame.graphicsEffect() is not None and self.stale_banner.isVisible()

    # -- selection: every view shows the workspace's ---------------------------------------
    def select_functions(self, funcs: list[int], reveal: bool = True, origin: str = "") -> None:
        """Select ``funcs`` in the profile on show; table, flame graph, source and advisor follow."""
        self._selection_from, self._reveal = origin, reveal
        try:
            if not self.workspace.select(funcs) and origin == "":
                self._show_selection()  # asked for explicitly (a session's offload): show it even if unchanged
        finally:
            self._selection_from, self._reveal = "", True

    def _show_selection(self) -> None:
        funcs, profile, origin = list(self.workspace.selection), self.workspace.profile, self._selection_from
        if profile is not None and funcs:
            if origin != "table" and sorted(self.table.selected_functions()) != sorted(funcs):
                self.table.select_functions(funcs)
            if origin not in ("flame", "table", "load"):
                self.flame.select_function(funcs[0], reveal=self._reveal)
            if origin != "table":
                self.source.show_function(profile, funcs[0])
        self.advisor.set_selection(funcs)

    def _on_flame_function(self, func: int) -> None:
        self.select_functions([func], origin="flame")

    def _on_table_function(self, func: int) -> None:
        """The table's current row moved: the flame graph and source view show that function."""
        self.flame.select_function(func)
        if self.loaded is not None:
            self.source.show_function(self.loaded.profile, func)

    def _on_table_functions(self, funcs: list[int]) -> None:
        self.select_functions(funcs, origin="table")

    def _on_table_activated(self, func: int) -> None:
        self._on_table_function(func)

    def update_advisor_lab(self, *_args: object) -> None:
        """The Kernel lab tab shows another run, or more of one: the workspace holds it."""
        self.workspace.set_lab_run(self.lab.run_data)

    def _show_lab_run(self) -> None:
        """The advisor takes the workspace's lab run (s and copies), or hears why there is none."""
        self.advisor.set_lab_run(self.workspace.lab_run, self.lab.unavailable_reason)

    def set_presentation(self, on: bool) -> None:
        """Large fonts and high contrast in every view, for a projector (View ▸ Presentation Mode, F11).

        Also run after a theme change (theme.refresh): every view re-reads its colours.
        """
        projector.use_screen(self.screen())  # type on the wall the same size, whatever the screen
        theme.apply(self.theme_name, on)  # the app palette and font first: the views read them
        for view in (
            self.flame,
            self.table,
            self.source,
            self.console,
            self.run_bar,
            self.lab,
            self.advisor,
            self.compare,
            self.timeline,
        ):
            view.set_presentation(on)
        theme.keep_light(self.advisor, on)  # its charts and banners are drawn for a light page
        self.set_status(self.status_text(), error=self._status_is_error)
        if not self.stale_banner.isHidden():
            self._show_workspace()  # the banner in the theme's error colour
        if on != self._presenting:
            self._presenting = on
            (presentation.enter if on else presentation.leave)(self)
        screen_fit.fit_soon(self)  # larger type raised the minimum sizes: stay on the screen

    def _focus_search(self) -> None:
        self.flame.search_field.setFocus()
        self.flame.search_field.selectAll()

    # -- help ------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        """The shortcut table, scrollable and no taller than most of the screen (also at 20 pt)."""
        from gpuprof_gui.ui.shell.shortcuts_dialog import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.open()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About gpuprof-gui",
            f"<b>gpuprof-gui {__version__}</b><br>Profile Python, find the hotspots, "
            "and measure whether a GPU would help.",
        )

    # -- teardown --------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.current_run is not None:
            self.current_run.kill()  # closing the window must not leave the script running
        self.lab.shutdown()  # nor a kernel worker or the telemetry thread
        self.sessions.close()  # after both: the stopped run's session is written before the window goes
        window_state.save(self)
        self.loader.wait(5_000)
        super().closeEvent(event)
