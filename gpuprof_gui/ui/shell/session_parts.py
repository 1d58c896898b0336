"""The parts of a session, read from the window's tabs and put back into them.

:mod:`~gpuprof_gui.ui.shell.session_io` decides when a session is written or replayed;
these functions say what goes in and how it is shown again: the console's last
lines, the lab's telemetry, the advisor's advice, the checks a session file passes
before anything is shown, and the lab run and selection of a replay.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import TYPE_CHECKING

from gpuprof_gui.core.advice_session import AdviceSession
from gpuprof_gui.core.session import CONSOLE_MAX_CHARS, Session
from gpuprof_gui.gpu.trace_io import trace_from_json, trace_to_json

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPlainTextEdit

    from gpuprof_gui.core.lab_model import LabRun
    from gpuprof_gui.core.model import Profile
    from gpuprof_gui.ui.lab.lab_panel import LabPanel
    from gpuprof_gui.ui.shell.window_base import WindowBase


def select_everywhere(win: WindowBase, profile: Profile | None, funcs: list[int]) -> None:
    """Table, flame graph and source view show the functions the advice offloads.

    The flame graph highlights them in the whole graph, without zooming: this runs for a
    file opened from the command line, before the window is shown and has its size.
    """
    if funcs and profile is not None:
        win.select_functions(funcs, reveal=False)


def console_text(console: QPlainTextEdit) -> str:
    """The console's last lines, a little over what a session keeps (so it can say it cut some).

    Walks back from the end: toPlainText() of a full console (20,000 lines of output
    flood) took 50 ms and 20 MB to keep 1 MiB; this takes ~3 ms.
    """
    lines: list[str] = []
    size = 0
    block = console.document().lastBlock()
    while block.isValid() and size <= CONSOLE_MAX_CHARS:
        lines.append(block.text())
        size += len(lines[-1]) + 1
        block = block.previous()
    return "\n".join(reversed(lines))


def replay_lab(win: WindowBase, session: Session, lab: LabRun) -> None:
    """The session's lab run ``lab`` and its telemetry in the Kernel lab tab (checked readable before)."""
    trace = trace_from_json(session.telemetry) if session.telemetry is not None else None
    win.lab.show_recorded(lab, trace, f"the session {session.title}".strip())


def telemetry_record(lab: LabPanel) -> dict | None:
    """The lab's telemetry as a trace document: the replayed trace, or the live history with run bands."""
    tel = lab.lab_telemetry
    if tel.replaying and tel.trace is not None:
        trace = tel.trace
        return trace_to_json({**trace.meta, "devices": trace.devices, "bands": trace.bands})
    if not tel.live:
        return None
    with tempfile.TemporaryDirectory(prefix="gpuprof-trace-") as folder:
        path = os.path.join(folder, "telemetry.json")
        tel.save_trace_to(path, lab.records)  # the bands are placed as Save telemetry trace… places them
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)


def advice_record(win: WindowBase, session: Session) -> dict | None:
    """The advisor's advice as an advisor session, without the profile and lab run the session holds."""
    panel = win.advisor
    if win.workspace.advice is None:
        return None
    state = panel.state
    profile = state.profile
    offload = (
        [f"{profile.functions[f].file}:{profile.functions[f].name}" for f in panel.selected_functions()]
        if profile is not None
        else []
    )
    measured = state.session.measured if state.session is not None and state.selection_is_session() else None
    lab = win.workspace.lab_run
    return AdviceSession(
        advice=win.workspace.advice,
        capacity=state.capacity(),
        script=(session.script or {}).get("path", ""),
        kernels=lab.file if lab is not None else "",
        offload=offload,
        date=session.created,
        host=session.host,
        measured=measured,
        synthetic=bool(lab is not None and lab.synthetic),
    ).to_dict()
