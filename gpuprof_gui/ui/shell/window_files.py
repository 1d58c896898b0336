"""Files in and out of the main window: File ▸ Open…, the example, Save Raw Profile, drops.

Every way in (a drop, File ▸ Open, Open Recent, the command line) goes through
:meth:`WindowFiles.open_path`, the window's one door. Kept apart from main_window.py
so that file stays about runs and the views; :class:`MainWindow` inherits these.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from gpuprof_gui.assets import example_path
from gpuprof_gui.core.atomic import copy_file
from gpuprof_gui.core.opening import SCRIPT_SUFFIX, Kind, OpenError, what_is
from gpuprof_gui.core.provenance import Provenance
from gpuprof_gui.ui.advisor import advisor_window
from gpuprof_gui.ui.shell import save_places, window_state
from gpuprof_gui.ui.shell.window_base import WindowBase
from gpuprof_gui.ui.timeline import timeline_window

if TYPE_CHECKING:
    from gpuprof_gui.ui.shell.session_io import SessionKeeper

PROFILE_FILTER = "Profiles and GPU traces (*.prof *.pstats *.json *.folded *.txt *.collapsed);;All files (*)"


class WindowFiles(WindowBase):
    """Opening scripts, profiles, sessions and lab results; saving the raw profile."""

    # MainWindow's, used here: a session is replayed by its keeper, a profile's origin waits
    # in _pending until it is shown, and auto-run starts the script it was handed.
    sessions: SessionKeeper
    _pending: Provenance | None

    def start_run(self) -> None:
        raise NotImplementedError

    # -- opening things --------------------------------------------------------------------
    def choose_script(self) -> None:
        start = os.path.dirname(self.run_bar.script) or os.getcwd()
        path, _ = QFileDialog.getOpenFileName(self, "Open script", start, "Python scripts (*.py);;All files (*)")
        if path:
            self.set_script(path)

    def choose_profile(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open profile", os.getcwd(), PROFILE_FILTER)
        if path:
            self.open_profile(path)

    def open_example(self) -> None:
        self.set_script(str(example_path()))

    def set_script(self, path: str) -> None:
        """Load a script into the run bar (it runs on Run)."""
        self.run_bar.set_script(path)
        window_state.add_recent(self, path)
        self.set_status(f"Ready to profile {os.path.basename(path)} — press Run (F5).")

    def open_path(self, path: str) -> Kind | None:
        """The window's one door (drop, File ▸ Open, Open Recent, the command line): the file decides.

        What the file is comes from :func:`gpuprof_gui.core.opening.what_is`, the rule the
        command line uses too. A script (a ``.py`` name, there or not) or a folder goes to the
        run bar (and runs when auto-run is on); a session is replayed; an advisor session and
        kernel-lab results and a GPU trace open in their tabs; a profile is loaded. None, with the door's
        sentence in the status bar, when the file cannot be opened.
        """
        if path.endswith(SCRIPT_SUFFIX) or os.path.isdir(path):
            kind: Kind | None = Kind.SCRIPT  # Run says what is wrong with a script that is not there
        else:
            try:
                kind = what_is(path)
            except OpenError as exc:
                self.set_status(str(exc), error=True)
                return None
        if kind in (Kind.SCRIPT, Kind.FOLDER):
            self.set_script(path)
            if self.actions_by_id["auto_run"].isChecked():
                self.start_run()
        elif kind is Kind.SESSION:
            self.sessions.open(path)
        elif kind is Kind.ADVICE_SESSION:
            self.open_advice_session(path)
        elif kind is Kind.GPU_TRACE:
            timeline_window.open_trace(self, path)
        elif kind is Kind.LAB_RESULTS:
            self.tabs.setCurrentWidget(self.lab)
            if self.lab.load_recorded(path):
                window_state.add_recent(self, path)
            else:  # the lab tab says why; so does the status bar, where a drop's answer is looked for
                self.set_status(self.lab.status_label.text(), error=True)
        else:
            self.open_profile(path)
        return kind

    def open_advice_session(self, path: str) -> bool:
        """Show a saved advisor session (``gpuprof advise --save``); False with the reason in the status bar."""
        return advisor_window.open_advice_session(self, path)

    def open_profile(self, path: str) -> None:
        window_state.add_recent(self, path)
        self.set_status(f"Opening {os.path.basename(path)}…")
        self._pending = Provenance.for_path(path)
        self.source.search_dirs = [os.path.dirname(os.path.abspath(path)), os.getcwd()]
        if self.current_run is None:
            # Another file, not this session's run: the last run's console and timer are not about it.
            self.console.clear()
            self.run_bar.set_elapsed(None)
        self.loader.load(path, trusted=False)

    def save_raw_profile(self) -> None:
        src = self._raw_profile_path()
        if src is None:
            return
        name = save_places.name_stem(self) + (os.path.splitext(src)[1] or ".prof")  # "train.prof", not "profile"
        start = save_places.dialog_path(self, name)
        dest, _ = QFileDialog.getSaveFileName(self, "Save raw profile", start, PROFILE_FILTER)
        if dest:
            try:
                copy_file(src, dest, prefix=".gpuprof-profile-")  # the old file stays whole on any failure
            except OSError as exc:
                self.set_status(f"Could not save the profile: {exc}", error=True)
            else:
                save_places.remember_folder(self, dest)
                self.set_status(f"Saved {dest}")

    def _raw_profile_path(self) -> str | None:
        if self.loaded is not None and self.loaded.path and os.path.isfile(self.loaded.path):
            return self.loaded.path
        return None

    # -- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])
