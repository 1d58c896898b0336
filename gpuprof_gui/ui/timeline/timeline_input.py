"""The GPU timeline's view state and input: the visible time range, zoom (wheel around the cursor,
+/−, Ctrl+0 or Home to reset), pan (drag, arrow keys), hover tooltips and clicks.

:class:`TimelineInput` keeps the view range in nanoseconds; :class:`~.timeline_canvas.TimelineCanvas`
draws it. Kept apart so the canvas file stays about drawing, as the flame graph's is.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QHelpEvent, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from gpuprof_gui.core.gpu_timeline import Row, trace_span
from gpuprof_gui.core.gpu_timeline_marks import Mark
from gpuprof_gui.core.gpu_trace import GpuTrace

ZOOM_PER_NOTCH = 1.25  # one wheel notch zooms 25%, as the flame graph's
WHEEL_NOTCH = 120.0
KEY_ZOOM = 1.5  # +/− zoom by half again, as the window's zoom actions
PAN_STEP = 0.1  # an arrow key moves a tenth of the view
DRAG_THRESHOLD_PX = 4  # less movement between press and release is a click
MIN_SPAN_NS = 100  # deepest zoom: 100 ns across the view (CUPTI times are whole ns)
OWN_KEYS = frozenset({Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus, Qt.Key.Key_Underscore, Qt.Key.Key_Home,
                      Qt.Key.Key_0, Qt.Key.Key_Left, Qt.Key.Key_Right})  # fmt: skip
MARGIN = 0.02  # the reset view leaves 2% of room either side, so the first and last events are not on the edge


class TimelineInput(QWidget):
    """Time range, zoom, pan, hit-testing hooks; subclasses paint and say what is under a point."""

    line_clicked = Signal(str, int)
    """(file, line) of the Python line that issued the event clicked."""
    view_changed = Signal()
    """The visible time range moved (zoom or pan)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.trace: GpuTrace | None = None
        self.rows: list[Row] = []
        self.marks: list[Mark] = []
        self._full = (0.0, 1.0)
        self._t0, self._t1 = 0.0, 1.0
        self._press: QPointF | None = None
        self._press_view = (0.0, 1.0)
        self._dragging = False

    # -- the view range ------------------------------------------------------------------------
    def plot_left(self) -> float:
        raise NotImplementedError

    def plot_width(self) -> float:
        return max(1.0, self.width() - self.plot_left())

    @property
    def view_range(self) -> tuple[float, float]:
        """Visible time range in ns on the trace's axis."""
        return self._t0, self._t1

    def reset_view(self) -> None:
        lo, hi = trace_span(self.trace) if self.trace is not None else (0, 1)
        pad = (hi - lo) * MARGIN
        self._full = (lo - pad, hi + pad)
        self.set_view(*self._full)

    def set_view(self, t0: float, t1: float) -> None:
        span = max(MIN_SPAN_NS, t1 - t0)
        mid = (t0 + t1) / 2 if t1 - t0 < MIN_SPAN_NS else None
        if mid is not None:
            t0, t1 = mid - span / 2, mid + span / 2
        self._t0, self._t1 = t0, t0 + span
        self.view_changed.emit()
        self.update()

    def time_at(self, x: float) -> float:
        return self._t0 + (x - self.plot_left()) / self.plot_width() * (self._t1 - self._t0)

    def x_of(self, t: float) -> float:
        return self.plot_left() + (t - self._t0) / (self._t1 - self._t0) * self.plot_width()

    def zoom_by(self, factor: float, x: float | None = None) -> None:
        """Zoom in (factor > 1) keeping the time under pixel ``x`` (default: the middle) where it is."""
        if self.trace is None:
            return
        x = self.plot_left() + self.plot_width() / 2 if x is None else x
        anchor = self.time_at(x)
        span = max(MIN_SPAN_NS, (self._t1 - self._t0) / factor)
        frac = (x - self.plot_left()) / self.plot_width()
        self.set_view(anchor - frac * span, anchor - frac * span + span)

    def pan_by(self, fraction: float) -> None:
        shift = (self._t1 - self._t0) * fraction
        self.set_view(self._t0 + shift, self._t1 + shift)

    def zoom_to(self, t0: float, t1: float) -> None:
        """Show [t0, t1] with a fifth of its length of room either side (a mark clicked in the summary)."""
        pad = max(MIN_SPAN_NS, t1 - t0) / 5
        self.set_view(t0 - pad, t1 + pad)

    # -- hooks of the canvas ---------------------------------------------------------------------
    def event_at(self, pos: QPointF) -> tuple[int, int] | None:
        """(category, index in its table) of the event under ``pos``, or None."""
        raise NotImplementedError

    def tooltip_at(self, pos: QPointF) -> str:
        raise NotImplementedError

    def frame_of(self, cat: int, index: int) -> tuple[str, int, str] | None:
        raise NotImplementedError

    # -- events ----------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta and event.position().x() >= self.plot_left():
            self.zoom_by(ZOOM_PER_NOTCH ** (delta / WHEEL_NOTCH), event.position().x())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._press, self._press_view, self._dragging = event.position(), (self._t0, self._t1), False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._press is None:
            return
        dx = event.position().x() - self._press.x()
        if abs(dx) >= DRAG_THRESHOLD_PX:
            self._dragging = True
        if self._dragging:
            t0, t1 = self._press_view
            shift = -dx / self.plot_width() * (t1 - t0)
            self.set_view(t0 + shift, t1 + shift)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        clicked = self._press is not None and not self._dragging and event.button() == Qt.MouseButton.LeftButton
        self._press, self._dragging = None, False
        if clicked:
            hit = self.event_at(event.position())
            frame = self.frame_of(*hit) if hit is not None else None
            if frame is not None:
                self.line_clicked.emit(frame[0], frame[1])

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, ctrl = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(KEY_ZOOM)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_by(1 / KEY_ZOOM)
        elif key == Qt.Key.Key_Home or (ctrl and key == Qt.Key.Key_0):
            self.reset_view()
        elif key == Qt.Key.Key_Left:
            self.pan_by(-PAN_STEP)
        elif key == Qt.Key.Key_Right:
            self.pan_by(PAN_STEP)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and event.key() in OWN_KEYS:
            event.accept()  # the window's Ctrl+0 / zoom shortcuts are the flame graph's: these keys are ours here
            return True
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
