"""The advisor's two tables of numbers: Amdahl (p, limit, s, S) and transfers (copies, break-even).

Each row is quantity | value | formula, the formula written out beside the number.
Bytes and calls per call are editable; an edit is reported by signal and the
panel recomputes the whole :class:`Advice` at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.core.advice_text import pct, times
from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.fmt import DASH, format_bytes, format_time
from gpuprof_gui.ui.advisor.advisor_state import NEEDS_GPU
from gpuprof_gui.ui.advisor.advisor_style import make_label, set_role

MIB = 2**20
MAX_MIB = 1e7  # 10 TiB per call: beyond any GPU's memory, so never a real limit
MAX_CALLS = 2**31 - 1


class FigureGrid(QGroupBox):
    """Rows of a quantity, then its value over its formula; kept by key for updates and tests."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        set_role(self, "title")
        self.grid = QGridLayout(self)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(6)
        self.grid.setColumnStretch(1, 1)
        self.values: dict[str, QLabel] = {}
        self.formulas: dict[str, QLabel] = {}

    def add_row(self, key: str, quantity: str, editor: QWidget | None = None) -> None:
        row = self.grid.rowCount()
        self.grid.addWidget(make_label(quantity, "text", wrap=True), row, 0, Qt.AlignmentFlag.AlignTop)
        # Numbers never wrap; a list of function names may (a wrapped label asks for a wide minimum).
        value = make_label(DASH, "value", wrap=key == "offload")
        self.values[key] = value
        formula = make_label("", "small", wrap=True)
        self.formulas[key] = formula
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        if editor is None:
            box.addWidget(value)
        else:
            value.hide()  # the editor shows the number; the label keeps its text for the tests
            box.addWidget(editor)
        box.addWidget(formula)
        self.grid.addWidget(cell, row, 1, Qt.AlignmentFlag.AlignTop)

    def finish(self) -> None:
        """Spare height goes below the last row, not between the rows."""
        self.grid.setRowStretch(self.grid.rowCount(), 1)

    def set_row(self, key: str, value: str, formula: str) -> None:
        self.values[key].setText(value)
        self.formulas[key].setText(formula)

    def clear(self, reason: str = "") -> None:
        """Dashes everywhere; ``reason`` in the first row says what would fill them."""
        for i, key in enumerate(self.values):
            self.set_row(key, DASH, reason if i == 0 else "")


class AmdahlFigures(FigureGrid):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Amdahl's law on the selection", parent)
        for key, quantity in (
            ("offload", "Offloaded"),
            ("total", "Run time T"),
            ("p", "Share p"),
            ("limit", "Amdahl limit"),
            ("s", "Kernel speed-up s"),
            ("predicted", "Speed-up S, kernel only"),
        ):
            self.add_row(key, quantity)
        self.finish()

    def set_advice(self, a: Advice, missing: str = NEEDS_GPU) -> None:
        """``missing``: why the GPU-measured rows are empty, when they are."""
        names = ", ".join(a.functions) or "the selection"
        self.set_row(
            "offload",
            names,
            "Ctrl/Shift-click rows in the Profile tab's table to add functions; nested calls count once",
        )
        self.set_row("total", format_time(a.total_s), "the profiled run")
        how = f" ({a.p_note})" if a.p_note else ""  # a union on an estimated call tree says so
        self.set_row(
            "p",
            pct(a.p),
            f"p = time in the selection / T = {format_time(a.p * a.total_s)} / {format_time(a.total_s)}{how}",
        )
        self.set_row("limit", times(a.amdahl_limit), "1 / (1 − p): what is left if the offloaded part took no time")
        if a.kernel_speedup is None:
            self.set_row("s", DASH, missing)
            self.set_row("predicted", DASH, "needs s")
        else:
            where = f"'{a.candidate}' at size {a.size:,}" if a.size else f"'{a.candidate}'"
            self.set_row(
                "s", times(a.kernel_speedup), f"CPU time / GPU kernel time: {where} on {a.device or 'the GPU'}"
            )
            self.set_row("predicted", times(a.predicted_speedup), "1 / ((1 − p) + p / s)")


