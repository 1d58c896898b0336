"""Recorded runs in the lab: the one dialog that picks them, what a drop brings, and the banner over them.

A recorded run is a results file with its telemetry trace beside it (``telemetry.json``),
or the folder holding both; :func:`~gpuprof_gui.ui.lab.lab_files.recorded_run_files` finds
the pair, so the user picks one thing once.
"""

from __future__ import annotations

import os
from html import escape

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QWidget

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.gpu import nvml
from gpuprof_gui.ui.lab.lab_files import holds_recorded_run, recorded_date

RESULTS_FILTER = "Lab results (*.json);;All files (*)"
DIALOG_TITLE = "Load recorded run: a lab results file, or the folder that holds it"


class RecordedRunDialog(QFileDialog):
    """Pick a results file, or a folder holding one (Open on a folder loads it instead of entering it).

    Qt's own dialog, not the desktop's: a native one cannot offer files and folders at once.
    """

    chosen = Signal(str)
    """The results file or folder picked."""

    def __init__(self, parent: QWidget | None, start_dir: str) -> None:
        super().__init__(parent, DIALOG_TITLE, start_dir, RESULTS_FILTER)
        self.setObjectName("recorded_run_dialog")
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        self.fileSelected.connect(self.chosen.emit)

    def accept(self) -> None:
        picked = self.selectedFiles()
        if len(picked) == 1 and os.path.isdir(picked[0]) and holds_recorded_run(picked[0]):
            self.chosen.emit(picked[0])  # a session folder: load it (any other folder is entered as usual)
            self.done(QFileDialog.DialogCode.Accepted)
            return
        super().accept()


class RecordedRunDoor(QWidget):
    """The lab panel's ways to a recorded run: Load recorded run… (one dialog) and drops on the tab.

    A base of :class:`~gpuprof_gui.ui.lab.lab_panel.LabPanel`, which shows what they bring.
    """

    recorded_dialog: RecordedRunDialog | None = None

    def load_recorded(self, results_path: str, trace_path: str | None = None, bundled: bool = False) -> bool:
        raise NotImplementedError

    def busy(self) -> bool:
        """A run is on: nothing else is shown meanwhile."""
        raise NotImplementedError

    def choose_recorded_run(self) -> None:
        """One dialog: a results file (its trace beside it comes along) or the folder holding them."""
        if self.recorded_dialog is not None:
            self.recorded_dialog.raise_()
            return
        self.recorded_dialog = dialog = RecordedRunDialog(self, os.getcwd())
        dialog.chosen.connect(self.load_recorded)
        dialog.finished.connect(self._forget_dialog)
        dialog.open()  # window-modal, without a nested event loop

    def _forget_dialog(self, _result: int = 0) -> None:
        if self.recorded_dialog is not None:
            self.recorded_dialog.deleteLater()
        self.recorded_dialog = None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_recording(event.mimeData()) is not None and not self.busy():
            event.acceptProposedAction()
        else:
            event.ignore()  # anything else is the window's (a script, a profile, a session)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        path = dropped_recording(event.mimeData())
        if path is None or self.busy():
            event.ignore()
            return
        event.acceptProposedAction()
        self.load_recorded(path)


def dropped_recording(mime: QMimeData) -> str | None:
    """The results file or folder a drop brings to the lab; None leaves the drop to the window."""
    paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
    return paths[0] if paths and holds_recorded_run(paths[0]) else None


def no_run_banner(reason: str) -> str:
    return (
        f"<b>Kernel runs are not possible on this computer.</b> {escape(reason)} "
        "The rest of the app works, and <b>Load run…</b> replays a run "
        "recorded on a GPU machine."
    )


def recorded_banner(run: lm.LabRun, reason: str) -> str:
    """Over a recorded run on a computer that cannot run kernels: where and when it was recorded, and why not here.

    One or two lines: on a projector at 1024 × 768 every line of it is taken from the results.
    """
    device = escape(run.device.name or "an unknown GPU")
    gpu_found, _ = nvml.nvml_available()
    why = "cannot run GPU kernels" if gpu_found else "has no GPU"
    kind = "SYNTHETIC data (made up, not measured)" if run.synthetic else f"Recorded on {device}"
    return (
        f"<b>{kind} on {escape(recorded_date(run))}</b> — this computer {why}: {escape(reason)} "
        "<b>Load run…</b> shows another."
    )
