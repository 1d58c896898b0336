"""The main window as its feature modules see it: every part they may use, declared in one place.

``compare_window``, ``export_window``, ``advisor_window``, ``navigation``, ``session_io``
and ``window_state`` are handed the window. Typed against ``MainWindow`` itself, each of
them imported ``main_window``, which imports them: one 28-module import circle. They are
typed against this base class instead, which imports only the views (none of which
imports the shell); :class:`~gpuprof_gui.ui.shell.main_window.MainWindow` fills it in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QActionGroup
    from PySide6.QtWidgets import QMenu, QSplitter, QTabWidget

    from gpuprof_gui.core.loaded import LoadedProfile
    from gpuprof_gui.core.opening import Kind
    from gpuprof_gui.core.provenance import Provenance
    from gpuprof_gui.core.workspace import Workspace
    from gpuprof_gui.ui.advisor.advisor_panel import AdvisorPanel
    from gpuprof_gui.ui.compare.compare_view import ComparePanel
    from gpuprof_gui.ui.lab.lab_panel import LabPanel
    from gpuprof_gui.ui.profile.console import ConsolePane
    from gpuprof_gui.ui.profile.flame_view import FlamePanel
    from gpuprof_gui.ui.profile.hotspot_table import HotspotTable
    from gpuprof_gui.ui.profile.qt_runner import QtProfileRun
    from gpuprof_gui.ui.profile.run_bar import RunBar
    from gpuprof_gui.ui.profile.source_view import SourceView
    from gpuprof_gui.ui.shell.profile_loader import ProfileLoader
    from gpuprof_gui.ui.shell.workspace_qt import QtWorkspace
    from gpuprof_gui.ui.timeline.timeline_panel import TimelinePanel


class WindowBase(QMainWindow):
    """Signals and parts of the main window; the behaviour is MainWindow's."""

    run_finished = Signal(object)
    """The :class:`RunOutcome` of a run, once its worker and process group are gone."""
    profile_shown = Signal(object)
    """A :class:`LoadedProfile` has been handed to every view."""
    load_failed = Signal(str)
    """A profile could not be shown; the sentence says why."""

    settings: QSettings
    workspace: Workspace
    ws: QtWorkspace
    actions_by_id: dict[str, QAction]
    tabs: QTabWidget
    splitters: dict[str, QSplitter]
    recent_menu: QMenu
    run_bar: RunBar
    flame: FlamePanel
    table: HotspotTable
    source: SourceView
    console: ConsolePane
    lab: LabPanel
    advisor: AdvisorPanel
    compare: ComparePanel
    timeline: TimelinePanel
    compare_loader: ProfileLoader
    compare_baseline_path: str | None
    loader: ProfileLoader
    current_run: QtProfileRun | None
    theme_name: str
    theme_group: QActionGroup | None
    theme_follower: object | None

    @property
    def loaded(self) -> LoadedProfile | None:
        raise NotImplementedError

    def set_status(self, text: str, error: bool = False) -> None:
        raise NotImplementedError

    def status_text(self) -> str:
        raise NotImplementedError

    def show_loaded(self, result: LoadedProfile, provenance: Provenance | str | None = None) -> None:
        raise NotImplementedError

    def select_functions(self, funcs: list[int], reveal: bool = True, origin: str = "") -> None:
        raise NotImplementedError

    def open_path(self, path: str) -> Kind | None:
        raise NotImplementedError

    def update_advisor_lab(self, *_args: object) -> None:
        raise NotImplementedError

    def set_presentation(self, on: bool) -> None:
        raise NotImplementedError
