"""The kernel lab's top bar: which candidate file, which sizes, and Run, Cancel, Load, Save trace.

A layout, not a widget: the bar's widgets sit straight in the panel's column, as they always did.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton

from gpuprof_gui.ui.lab.lab_files import bundled_kernel_files, parse_sizes
from gpuprof_gui.ui.lab.lab_host_button import LabHostButton

RUN_SHORTCUT = "Ctrl+Shift+R"
OPEN_ITEM = "Open…"


class LabTopBar(QHBoxLayout):
    """ "Run on: [host] File: [candidates file] Sizes: [sizes] Run Cancel Load run… Save trace…".

    Short button words: the bar fits a 1024 px screen in presentation mode; the tooltips say more.
    """

    file_chosen = Signal(str)
    """The user picked a candidate file: a bundled one, or one opened through "Open…"."""
    recording_chosen = Signal(str)
    """The user picked the entry of a recorded run whose candidate file is not here: its results file."""

    def __init__(self) -> None:
        super().__init__()
        self.file_combo = QComboBox()
        for path in bundled_kernel_files():
            self.file_combo.addItem(os.path.basename(path), path)
        self.file_combo.addItem(OPEN_ITEM, None)
        self.file_combo.setMinimumContentsLength(11)  # mandelbrot.py whole; the list shows longer names
        self.sizes_edit = QLineEdit()
        self.sizes_edit.setToolTip("Problem sizes, separated by commas or spaces (defaults come from the file)")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip(f"Run every candidate at every size ({RUN_SHORTCUT})")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run; the kernel worker is killed")
        self.load_button = QPushButton("Load run…")
        self.load_button.setToolTip(
            "Load a recorded lab run: a saved lab results JSON (its telemetry.json beside it comes along),"
            " or a folder holding them; dropping one on this tab does the same"
        )
        self.save_trace_button = QPushButton("Save trace…")
        self.save_trace_button.setToolTip("Save the telemetry trace shown on the right (JSON)")
        self.host_button = LabHostButton()
        self.addWidget(self.host_button)
        file_label = QLabel("File:")  # short: with Run on, the bar still fits 1024 px on a projector
        file_label.setToolTip("The candidate file: a bundled example, or one of yours (Open…)")
        self.addWidget(file_label)
        self.addWidget(self.file_combo)
        self.addWidget(QLabel("Sizes:"))
        self.addWidget(self.sizes_edit, 1)
        for button in (self.run_button, self.cancel_button, self.load_button, self.save_trace_button):
            self.addWidget(button)
        self.file_combo.activated.connect(self._on_file_chosen)
        self._shown_index = 0  # the entry on show, back in place when "Open…" is cancelled

    def sizes(self) -> list[int]:
        """The sizes typed in; ValueError with a plain message."""
        return parse_sizes(self.sizes_edit.text())

    def show_sizes(self, sizes: list[int]) -> None:
        self.sizes_edit.setText(", ".join(str(s) for s in sizes))

    def show_file(self, path: str | None, name: str = "", recording: str = "") -> None:
        """Name the file whose candidates are on show, adding it to the list when it is not there.

        ``path`` None: a recorded run of a file that is not on this computer, called ``name``;
        its entry (marked "recorded") brings back the run read from ``recording``.
        """
        combo = self.file_combo
        data: object
        if path is not None:
            found = next((i for i in range(combo.count()) if _same_file(combo.itemData(i), path)), -1)
            text, data = os.path.basename(path), path
        else:
            text, data = f"{name} (recorded)", {"recording": recording}
            found = combo.findText(text)
            if found >= 0:
                combo.setItemData(found, data)
        if found < 0:
            found = combo.count() - 1  # before "Open…"
            combo.insertItem(found, text, data)
        combo.setCurrentIndex(found)
        self._shown_index = found

    def set_running(self, running: bool, can_run: bool, can_save_trace: bool) -> None:
        """While a run is on, only Cancel (and Save trace, with live telemetry) stay available."""
        self.run_button.setEnabled(not running and can_run)
        self.cancel_button.setEnabled(running)
        self.load_button.setEnabled(not running)
        self.file_combo.setEnabled(not running)
        self.host_button.setEnabled(not running)
        self.save_trace_button.setEnabled(can_save_trace)

    def _on_file_chosen(self, index: int) -> None:
        path = self.file_combo.itemData(index)
        if isinstance(path, dict):
            if path.get("recording"):
                self.recording_chosen.emit(path["recording"])
            return
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.parentWidget(), "Open candidate file", os.getcwd(), "Python candidate files (*.py)"
            )
            if not path:
                self.file_combo.setCurrentIndex(self._shown_index)
                return
            self.show_file(path)
        self.file_chosen.emit(path)


def _same_file(data: object, path: str) -> bool:
    """Does a list entry's ``data`` name ``path`` (spelled another way: relative, through a link)?"""
    return isinstance(data, str) and os.path.realpath(data) == os.path.realpath(path)
