"""The GPU timeline canvas: one batched paint per frame.

Top to bottom: the time axis, a lane of highlight bars (idle gaps, stalls), one lane per row (CPU
threads' CUDA calls and NVTX ranges, GPU streams with their sync waits as a thin strip), and the
telemetry strip (GPU utilisation and memory used) when the run has one. Each row asks
:func:`~gpuprof_gui.core.gpu_timeline.row_lod` what to draw at this zoom, and every rectangle of a
colour goes to one ``drawRects`` call from a numpy array, as the flame graph's do: a million events
draw as at most about rows × width rectangles.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import shiboken6
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from gpuprof_gui.core.fmt import format_time
from gpuprof_gui.core.gpu_timeline import CATEGORIES, SYNC, Row, row_lod, timeline_rows
from gpuprof_gui.core.gpu_timeline import event_at as row_event_at
from gpuprof_gui.core.gpu_timeline_marks import describe_event, event_frame, idle_marks, stall_marks
from gpuprof_gui.core.gpu_trace import Frame, GpuTrace
from gpuprof_gui.core.gpu_trace_summary import merged
from gpuprof_gui.ui.style.palette import TIMELINE_BAND_ALPHA, TIMELINE_MARKS, app_is_dark, qcolour, theme_colours
from gpuprof_gui.ui.timeline.timeline_input import TimelineInput

ROW_MIN_LINES = 1.7  # a lane is at least this many text lines tall (its label and some room)
ROW_MAX_LINES = 40.0  # and at most this many: a trace of a few rows fills the canvas, no blank below
WAITS_SHARE = 0.28  # the sync-wait strip takes this share of a stream's lane
TELEMETRY_LINES = 5.0  # the telemetry strip is at least this many text lines tall
TELEMETRY_MAX_SHARE = 0.4
LABEL_PAD_PX = 6
LABEL_MAX_SHARE = 0.3  # row labels take at most 30% of the width; longer ones are elided
MIN_BAND_PX = 2.0  # a highlight narrower than this is drawn this wide, so a short stall still shows
TICK_TARGET_PX = 110  # about one axis label per this many pixels
HIT_SLACK_PX = 2.0  # a hover or click this close to an event counts as on it
NICE_STEPS = (1, 2, 5)


def _draw_rects(painter: QPainter, rects: np.ndarray) -> None:
    """``drawRects`` straight from a C-contiguous (n, 4) float64 array."""
    if rects.shape[0]:
        painter.drawRects(cast(QRectF, shiboken6.wrapInstance(rects.ctypes.data, QRectF)), rects.shape[0])


def tick_step_ns(span_ns: float, ticks: float) -> float:
    """A 1-2-5 step giving about ``ticks`` ticks over ``span_ns``."""
    raw = span_ns / max(1.0, ticks)
    power = 10 ** math.floor(math.log10(max(raw, 1.0)))
    return next((s * power for s in NICE_STEPS if s * power >= raw), 10 * power)


class TimelineCanvas(TimelineInput):
    """Draws a :class:`GpuTrace` as rows on a time axis; zoom, pan, hover and click from its base."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.last_paint_stats = {"rects": 0, "events": 0}
        self.telemetry: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None  # t, util %, t, MiB
        self._memory_top = 0.0
        self._presentation = False
        self._mark_arrays = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))
        self._labels_px: int | None = None  # the widest row label, measured once per trace and font
        self._apply_style()

    # -- data ------------------------------------------------------------------------------------
    def set_trace(self, trace: GpuTrace | None, rows: list[Row] | None = None) -> None:
        """Show ``trace`` (``rows`` may be built off the GUI thread) from end to end."""
        self.trace = trace
        self.rows = (rows if rows is not None else timeline_rows(trace)) if trace is not None else []
        self.marks = (idle_marks(trace) + stall_marks(trace)) if trace is not None else []
        self.telemetry = None
        self._labels_px = None
        starts = np.array([m.start for m in self.marks], dtype=np.int64)
        ends = np.array([m.end for m in self.marks], dtype=np.int64)
        gap = np.array([m.kind == "gap" for m in self.marks], dtype=bool)
        self._mark_arrays = (starts, ends, gap)
        self.reset_view()
        self.updateGeometry()

    def set_telemetry(
        self, t_util_ns: np.ndarray, util_pct: np.ndarray, t_memory_ns: np.ndarray, memory_mib: np.ndarray
    ) -> None:
        """Utilisation (the driver's own samples) and memory used (polled), each on its own times."""
        self.telemetry = (t_util_ns, util_pct, t_memory_ns, memory_mib)
        finite = np.isfinite(memory_mib)
        self._memory_top = float(np.max(memory_mib[finite])) if finite.any() else 0.0  # the strip's scale
        self._labels_px = None
        self.update()

    def set_presentation(self, on: bool) -> None:
        self._presentation = bool(on)
        self._apply_style()
        self.update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange, QEvent.Type.ApplicationFontChange):
            self._apply_style()
        super().changeEvent(event)

    def _apply_style(self) -> None:
        self._styled_font = self.font()
        self._fm = QFontMetrics(self._styled_font)
        dark = app_is_dark()
        c = theme_colours(dark, self._presentation)
        self._bg, self._text, self._grid = QColor(c.base), QColor(c.text), QColor(c.muted)
        fills = {"kernel": c.series[0], "copy": c.series[1], "memset": c.series[2], "api": c.muted,
                 "range": c.series[3], "sync": TIMELINE_MARKS[dark][1]}  # fmt: skip
        self._fills = [QColor(fills[name]) for name in CATEGORIES]
        self._util, self._memory = QColor(c.series[0]), QColor(c.series[1])
        gap, stall = TIMELINE_MARKS[dark]
        self._gap, self._stall = QColor(gap), QColor(stall)
        self._gap_band = qcolour(gap, TIMELINE_BAND_ALPHA)
        self._stall_band = QBrush(QColor(stall), Qt.BrushStyle.BDiagPattern)
        self._line_h = self._fm.height()
        self._axis_h = self._line_h + 8
        self._marks_h = max(6, self._line_h // 2)
        self._labels_px = None
        self.update()

    # -- geometry --------------------------------------------------------------------------------
    def plot_left(self) -> float:
        if self._labels_px is None:  # measured once per trace, font and telemetry
            texts = [r.label for r in self.rows] + (["GPU utilisation"] if self.telemetry is not None else [])
            self._labels_px = max((self._fm.horizontalAdvance(t) for t in texts), default=0)
        return float(min(self._labels_px + 2 * LABEL_PAD_PX + 4, int(self.width() * LABEL_MAX_SHARE)))

    def _rows_top(self) -> float:
        return float(self._axis_h + self._marks_h + 2)

    def _telemetry_h(self) -> float:
        """At least TELEMETRY_LINES lines; the room the rows leave, up to TELEMETRY_MAX_SHARE of the canvas
        (a trace with a few rows leaves no blank half-window under them)."""
        if self.telemetry is None:
            return 0.0
        least = TELEMETRY_LINES * self._line_h
        spare = self.height() - self._rows_top() - len(self.rows) * ROW_MAX_LINES * self._line_h - 4
        return max(least, min(spare, TELEMETRY_MAX_SHARE * self.height()))  # fills only what rows leave

    def row_height(self) -> float:
        room = self.height() - self._rows_top() - self._telemetry_h() - 4
        lines = room / max(1, len(self.rows)) / self._line_h
        return self._line_h * min(ROW_MAX_LINES, max(ROW_MIN_LINES, lines))

    def row_top(self, i: int) -> float:
        return self._rows_top() + i * self.row_height()

    def minimumSizeHint(self):  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        hint.setHeight(int(self._rows_top() + 2 * self._line_h * ROW_MIN_LINES + self._telemetry_h()))
        return hint

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if self.font() != self._styled_font:  # the application font changed (presentation mode) after the style
            self._apply_style()
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), self._bg)
            if self.trace is not None:
                self._paint(p)
        finally:
            p.end()

    def _paint(self, p: QPainter) -> None:
        left, width = self.plot_left(), int(self.plot_width())
        t0, t1 = self.view_range
        lo, hi = math.floor(t0), math.ceil(t1)
        row_h, rows_top = self.row_height(), self._rows_top()
        rows_bottom = rows_top + row_h * len(self.rows)
        p.setClipRect(QRectF(left, 0, width, self.height()))
        self._paint_marks(p, rows_top, rows_bottom)
        batches: list[list[np.ndarray]] = [[] for _ in CATEGORIES]
        events = 0
        for i, row in enumerate(self.rows):
            top = rows_top + i * row_h + 1
            h = row_h - 2
            if row.waits is not None:
                wait_h = max(3.0, h * WAITS_SHARE)
                events += self._row_rects(row.waits, lo, hi, width, top + h - wait_h, wait_h, batches)
                h -= wait_h + 1
            events += self._row_rects(row, lo, hi, width, top, h, batches)
        p.setPen(Qt.PenStyle.NoPen)
        rects = 0
        for cat, parts in enumerate(batches):
            if parts:
                arr = np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)
                p.setBrush(self._fills[cat])
                _draw_rects(p, arr)
                rects += len(arr)
        self.last_paint_stats = {"rects": rects, "events": events}
        p.setClipping(False)
        self._paint_telemetry(p, left, width, rows_bottom + 4)
        self._paint_axis(p, left, width)
        self._paint_labels(p, rows_top, row_h)

    def _row_rects(self, row: Row, lo: int, hi: int, width: int, y: float, h: float, batches) -> int:
        lod = row_lod(row, lo, hi, width)
        left, t0, t1 = self.plot_left(), *self.view_range
        scale = width / (t1 - t0)
        x0 = left + (lod.wide_start - t0) * scale
        x1 = np.maximum(left + (lod.wide_end - t0) * scale, x0 + 1.0)
        for cat in np.unique(lod.wide_cat):
            sel = lod.wide_cat == cat
            n = int(sel.sum())
            batches[cat].append(np.column_stack([x0[sel], np.full(n, y), (x1 - x0)[sel], np.full(n, h)]))
        # The merged columns: one pixel each, as tall as the share of the column the row was busy, in
        # quarters (at least one, so a column of very short events still shows); neighbouring columns of
        # one category and height are one rectangle, so a busy stretch is a single drawRects entry.
        col_ns = (hi - lo) / width
        cols, cats = lod.narrow_col, lod.narrow_cat
        level = np.clip(np.ceil(lod.column_busy_ns[cols] / max(col_ns, 1e-9) * 4), 1, 4)
        if len(cols):
            new_run = np.ones(len(cols), dtype=bool)
            new_run[1:] = (np.diff(cols) != 1) | (np.diff(cats) != 0) | (np.diff(level) != 0)
            first = np.flatnonzero(new_run)
            run_w = np.diff(np.append(first, len(cols))).astype(np.float64)
            cols, cats, level = cols[first], cats[first], level[first]
            ch = h * level / 4
            for cat in np.unique(cats):
                sel = cats == cat
                batches[cat].append(np.column_stack([left + cols[sel], y + h - ch[sel], run_w[sel], ch[sel]]))
        return int(lod.column_count.sum())

    def _paint_marks(self, p: QPainter, rows_top: float, rows_bottom: float) -> None:
        """Gap bands (translucent) and stall bands (hatched) through the rows, and solid bars in the lane
        under the axis: four drawRects calls however many marks there are."""
        starts, ends, gap = self._mark_arrays
        t0, t1 = self.view_range
        seen = (ends >= t0) & (starts <= t1)
        if not seen.any():
            return
        scale = self.plot_width() / (t1 - t0)
        x0 = self.plot_left() + (starts[seen] - t0) * scale
        x1 = self.plot_left() + (ends[seen] - t0) * scale
        thin = x1 - x0 < MIN_BAND_PX
        mid = (x0 + x1) / 2
        x0, x1 = np.where(thin, mid - MIN_BAND_PX / 2, x0), np.where(thin, mid + MIN_BAND_PX / 2, x1)
        p.setPen(Qt.PenStyle.NoPen)
        for is_gap, band, bar in ((True, QBrush(self._gap_band), self._gap), (False, self._stall_band, self._stall)):
            sel = gap[seen] == is_gap
            n = int(sel.sum())
            if not n:
                continue
            xs, xe = merged(x0[sel], x1[sel])  # overlapping marks drawn once: no overdraw, fewer rects
            n, ws = len(xs), xe - xs
            p.setBrush(band)
            _draw_rects(p, np.column_stack([xs, np.full(n, rows_top), ws, np.full(n, rows_bottom - rows_top)]))
            p.setBrush(bar)
            _draw_rects(p, np.column_stack([xs, np.full(n, float(self._axis_h)), ws, np.full(n, float(self._marks_h))]))

    def _paint_axis(self, p: QPainter, left: float, width: int) -> None:
        t0, t1 = self.view_range
        step = tick_step_ns(t1 - t0, width / TICK_TARGET_PX)
        p.setPen(QPen(self._grid, 1))
        p.drawLine(QPointF(left, self._axis_h - 1), QPointF(left + width, self._axis_h - 1))
        p.setPen(self._text)
        first = math.ceil(t0 / step) * step
        for k in range(int((t1 - first) // step) + 1):
            t = first + k * step
            x = self.x_of(t)
            p.setPen(QPen(self._grid, 1))
            p.drawLine(QPointF(x, self._axis_h - 5), QPointF(x, self._axis_h - 1))
            text = format_time(t / 1e9) if abs(t) >= 0.5 else "0"
            tw = self._fm.horizontalAdvance(text)
            if x + tw / 2 <= left + width and x - tw / 2 >= left:
                p.setPen(self._text)
                p.drawText(QPointF(x - tw / 2, self._fm.ascent() + 1), text)

    def _paint_labels(self, p: QPainter, rows_top: float, row_h: float) -> None:
        left = self.plot_left()
        p.fillRect(QRectF(0, 0, left, self.height()), self._bg)
        p.setPen(self._text)
        room = int(left - 2 * LABEL_PAD_PX)
        for i, row in enumerate(self.rows):
            text = self._fm.elidedText(row.label, Qt.TextElideMode.ElideMiddle, room)
            p.drawText(QPointF(LABEL_PAD_PX, rows_top + i * row_h + self._fm.ascent() + 3), text)
            p.setPen(QPen(self._grid, 1, Qt.PenStyle.DotLine))
            y = rows_top + (i + 1) * row_h
            p.drawLine(QPointF(0, y), QPointF(self.width(), y))
            p.setPen(self._text)
        if self.telemetry is not None:
            top = rows_top + len(self.rows) * row_h + 4
            for k, (text, colour) in enumerate(self._telemetry_labels()):
                p.setPen(colour)
                label = self._fm.elidedText(text, Qt.TextElideMode.ElideRight, room)
                p.drawText(QPointF(LABEL_PAD_PX, top + self._fm.ascent() + k * self._line_h), label)

    def _telemetry_labels(self) -> list[tuple[str, QColor]]:
        """The strip's two lines and their scales (each is drawn from 0 to the top of its scale)."""
        assert self.telemetry is not None
        top = self._memory_top
        return [("GPU utilisation", self._util), ("  0–100%", self._util),
                ("memory used", self._memory), (f"  0–{top:,.0f} MiB", self._memory)]  # fmt: skip

    def _paint_telemetry(self, p: QPainter, left: float, width: int, top: float) -> None:
        if self.telemetry is None:
            return
        t_util, util, t_memory, memory = self.telemetry
        h = self._telemetry_h() - 4
        p.setPen(QPen(self._grid, 1))
        p.drawLine(QPointF(left, top + h), QPointF(left + width, top + h))
        p.setClipRect(QRectF(left, top, width, h + 1))
        lines = ((t_util, util, 100.0, self._util), (t_memory, memory, max(self._memory_top, 1.0), self._memory))
        for t, values, top_value, colour in lines:
            ok = np.isfinite(values)
            xs = left + (np.asarray(t[ok], dtype=float) - self._t0) / (self._t1 - self._t0) * width
            ys = top + h - np.asarray(values[ok], dtype=float) / top_value * (h - 2)
            if len(xs) >= 2:
                p.setPen(QPen(colour, 2 if self._presentation else 1.5))
                p.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]))
        p.setClipping(False)

    # -- hit-testing -----------------------------------------------------------------------------
    def _row_at(self, y: float) -> tuple[Row | None, bool]:
        """The row at ``y`` and whether ``y`` is in its sync-wait strip."""
        row_h = self.row_height()
        i = int((y - self._rows_top()) // row_h)
        if y < self._rows_top() or not 0 <= i < len(self.rows):
            return None, False
        row = self.rows[i]
        in_waits = row.waits is not None and (y - self.row_top(i)) > (row_h - 2) * (1 - WAITS_SHARE)
        return row, in_waits

    def event_at(self, pos: QPointF) -> tuple[int, int] | None:
        row, in_waits = self._row_at(pos.y())
        if row is None or pos.x() < self.plot_left():
            return None
        lane = row.waits if in_waits and row.waits is not None else row
        slack = HIT_SLACK_PX * (self._t1 - self._t0) / self.plot_width()
        i = row_event_at(lane, self.time_at(pos.x()), slack)
        return None if i < 0 else (int(lane.cat[i]), int(lane.index[i]))

    def frame_of(self, cat: int, index: int) -> Frame | None:
        return event_frame(self.trace, cat, index) if self.trace is not None else None

    def tooltip_at(self, pos: QPointF) -> str:
        if self.trace is None:
            return ""
        if pos.x() < self.plot_left():
            row, _ = self._row_at(pos.y())
            return f"{row.label} (id {row.ident}), {len(row):,} events" if row is not None else ""
        hit = self.event_at(pos)
        if hit is not None:
            text = describe_event(self.trace, *hit)
            return text + ("\nthe CPU waits here" if hit[0] == SYNC else "")
        t = self.time_at(pos.x())
        slack = HIT_SLACK_PX * (self._t1 - self._t0) / self.plot_width()
        marks = [m for m in self.marks if m.start - slack <= t <= m.end + slack]
        if marks and pos.y() < self.row_top(len(self.rows)):
            mark = min(marks, key=lambda m: m.duration)
            return f"{mark.what}\n{mark.line_text()}"
        return ""
