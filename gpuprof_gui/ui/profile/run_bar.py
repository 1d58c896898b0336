"""The run bar: script, arguments, profiler, timeout, Run / Cancel, elapsed time."""

from __future__ import annotations

import shlex

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QToolButton,
    QWidget,
)

from gpuprof_gui.ui.profile.host_button import HostButton
from gpuprof_gui.ui.profile.python_button import PythonButton
from gpuprof_gui.ui.style.theme import set_view_font

PROFILERS = (("cProfile", "cprofile"), ("Scalene", "scalene"), ("py-spy", "py-spy"))
ELAPSED_ROOM = "0000.0 s "  # the elapsed label is this wide, so the bar does not jump as it counts
FIELD_ROOM_CHARS = 30
"""On one row, the script and argument fields keep at least this many characters between them."""


class RunBar(QWidget):
    """Holds what the next run will do; the window owns the actions it shows."""

    browse_requested = Signal()
    """The user clicked "…" next to the script field."""

    def __init__(self, run_action: QAction, cancel_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.script_edit = QLineEdit()
        self.script_edit.setPlaceholderText("Script to profile (drop a .py here, or Ctrl+O)")
        self.script_edit.setClearButtonEnabled(True)
        self.script_edit.returnPressed.connect(run_action.trigger)
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip("Choose a script")
        browse.clicked.connect(self.browse_requested)
        self.args_edit = QLineEdit()
        self.args_edit.setPlaceholderText("arguments")
        self.args_edit.setToolTip("Arguments passed to the script (shell-style quoting)")
        self.args_edit.returnPressed.connect(run_action.trigger)
        self.profiler_combo = QComboBox()
        for label, key in PROFILERS:
            self.profiler_combo.addItem(label, key)
        self.profiler_combo.setToolTip(
            "cProfile: exact per-function times and call counts.\n"
            "Scalene: sampled per-line CPU (Python/native/system), memory, true stacks.\n"
            "py-spy: sampled true stacks of the script and of every child process."
        )
        self.native_check = QCheckBox("native")
        self.native_check.setToolTip("py-spy: include native (C/C++) frames, where py-spy can unwind them")
        self.gpu_trace_check = QCheckBox("Trace GPU")
        self.gpu_trace_check.setToolTip(
            "cProfile: also record every kernel, copy and synchronisation on the GPU (CUPTI) and tie\n"
            "each to the Python line that caused it: GPU columns in the table and source, and the GPU\n"
            "timeline tab. Needs an NVIDIA GPU and NVIDIA's CUPTI bindings (pip install cupti-python)."
        )
        self.profiler_combo.currentIndexChanged.connect(self._profiler_changed)
        self._profiler_changed()
        self.python_button = PythonButton()
        self.host_button = HostButton()
        self.host_button.host_changed.connect(lambda _host: self.sync_python())
        self.script_edit.textChanged.connect(lambda _text: self.python_button.set_script(self.script))
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(0, 24 * 3600)
        self.timeout_spin.setDecimals(0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setSpecialValueText("no timeout")
        self.timeout_spin.setToolTip("Stop the script after this long (0: never)")
        run_button = QToolButton()
        run_button.setDefaultAction(run_action)
        cancel_button = QToolButton()
        cancel_button.setDefaultAction(cancel_action)
        self.elapsed_label = QLabel("")
        self.elapsed_label.setMinimumWidth(self.fontMetrics().horizontalAdvance(ELAPSED_ROOM))

        # Where it fits, one row; on a narrow or projector screen the fields take a row of
        # their own above the choices and buttons, so the bar never widens the window.
        fields = QHBoxLayout()
        fields.addWidget(self.host_button)  # the fields' row shrinks (the script field gives room)
        fields.addWidget(QLabel("Script:"))
        fields.addWidget(self.script_edit, 3)
        fields.addWidget(browse)
        fields.addWidget(QLabel("Args:"))
        fields.addWidget(self.args_edit, 2)
        choices = QHBoxLayout()
        choice_widgets = (
            self.python_button,
            self.profiler_combo,
            self.native_check,
            self.gpu_trace_check,
            self.timeout_spin,
        )
        for choice in choice_widgets:
            choices.addWidget(choice)
        choices.addStretch(0)
        for widget in (run_button, cancel_button, self.elapsed_label):
            choices.addWidget(widget)
        self._rows = (fields, choices)
        self._layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(4, 2, 4, 2)
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._layout.addLayout(fields, 1)
        self._layout.addLayout(choices, 0)

    # -- one row or two ----------------------------------------------------------------------
    def one_row_width(self) -> int:
        """The narrowest width that still shows everything on one row with room to type a path."""
        fields, choices = self._rows
        margins = self._layout.contentsMargins()
        typing_room = self.fontMetrics().horizontalAdvance("x") * FIELD_ROOM_CHARS
        return (
            fields.minimumSize().width()
            + typing_room
            + choices.sizeHint().width()
            + self._layout.spacing()
            + margins.left()
            + margins.right()
        )

    @property
    def wrapped(self) -> bool:
        """True while the fields and the choices are on two rows."""
        return self._layout.direction() == QBoxLayout.Direction.TopToBottom

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """As narrow as the wider of the two rows: the bar wraps rather than widen the window."""
        fields, choices = self._rows
        margins = self._layout.contentsMargins()
        width = max(fields.minimumSize().width(), choices.minimumSize().width()) + margins.left() + margins.right()
        rows = (fields, choices) if self.wrapped else (self._layout,)
        height = sum(r.minimumSize().height() for r in rows) + margins.top() + margins.bottom()
        return QSize(width, height + (self._layout.spacing() if self.wrapped else 0))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self.minimumSizeHint().height()))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        self._arrange(event.size().width())
        super().resizeEvent(event)

    def _arrange(self, width: int) -> None:
        direction = (
            QBoxLayout.Direction.LeftToRight if width >= self.one_row_width() else QBoxLayout.Direction.TopToBottom
        )
        if direction != self._layout.direction():
            self._layout.setDirection(direction)
            self.updateGeometry()  # the page gives the bar its new height

    # -- values ----------------------------------------------------------------------------
    @property
    def script(self) -> str:
        return self.script_edit.text().strip()

    def set_script(self, path: str) -> None:
        self.script_edit.setText(path)

    def script_args(self) -> list[str]:
        """Arguments split shell-style; an unbalanced quote raises ValueError."""
        return shlex.split(self.args_edit.text())

    def set_args(self, args: list[str]) -> None:
        self.args_edit.setText(shlex.join(args))

    @property
    def profiler(self) -> str:
        return str(self.profiler_combo.currentData())

    @property
    def native(self) -> bool:
        """py-spy only: native frames too."""
        return self.profiler == "py-spy" and self.native_check.isChecked()

    @property
    def gpu_trace(self) -> bool:
        """cProfile only: trace the GPU too."""
        return self.profiler == "cprofile" and self.gpu_trace_check.isChecked()

    def set_gpu_trace(self, on: bool) -> None:
        if on:
            self.set_profiler("cprofile")
        self.gpu_trace_check.setChecked(on)

    def _profiler_changed(self, *_args) -> None:
        self.native_check.setVisible(self.profiler == "py-spy")
        self.gpu_trace_check.setVisible(self.profiler == "cprofile")

    def set_profiler(self, key: str) -> None:
        index = self.profiler_combo.findData(key)
        if index >= 0:
            self.profiler_combo.setCurrentIndex(index)

    @property
    def timeout_s(self) -> float | None:
        return self.timeout_spin.value() or None

    def set_running(self, running: bool) -> None:
        for w in (
            self.script_edit,
            self.args_edit,
            self.host_button,
            self.python_button,
            self.profiler_combo,
            self.native_check,
            self.gpu_trace_check,
            self.timeout_spin,
        ):
            w.setEnabled(not running)
        self.sync_python()

    def sync_python(self) -> None:
        """On a host the script runs in that host's python3: the local Python choice does not apply."""
        remote = self.host_button.host is not None
        self.python_button.setEnabled(not remote and self.script_edit.isEnabled())
        self.python_button.show_remote(self.host_button.host)

    def set_elapsed(self, seconds: float | None) -> None:
        self.elapsed_label.setText("" if seconds is None else f"{seconds:.1f} s")

    def set_presentation(self, on: bool) -> None:
        """Every field and button at the projector size; the elapsed time keeps its room."""
        set_view_font(self, on)
        self.elapsed_label.setMinimumWidth(self.elapsed_label.fontMetrics().horizontalAdvance(ELAPSED_ROOM))
        self._arrange(self.width())  # the same width may no longer hold one row at the new size
