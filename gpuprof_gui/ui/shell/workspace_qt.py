"""The Qt face of :class:`~gpuprof_gui.core.workspace.Workspace`: one signal per topic.

The workspace stays Qt-free (tests and the CLI drive it directly); views that
prefer signals connect here. Signals carry nothing: a view reads what it needs
from the workspace, so it can never act on an out-of-date copy.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gpuprof_gui.core.workspace import Topic, Workspace


class QtWorkspace(QObject):
    profile_changed = Signal()
    """The profile on show, its provenance or its staleness changed."""
    selection_changed = Signal()
    """Other functions are selected in the profile on show."""
    run_changed = Signal()
    """A run started or ended."""
    lab_changed = Signal()
    """The Kernel lab shows another run."""
    baseline_changed = Signal()
    """The Compare tab's run A changed."""
    advice_changed = Signal()
    """The offload advisor's answer changed."""

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        for topic, signal in (
            (Topic.PROFILE, self.profile_changed),
            (Topic.SELECTION, self.selection_changed),
            (Topic.RUN, self.run_changed),
            (Topic.LAB, self.lab_changed),
            (Topic.BASELINE, self.baseline_changed),
            (Topic.ADVICE, self.advice_changed),
        ):
            workspace.subscribe(topic, signal.emit)
