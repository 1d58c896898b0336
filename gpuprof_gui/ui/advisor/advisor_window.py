"""How the main window feeds the advisor tab: selection, profile, lab runs, saved sessions.

Kept apart from main_window.py so that file stays about the profile views; the
window calls :func:`connect_advisor` once and :func:`open_advice_session` for
``gpuprof gui --advice FILE``.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING

from gpuprof_gui.core.loaded import LoadedProfile, prepare
from gpuprof_gui.core.opening import OpenError
from gpuprof_gui.core.provenance import Provenance
from gpuprof_gui.jobs.opening import open_advice
from gpuprof_gui.ui.shell.session_parts import select_everywhere

if TYPE_CHECKING:
    from gpuprof_gui.core.lab_model import LabRun
    from gpuprof_gui.ui.shell.window_base import WindowBase


def connect_advisor(win: WindowBase) -> None:
    """Selection and lab results reach the advisor as they change."""
    win.lab.records_changed.connect(win.update_advisor_lab)
    win.lab.run_finished.connect(win.update_advisor_lab)
    win.actions_by_id["presentation"].toggled.connect(win.set_presentation)
    win.advisor.set_lab_run(None, win.lab.unavailable_reason)
    win.profile_shown.connect(partial(offer_traced_run, win))


def offer_traced_run(win: WindowBase, shown: LoadedProfile) -> None:
    """A run traced on the GPU, once shown, is offered to the advisor as the run to check a prediction against."""
    if shown.gpu_trace is not None:
        provenance = win.workspace.provenance
        name = provenance.name if provenance is not None else os.path.basename(shown.path)
        win.advisor.check.offer(shown.profile, shown.gpu_trace, name)


def open_advice_session(win: WindowBase, path: str) -> bool:
    """Profile into the Profile tab, lab run into the Kernel lab tab, all of it into the advisor.

    False, with the reason in the status bar, when the file is not a session.
    """
    try:
        session = open_advice(path)  # the door: the checks and the sentence of `gpuprof export --advice`
    except OpenError as exc:
        win.set_status(str(exc), error=True)
        return False
    name = os.path.basename(path)
    if session.profile is not None:
        profile = session.profile
        # A saved session holds a small script's profile: laid out here, without the loader thread.
        win.show_loaded(prepare(profile), Provenance.for_session(session, path, kind="advice").with_changes(title=name))
    if session.lab is not None:
        _show_lab_run(win, session.lab)
    win.advisor.set_session(session, name)
    select_everywhere(win, session.profile, win.advisor.selected_functions())
    kind = "SYNTHETIC advisor session" if session.synthetic else "Advisor session"
    where = f" recorded on {session.host}" if session.host else ""
    win.set_status(f"{kind} {name}{where}: offloading {', '.join(session.advice.functions) or 'the selection'}.")
    return True


def _show_lab_run(win: WindowBase, lab: LabRun) -> None:
    """The session's lab run in the Kernel lab tab too."""
    win.lab.show_recorded(lab)