class TransferFigures(FigureGrid):
    bytes_edited = Signal(object)
    """Bytes per call typed by the user (float), or None after Reset (the candidate's own)."""
    calls_edited = Signal(object)
    """Calls per run typed by the user (int), or None after Reset (the profile's count)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Transfers: copies over PCIe", parent)
        self.bytes_spin = QDoubleSpinBox()
        self.bytes_spin.setRange(0.0, MAX_MIB)
        self.bytes_spin.setDecimals(3)
        self.bytes_spin.setSuffix(" MiB")
        self.bytes_spin.setToolTip("Bytes crossing PCIe per call (to the GPU and back)")
        self.bytes_reset = QPushButton("Reset")
        self.bytes_reset.setToolTip("Back to the candidate's own inputs and output")
        self.calls_spin = QSpinBox()
        self.calls_spin.setRange(0, MAX_CALLS)
        self.calls_spin.setGroupSeparatorShown(True)
        self.calls_spin.setToolTip("How often the offloaded code runs per program run")
        self.calls_reset = QPushButton("Reset")
        self.calls_reset.setToolTip("Back to the profile's call count")
        self.add_row("bytes", "Bytes per call", _pair(self.bytes_spin, self.bytes_reset))
        self.add_row("gbps", "Copy bandwidth")
        self.add_row("calls", "Calls per run", _pair(self.calls_spin, self.calls_reset))
        for key, quantity in (
            ("transfer", "Copy time per run"),
            ("setup", "GPU start-up"),
            ("predicted", "Speed-up S, with copies"),
            ("time", "Predicted run time"),
            ("be_time", "Break-even copy time"),
            ("be_bytes", "Break-even bytes"),
            ("be_s", "Break-even kernel speed-up"),
        ):
            self.add_row(key, quantity)
        self.notes = make_label("", "small", wrap=True)
        self.grid.addWidget(self.notes, self.grid.rowCount(), 0, 1, 2)
        self.finish()
        self.bytes_spin.valueChanged.connect(self._on_bytes)
        self.calls_spin.valueChanged.connect(self._on_calls)
        self.bytes_reset.clicked.connect(self._reset_bytes)
        self.calls_reset.clicked.connect(self._reset_calls)

    def clear(self, reason: str = "") -> None:
        super().clear(reason)
        for widget in (self.bytes_spin, self.calls_spin, self.bytes_reset, self.calls_reset):
            widget.setEnabled(False)
        self.notes.hide()

    def _on_bytes(self, mib: float) -> None:
        self.bytes_edited.emit(mib * MIB)

    def _on_calls(self, calls: int) -> None:
        self.calls_edited.emit(int(calls))

    def _reset_bytes(self) -> None:
        self.bytes_edited.emit(None)

    def _reset_calls(self) -> None:
        self.calls_edited.emit(None)

    def set_advice(self, a: Advice, bytes_edited: bool, calls_edited: bool, missing: str = NEEDS_GPU) -> None:
        """``missing``: why the GPU-measured rows are empty, when they are."""
        for spin in (self.bytes_spin, self.calls_spin):
            spin.blockSignals(True)  # showing a value is not an edit
        self.bytes_spin.setValue((a.bytes_per_call or 0.0) / MIB)
        self.calls_spin.setValue(a.calls)
        for spin in (self.bytes_spin, self.calls_spin):
            spin.blockSignals(False)
        # Without a measured bandwidth, bytes give no time: the box would edit nothing.
        self.bytes_spin.setEnabled(bool(a.transfer_gbps))
        self.calls_spin.setEnabled(True)
        self.bytes_reset.setEnabled(bytes_edited)
        self.calls_reset.setEnabled(calls_edited)
        size = f" at size {a.size:,}" if a.size else ""
        self.set_row(
            "bytes",
            format_bytes(a.bytes_per_call),
            "entered by hand"
            if bytes_edited
            else (f"the candidate's inputs + output{size}" if a.bytes_per_call else missing),
        )
        self.set_row(
            "gbps",
            f"{a.transfer_gbps:.2f} GB/s" if a.transfer_gbps else DASH,
            "measured: host→device + device→host, pageable memory, bytes / time" if a.transfer_gbps else missing,
        )
        self.set_row("calls", f"{a.calls:,}", "entered by hand" if calls_edited else "counted by the profile")
        gpu = a.transfer_s is not None
        self.set_row(
            "transfer",
            format_time(a.transfer_s),
            f"calls × time per call = {a.calls:,} × {format_time(a.transfer_s_per_call)}" if gpu else missing,
        )
        self.set_row(
            "setup",
            format_time(a.setup_s),
            "once per run: importing CuPy, creating the context, loading the kernel"
            if a.setup_s is not None
            else missing,
        )
        self.set_row(
            "predicted",
            times(a.predicted_speedup_with_transfers),
            "1 / ((1 − p) + p / s + (copies + start-up) / T)"
            if a.predicted_speedup_with_transfers
            else "needs s and the copy time",
        )
        self.set_row(
            "time",
            format_time(a.predicted_time_s),
            f"T / S = {format_time(a.total_s)} / {times(a.predicted_speedup_with_transfers)}"
            if a.predicted_time_s
            else "needs S",
        )
        self._break_even(a, missing)
        self.notes.setText(" ".join(a.notes))
        self.notes.setVisible(bool(a.notes))

    def _break_even(self, a: Advice, missing: str) -> None:
        be_t, be_b, be_s = a.break_even_transfer_s_per_call, a.break_even_bytes_per_call, a.break_even_kernel_speedup
        if a.kernel_speedup is None:
            for key in ("be_time", "be_bytes", "be_s"):
                self.set_row(key, DASH, missing)
            return
        self.set_row(
            "be_time",
            format_time(be_t) + " / call" if be_t else "no gain",
            "(p·T·(1 − 1/s) − start-up) / calls: copies longer than this eat the whole gain"
            if be_t
            else "nothing to break even on: no calls, or start-up alone eats the gain",
        )
        self.set_row(
            "be_bytes",
            format_bytes(be_b) + " / call" if be_b else DASH,
            "break-even copy time × bandwidth" if be_b else "needs the break-even time and the bandwidth",
        )
        if be_s is not None:
            self.set_row("be_s", times(be_s), "p / (p − overhead): slower kernels lose time")
        elif a.overhead_fraction is not None:
            self.set_row("be_s", "none", "the copies alone take longer than the hotspot on the CPU")
        else:
            self.set_row("be_s", DASH, "needs the copy time")


def _pair(editor: QWidget, button: QPushButton) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(editor)
    row.addWidget(button)
    row.addStretch(1)
    return box
