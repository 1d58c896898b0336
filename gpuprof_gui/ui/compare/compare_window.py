"""How the main window compares its profile with another run (File ▸ Compare With…, Ctrl+D).

The baseline (run A) is loaded in the background like any profile (foreign
``.prof`` files in a worker process), or taken from a session file; the
profile on show is run B. The result goes to the Compare tab.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from gpuprof_gui.core.gpu_trace import GpuTrace
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.opening import Kind, OpenError, what_is
from gpuprof_gui.core.provenance import Provenance, distinct_names
from gpuprof_gui.jobs.opening import open_profile
from gpuprof_gui.ui.compare.compare_view import ComparePanel
from gpuprof_gui.ui.shell.profile_loader import LoadedProfile, ProfileLoader

if TYPE_CHECKING:
    from gpuprof_gui.ui.shell.window_base import WindowBase

COMPARE_FILTER = "Profiles and sessions (*.prof *.pstats *.json *.folded *.txt *.collapsed);;All files (*)"


def install(win: WindowBase) -> None:
    """The Compare tab, its loader and the Compare With… action."""
    win.compare = ComparePanel(win)
    win.compare_loader = ProfileLoader(win)
    win.compare_baseline_path = None
    win.tabs.addTab(win.compare, "Compare")
    win.actions_by_id["compare"].triggered.connect(partial(choose_baseline, win))
    win.compare_loader.loaded.connect(partial(_on_baseline, win))
    win.compare_loader.failed.connect(partial(_on_failed, win))


def _on_failed(win: WindowBase, text: str) -> None:
    win.set_status(text, error=True)


def choose_baseline(win: WindowBase, *_checked: object) -> None:
    if win.loaded is None:
        win.set_status("Open or run a profile first: it becomes run B, the file you pick run A.", error=True)
        return
    start = os.path.dirname(win.loaded.path or "") or os.getcwd()
    path, _ = QFileDialog.getOpenFileName(win, "Compare with (baseline run A)", start, COMPARE_FILTER)
    if path:
        compare_with(win, path)


def compare_with(win: WindowBase, path: str) -> bool:
    """Compare the profile on show (B) with the run in ``path`` (A).

    False, with the reason in the status bar, when it fails at once; a baseline that
    loads in the background reports later (``compare.compared`` or ``compare_loader.failed``).
    """
    if win.loaded is None:
        win.set_status("Nothing to compare with yet: open or run a profile first.", error=True)
        return False
    try:
        kind = what_is(path)  # the door: the rule and the sentences of File > Open and `gpuprof diff`
        if kind is not Kind.PROFILE:
            # A session or advisor session is JSON read at once; a script or lab results are refused.
            opened = open_profile(path)
    except OpenError as exc:
        win.set_status(str(exc), error=True)  # the door's sentence, as `gpuprof diff` prints it
        return False
    win.compare_baseline_path = path
    if kind is not Kind.PROFILE and opened.profile is not None:
        _show(win, opened.profile, opened.provenance)
        return True
    win.set_status(f"Loading {os.path.basename(path)} to compare…")
    win.compare_loader.load(path, trusted=False)
    return True


def _on_baseline(win: WindowBase, result: LoadedProfile) -> None:
    _show(win, result.profile, result.provenance or Provenance.for_path(result.path), result.gpu_trace)


def _show(win: WindowBase, baseline: Profile, provenance: Provenance, trace: GpuTrace | None = None) -> None:
    """Run A (the baseline) against run B (on show), each called by a name the reader can tell apart;
    with either run's GPU trace (kept beside its profile), what moved to the GPU too."""
    current = win.loaded
    if current is None:
        return
    win.workspace.set_baseline(baseline, provenance)
    shown = win.workspace.provenance or Provenance.for_path(current.path)
    label, b_label = distinct_names(provenance, shown)
    win.compare.set_comparison(baseline, current.profile, label, b_label, trace, current.gpu_trace)
    win.tabs.setCurrentWidget(win.compare)
    top = win.compare.top_function()
    win.set_status(f"Compared with {label}: largest change in {top}." if top else f"Compared with {label}.")
