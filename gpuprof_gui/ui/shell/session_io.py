"""Sessions in the window: autosave after every run, File ▸ Open/Save Session, replay without a GPU.

``install(win)`` gives the window one :class:`SessionKeeper`. What it writes, and when:

- A profile run writes ``<run dir>/session.gpuprof-session.json`` once its profile is shown,
  or at once (status and console only) when the run left no profile or it failed to load.
  The script's text is read when the run starts: the session keeps what ran.
- A kernel-lab run updates the session of the profile run on screen when the window
  autosaved that one; otherwise (nothing run yet, or a replay or a plain profile on
  screen) it writes a new session in a new run folder, which later lab runs update.
  A file the user opened is never written over.
- Each session also holds the lab's current run, its telemetry (the replayed trace, or
  the live history with one band per candidate) and the advisor's advice.

Writes run on a one-thread pool, in order, with the data captured first on the GUI
thread; the profile is never changed after loading, so the worker may read it.
Measured: a 5,003-function cProfile profile saves (to_dict, JSON, fsync) in ~30 ms.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QFileDialog

from gpuprof_gui import __version__
from gpuprof_gui.core.advice_session import AdviceSession
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.loaded import prepare
from gpuprof_gui.core.opening import KIND_WORDS, Failure, OpenError, sentence
from gpuprof_gui.core.provenance import RUN_SESSION_NAME, Provenance
from gpuprof_gui.core.session import SESSION_SUFFIX, Session, is_session_file, save_session
from gpuprof_gui.jobs.opening import open_path
from gpuprof_gui.protocol import PROFILERS
from gpuprof_gui.ui.shell import save_places, window_state
from gpuprof_gui.ui.shell.profile_loader import LoadedProfile
from gpuprof_gui.ui.shell.session_parts import (
    advice_record,
    console_text,
    replay_lab,
    select_everywhere,
    telemetry_record,
)

if TYPE_CHECKING:
    from gpuprof_gui.jobs.lab_runner import LabOutcome
    from gpuprof_gui.jobs.runner import RunOutcome, RunSpec
    from gpuprof_gui.ui.shell.window_base import WindowBase

AUTOSAVE_NAME = RUN_SESSION_NAME  # core.session.AUTOSAVE_NAME: Provenance.for_path finds a run beside its profile
SESSION_FILTER = f"gpuprof sessions (*{SESSION_SUFFIX});;JSON files (*.json);;All files (*)"
SAVE_WAIT_MS = 10_000
"""Closing the window waits this long for a save in flight (a 1 MB session takes ~30 ms)."""


def install(win: WindowBase) -> SessionKeeper:
    """Connect File ▸ Open/Save Session and the autosave triggers; the window keeps the keeper."""
    return SessionKeeper(win)


def is_session_path(path: str) -> bool:
    """Should File ▸ Open, Open Recent, a drop or the command line open ``path`` as a session?"""
    return path.endswith(SESSION_SUFFIX) or is_session_file(path)


class _SaveSignals(QObject):
    saved = Signal(str, bool)  # path, announce
    failed = Signal(str, str)  # path, why


class _SaveTask(QRunnable):
    def __init__(self, session: Session, path: str, announce: bool, signals: _SaveSignals) -> None:
        super().__init__()
        self._session, self._path, self._announce, self._signals = session, path, announce, signals

    def run(self) -> None:
        try:
            save_session(self._session, self._path)
        except OSError as exc:
            self._signals.failed.emit(self._path, exc.strerror or str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure here is a message, never a crash
            self._signals.failed.emit(self._path, f"{type(exc).__name__}: {exc}")
        else:
            self._signals.saved.emit(self._path, self._announce)


class SessionKeeper(QObject):
    """The window's sessions: what is on screen as a :class:`Session`, its autosave file, the writer."""

    saved = Signal(str)
    """A session file has been written (autosave or Save Session As)."""
    save_failed = Signal(str)
    """A session could not be written; the sentence says why."""

    def __init__(self, win: WindowBase) -> None:
        super().__init__(win)
        self.win = win
        self.current: Session | None = None  # what the window shows, as a session (a run's or a replay)
        self.target: str | None = None  # the autosave file of the run on screen; lab runs update it
        self._run: tuple[dict, str] | None = None  # (script record, run dir) of the run in progress
        self._pending: tuple[Session, str, str] | None = None  # (session, file, profile) awaiting its profile
        self._lab_cache: tuple[LabRun, LabRun, dict | None] | None = None  # (lab's run, copy, telemetry)
        self._replaying = False
        self._signals = _SaveSignals(self)
        self._signals.saved.connect(self._on_saved)
        self._signals.failed.connect(self._on_save_failed)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one writer: saves land in the order they were asked for
        win.actions_by_id["open_session"].triggered.connect(self.choose_session)
        win.actions_by_id["save_session"].triggered.connect(self.save_as)
        win.run_finished.connect(self._on_run_finished)
        win.profile_shown.connect(self._on_profile_shown)
        win.load_failed.connect(self._on_load_failed)
        win.lab.run_finished.connect(self._on_lab_finished)

    # -- autosave --------------------------------------------------------------------------
    def run_started(self, spec: RunSpec) -> None:
        """Called by the window as a run starts: read the script now, not when the run ends."""
        self._flush_pending()
        record = Session.script_record(spec.script, spec.args, spec.profiler)
        record["python"] = spec.python or sys.executable  # the Python that ran it; its version comes with the run
        self._run = (record, spec.output_dir or "")

    def _on_run_finished(self, outcome: RunOutcome) -> None:
        script, folder = self._run or (None, "")
        self._run = None
        folder = outcome.output_dir or folder
        if not folder:
            return
        session = Session(
            title=(script or {}).get("name") or "run",
            app_version=__version__,
            script=script,
            run={
                "status": outcome.status,
                "message": outcome.message,
                "exit_code": outcome.script_exit_code,
                "wall_s": outcome.wall_s,
                "python_version": outcome.python_version,
            },
            console=Session.console_record(console_text(self.win.console)),
        )
        path = os.path.join(folder, AUTOSAVE_NAME)
        if outcome.ok and outcome.profile_path:
            self._pending = (session, path, outcome.profile_path)  # saved once the profile is shown
        else:
            self._autosave(session, path)

    def _on_profile_shown(self, result: LoadedProfile) -> None:
        if self._replaying:
            return
        pending, self._pending = self._pending, None
        if pending is not None and result.path == pending[2]:
            session, path, _ = pending
            session.profile = result.profile
            self._autosave(session, path)
            return
        if pending is not None:  # another profile was opened before the run's arrived
            self._autosave(pending[0], pending[1])
        self.current = self.target = None  # a plain profile on screen: no session behind it

    def _on_load_failed(self, _text: str) -> None:
        self._flush_pending()

    def _flush_pending(self) -> None:
        """A run whose profile will never be shown is still kept, with its status and console."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._autosave(pending[0], pending[1])

    def _autosave(self, session: Session, path: str) -> None:
        self._capture_lab(session)
        self.current, self.target = session, path
        self.save(session, path)

    def _on_lab_finished(self, outcome: LabOutcome) -> None:
        if outcome.run is None:
            return  # nothing was measured (no GPU, or an error before the first result)
        self._lab_cache = None  # take the telemetry now, while the lab's sampler still has it
        if self.current is not None and self.target is not None:
            self._capture_lab(self.current)
            self.save(self.current, self.target)
            return
        session = self.snapshot()
        if session is None:
            return  # the lab shows no run after all: nothing to keep
        fresh = Session()  # a new recording: made here, now
        session.created, session.host = fresh.created, fresh.host
        session.title = session.title or f"{os.path.basename(self.win.lab.file_path or 'lab')} (kernel lab)"
        # Never raises: a runs folder that cannot be used gives a temporary folder.
        folder = window_state.new_run_dir(self.win.lab.file_path or "lab", keep=window_state.shown_run_dirs(self.win))
        path = os.path.join(folder, AUTOSAVE_NAME)
        self.current, self.target = session, path
        self.save(session, path)

    # -- capturing what the window shows ------------------------------------------------------
    def _capture_lab(self, session: Session) -> None:
        """The lab's run, its telemetry and the advisor's advice, into ``session``."""
        run = self.win.workspace.lab_run
        if run is None:
            session.lab = session.telemetry = None
        else:
            if self._lab_cache is None or self._lab_cache[0] is not run:
                # A copy: the worker serialises it while the lab may go on changing its own.
                self._lab_cache = (run, LabRun.from_dict(run.to_dict()), telemetry_record(self.win.lab))
            session.lab, session.telemetry = self._lab_cache[1], self._lab_cache[2]
        session.advice = advice_record(self.win, session)

    def snapshot(self) -> Session | None:
        """What the window shows now as a session; None when it shows nothing worth saving."""
        win = self.win
        if self.current is not None:
            session = dataclasses.replace(self.current)
        elif win.loaded is not None or win.workspace.lab_run is not None:
            text = console_text(win.console)
            session = Session(
                title=os.path.basename(win.loaded.path) if win.loaded is not None else "",
                app_version=__version__,
                console=Session.console_record(text) if text else None,
                profile=win.loaded.profile if win.loaded is not None else None,
            )
        else:
            return None
        self._capture_lab(session)
        return session

    # -- writing ---------------------------------------------------------------------------
    def save(self, session: Session, path: str, announce: bool = False) -> None:
        """Write ``session`` to ``path`` off the GUI thread; ``saved`` or ``save_failed`` follows."""
        self._pool.start(_SaveTask(dataclasses.replace(session), path, announce, self._signals))

    def wait(self, timeout_ms: int = SAVE_WAIT_MS) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def _on_saved(self, path: str, announce: bool) -> None:
        if announce:
            window_state.add_recent(self.win, path)
            save_places.remember_folder(self.win, path)
            self.win.set_status(f"Saved the session to {path}")
        self.saved.emit(path)

    def _on_save_failed(self, path: str, why: str) -> None:
        text = f"Could not save the session {path}: {why}"
        self.win.set_status(text, error=True)
        self.save_failed.emit(text)

    def save_as(self) -> None:
        """File ▸ Save Session As…"""
        session = self.snapshot()
        if session is None:
            self.win.set_status("Nothing to save yet: run a script or open a profile first.", error=True)
            return
        stem = save_places.name_stem(self.win, os.path.splitext(session.title or "session")[0] or "session")
        start = save_places.dialog_path(self.win, stem + SESSION_SUFFIX)
        path, _ = QFileDialog.getSaveFileName(self.win, "Save session", start, SESSION_FILTER)
        if path:
            self.save(session, path if path.endswith(".json") else path + SESSION_SUFFIX, announce=True)

    # -- opening and replay ----------------------------------------------------------------
    def choose_session(self) -> None:
        """File ▸ Open Session…"""
        path, _ = QFileDialog.getOpenFileName(self.win, "Open session", _dialog_dir(), SESSION_FILTER)
        if path:
            self.open(path)

    def open(self, path: str) -> bool:
        """Replay a session in every tab; False, with the reason in the status bar and nothing changed."""
        win = self.win
        if win.current_run is not None:
            win.set_status("A run is in progress: wait for it or cancel it before opening a session.", error=True)
            return False
        try:
            opened = open_path(path)  # the door: the checks and the sentence of `gpuprof open`
        except OpenError as exc:
            win.set_status(str(exc), error=True)
            return False
        session, advice = opened.session, opened.advice
        if session is None:
            win.set_status(sentence(Failure.WRONG_KIND, path, f"{KIND_WORDS[opened.kind]}, not a session"), error=True)
            return False
        window_state.add_recent(win, path)
        self._flush_pending()
        self._replaying = True
        try:
            self._replay(session, advice, path)
        except Exception as exc:  # noqa: BLE001 - any failure here is a message, never a crash
            win.set_status(f"Could not replay the session: {type(exc).__name__}: {exc}", error=True)
            return False
        finally:
            self._replaying = False
        self.current, self.target = session, None
        where = ", ".join(p for p in (session.host, session.created) if p)
        note = ((session.run or {}).get("message") or "").strip()
        script = session.script or {}
        kept = script.get("text") is not None and not os.path.isfile(script.get("path") or "")
        win.set_status(
            f"Replayed session {os.path.basename(path)}"
            + (f" (recorded on {where})" if where else "")
            + (f": {note}" if note else ".")
            + (" The script's text comes from the session." if kept else "")
        )
        return True

    def _replay(self, session: Session, advice: AdviceSession | None, path: str) -> None:
        win = self.win
        title = f"{session.title or 'session'} (replayed)"
        script = session.script or {}
        win.loader.discard_pending()  # a profile still loading must not land on the replay
        if script.get("path") and os.path.isfile(script["path"]):
            win.run_bar.set_script(script["path"])  # Run runs it again here
            win.run_bar.set_args([str(a) for a in script.get("args") or []])
        if script.get("profiler") in PROFILERS:
            win.run_bar.set_profiler(script["profiler"])  # the profiler box says what made what is shown
        wall = (session.run or {}).get("wall_s") if isinstance(session.run, dict) else None
        win.run_bar.set_elapsed(float(wall) if isinstance(wall, (int, float)) and wall == wall else None)
        console = session.console or {}
        text = str(console.get("text") or "")
        win.console.setPlainText(
            ("[… earlier output was cut when the session was saved …]\n" + text) if console.get("truncated") else text
        )
        if session.profile is not None:
            profile = session.profile
            win.source.search_dirs = [os.path.dirname(script.get("path") or path)]
            win.show_loaded(prepare(profile), Provenance.for_session(session, path).with_changes(title=title))
            if script.get("text") is not None and script.get("path"):
                # The code that ran, even where the file is missing or has changed since.
                win.source.keep_text(script["path"], script["text"])
                if win.table.selected_function() >= 0:
                    win.source.show_function(profile, win.table.selected_function())
        else:
            for view in (win.flame, win.table, win.source):
                view.clear()
            win.workspace.clear()
            win.advisor.set_profile(None, [])
            win.actions_by_id["save_profile"].setEnabled(False)
        if session.lab is not None:
            replay_lab(win, session, session.lab)
        if advice is not None:
            advice.profile = advice.profile or session.profile
            advice.lab = win.lab.run_data if session.lab is not None else advice.lab
            win.advisor.set_session(advice, title)
            select_everywhere(win, session.profile, win.advisor.selected_functions())
        win.tabs.setCurrentIndex(0 if session.profile is not None or session.lab is None else win.tabs.indexOf(win.lab))
        win.setWindowTitle(f"{title} — gpuprof-gui")

    # -- teardown --------------------------------------------------------------------------
    def close(self) -> None:
        """The window is closing, its run and lab already stopped: every run's session is written now."""
        self._flush_pending()
        self.wait()


def _dialog_dir() -> str:
    root = window_state.runs_root()
    return root if os.path.isdir(root) else os.getcwd()
