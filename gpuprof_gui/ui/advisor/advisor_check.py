"""The "Checked against the GPU run" section: the prediction's parts set against a traced run.

The user picks a run of the offloaded program traced on the GPU (its profile; the
``.gpu-trace.json`` beside it is read with it), or takes the traced run the window showed
last. The section shows :func:`gpuprof_gui.core.advice_check.check_advice`'s table — kernels,
copies, GPU start-up, the CPU part, what the model does not count, the whole program: predicted,
measured, ratio — and its sentences, the biggest contributor to the error first.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.core.advice_check import AdviceCheck, check_advice
from gpuprof_gui.core.advice_text import times
from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.fmt import DASH, format_time
from gpuprof_gui.core.gpu_trace import GpuTrace, gpu_trace_beside
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.opening import OpenError
from gpuprof_gui.ui.advisor.advisor_capacity import RULE_STYLE
from gpuprof_gui.ui.advisor.advisor_style import make_label
from gpuprof_gui.ui.shell.jobs_qt import QtJob

TITLE = "Checked against the GPU run"
PICK_BUTTON = "Check against a GPU run…"
LOADED_BUTTON = "Check against the traced run"
HINT = (
    "Run the offloaded program traced on the GPU (gpuprof profile --gpu-trace), then check each part of "
    "this prediction against what it measured."
)
HEADERS = ("", "predicted", "measured", "ratio")


def _open_traced_run(path: str) -> tuple[Profile, GpuTrace] | str:
    """(profile, trace) of a traced run, or the sentence saying why not (runs on a job thread)."""
    from gpuprof_gui.jobs.opening import open_profile
    from gpuprof_gui.protocol import GPU_TRACE_SUFFIX

    try:
        opened = open_profile(path)
    except OpenError as exc:
        return str(exc)
    trace, problem = gpu_trace_beside(path)
    if trace is None or opened.profile is None:
        return problem or (
            f"{os.path.basename(path)} has no GPU trace beside it ({os.path.basename(path)}{GPU_TRACE_SUFFIX}): "
            "trace the offloaded program on the GPU first."
        )
    return opened.profile, trace


class CheckSection(QWidget):
    """Buttons to pick the GPU run; the item table and the sentences once there is one."""

    check_changed = Signal(object)
    """The :class:`AdviceCheck` now shown, or None."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: tuple[Profile, GpuTrace, str] | None = None  # the GPU run checked against
        self.offered: tuple[Profile, GpuTrace, str] | None = None  # the traced run the window showed last
        self.advice: Advice | None = None
        self.check: AdviceCheck | None = None
        self.job: QtJob | None = None
        self.cells: dict[tuple[str, str], QLabel] = {}
        self.title = make_label(TITLE, "title", selectable=False)
        self.source = make_label("", "small", wrap=True)
        self.pick_button = QPushButton(PICK_BUTTON)
        self.pick_button.setToolTip("Open the profile of a run traced on the GPU; its .gpu-trace.json is read with it")
        self.pick_button.clicked.connect(self.pick_file)
        self.loaded_button = QPushButton(LOADED_BUTTON)
        self.loaded_button.clicked.connect(self.use_offered)
        self.loaded_button.hide()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.pick_button)
        buttons.addWidget(self.loaded_button)
        buttons.addStretch(1)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(2)
        self.text = make_label("", "text", wrap=True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addWidget(self.title)
        box.addWidget(self.source)
        box.addLayout(buttons)
        box.addLayout(self.grid)
        box.addWidget(self.text)
        self._show()

    # -- inputs ------------------------------------------------------------------------------
    def set_advice(self, advice: Advice | None, own_profile: Profile | None) -> None:
        """The advice now shown, and the profile it came from (a traced run of it is no check of it)."""
        self.advice = advice
        offered = self.offered is not None and self.offered[0] is not own_profile
        self.loaded_button.setVisible(offered and advice is not None)
        if offered and self.offered is not None:
            self.loaded_button.setToolTip(f"Check against {self.offered[2]}, the traced run the window showed last")
        self._show()

    def offer(self, profile: Profile, trace: GpuTrace, name: str) -> None:
        """A traced run the window showed: offered as the run to check against."""
        self.offered = (profile, trace, name)

    def use_offered(self, *_checked: object) -> None:
        if self.offered is not None:
            self.set_run(*self.offered)

    def set_run(self, profile: Profile, trace: GpuTrace, name: str) -> None:
        self.run = (profile, trace, name)
        self._show()

    def pick_file(self, *_checked: object) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, PICK_BUTTON.rstrip("…"), "", "Profiles (*.prof *.pstats *.json);;All files (*)"
        )
        if path:
            self.open_run(path)

    def open_run(self, path: str) -> QtJob:
        """Read the run on a job thread (a foreign .prof is parsed in a worker); the section shows it when done."""
        self.source.setText(f"Reading {os.path.basename(path)}…")
        job = QtJob(lambda _cancel: _open_traced_run(path), "check-run", self)
        job.done.connect(lambda result: self._opened(result, os.path.basename(path)))
        self.job = job
        job.start()
        return job

    def _opened(self, result: object, name: str) -> None:
        if isinstance(result, str):
            self.run = None
            self._show(error=result)
        elif isinstance(result, tuple):
            self.set_run(result[0], result[1], name)

    # -- drawing -----------------------------------------------------------------------------
    def _show(self, error: str = "") -> None:
        self._clear()
        self.check = None
        if self.run is not None and self.advice is not None:
            self.check = check_advice(self.advice, *self.run)
        if self.check is None:
            self.source.setText(error or HINT)
            self.text.hide()
        else:
            self._fill(self.check)
        self.check_changed.emit(self.check)

    def _fill(self, check: AdviceCheck) -> None:
        run = check.run
        facts = [run["name"], run.get("device") or "", f"{run['calls']:,} calls of the offloaded code"]
        self.source.setText(" · ".join(f for f in facts if f))
        for col, word in enumerate(HEADERS):
            self._add(make_label(f"<b>{word}</b>" if word else "", "text"), 0, col)
        for row, item in enumerate([*check.items, check.total], start=1):
            if item.key == "total":
                rule = QFrame()
                rule.setFrameShape(QFrame.Shape.HLine)
                rule.setStyleSheet(RULE_STYLE)
                self.grid.addWidget(rule, row, 0, 1, len(HEADERS))
                row += 1
            role = "value" if item.key in (check.worst, "total") else "text"
            ratio = DASH if item.ratio is None else times(item.ratio)
            values = (item.label, format_time(item.predicted_s), format_time(item.measured_s), ratio)
            for col, value in enumerate(values):
                label = make_label(value, role)
                if col:
                    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.cells[(item.key, HEADERS[col] or "item")] = label
                self._add(label, row, col)
        # Packed to the left: on a wide projector the numbers stay next to their names.
        self.grid.setColumnStretch(len(HEADERS), 1)
        sentences = check.sentences()
        body = "".join(f"<br>• {html.escape(s)}" for s in sentences[1:])
        self.text.setText(f"<b>{html.escape(sentences[0])}</b>{body}")
        self.text.show()

    def cell_text(self, key: str, column: str) -> str:
        return self.cells[(key, column)].text()

    def _add(self, widget: QWidget, row: int, col: int) -> None:
        self.grid.addWidget(widget, row, col)

    def _clear(self) -> None:
        self.cells.clear()
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
