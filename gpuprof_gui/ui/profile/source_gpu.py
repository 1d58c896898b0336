"""GPU figures in the source view: a gutter column beside the heat, a note after the code of each line
that gave the GPU work (or, from Scalene, ran while the GPU was busy), and the function's figures.

From a GPU trace a line's figures are its own (the line called CuPy) and those of the calls it made
("through calls": line 27 of heat_gpu.py calls ``sweeps_on_device``, which launches the kernels).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QPlainTextEdit

from gpuprof_gui.core.fmt import format_pct, format_time
from gpuprof_gui.core.gpu_columns import GpuColumns, gpu_figures_text, gpu_time_ns, has_gpu_work
from gpuprof_gui.core.gpu_trace_summary import Totals
from gpuprof_gui.core.model import Profile

GPU_COLUMN_PX = 56
"""Room for "1.23 ms" in the gutter at desk font sizes; larger fonts widen it (column_px)."""
GPU_LABEL_ROOM = "99.9 ms"
GPU_BAR_ALPHA = 110
"""The GPU bar is lighter than the heat bar: the figure on it keeps its contrast."""
NOTE_GAP = "   "
NOTE_MARK = "◂ GPU: "


@dataclass
class LineGpu:
    """What one line gave the GPU: from the trace (own, through calls) and from Scalene's samples."""

    own: Totals | None = None
    via: Totals | None = None
    sampled_pct: float = 0.0
    sampled_mem_mb: float = 0.0

    def gpu_ns(self) -> int:
        return sum(gpu_time_ns(t) for t in (self.own, self.via) if t is not None)

    def note(self) -> str:
        own = gpu_figures_text(self.own) if self.own is not None and has_gpu_work(self.own) else ""
        via = f"through calls: {gpu_figures_text(self.via)}" if self.via is not None else ""
        busy = f"GPU busy {format_pct(self.sampled_pct)} while it ran" if self.sampled_pct else ""
        memory = f"GPU memory {self.sampled_mem_mb:,.0f} MB" if self.sampled_mem_mb else ""
        return "; ".join(p for p in (own, via, busy, memory) if p)


def line_gpu(profile: Profile, gpu: GpuColumns | None, file: str) -> dict[int, LineGpu]:
    """The lines of ``file`` with GPU figures."""
    out: dict[int, LineGpu] = {}
    if gpu is not None:
        own, via = gpu.line_figures(file)
        for line, t in own.items():
            if has_gpu_work(t):
                out.setdefault(line, LineGpu()).own = t
        for line, t in via.items():
            out.setdefault(line, LineGpu()).via = t
    if any(rec.gpu_pct is not None for rec in profile.functions):
        for line, rec in profile.lines.get(file, {}).items():
            if rec.gpu_pct > 0 or rec.gpu_mem_mb > 0:
                entry = out.setdefault(line, LineGpu())
                entry.sampled_pct, entry.sampled_mem_mb = rec.gpu_pct, rec.gpu_mem_mb
    return out


def function_gpu_text(profile: Profile, gpu: GpuColumns | None, func: int) -> str:
    """The function's GPU figures for the header ("" without any)."""
    parts = []
    if gpu is not None:
        own, incl = gpu.own.get(func), gpu.incl.get(func)
        if own is not None and has_gpu_work(own):
            parts.append(f"GPU from its own lines: {gpu_figures_text(own)}")
        if incl is not None and has_gpu_work(incl) and (own is None or gpu_time_ns(incl) != gpu_time_ns(own)):
            parts.append(f"with its callees: {gpu_figures_text(incl)}")
    rec = profile.functions[func]
    if rec.gpu_pct:
        parts.append(f"GPU busy {format_pct(rec.gpu_pct)} while it ran (Scalene)")
    if rec.gpu_mem_mb:
        parts.append(f"GPU memory up to {rec.gpu_mem_mb:,.0f} MB")
    return " · ".join(parts)


class GpuLineMarks:
    """The lines' GPU figures as the code editor draws them: a gutter cell and a note after the code."""

    def __init__(self) -> None:
        self.lines: dict[int, LineGpu] = {}
        self.labels: dict[int, str] = {}
        self.shares: dict[int, float] = {}  # 0..1 of the file's busiest line

    def set(self, lines: dict[int, LineGpu]) -> None:
        self.lines = lines
        traced = {ln: g.gpu_ns() for ln, g in lines.items() if g.gpu_ns() > 0}
        if traced:
            top = max(traced.values())
            self.labels = {ln: format_time(ns / 1e9) for ln, ns in traced.items()}
            self.shares = {ln: ns / top for ln, ns in traced.items()}
        else:
            sampled = {ln: g.sampled_pct for ln, g in lines.items() if g.sampled_pct > 0}
            self.labels = {ln: format_pct(p) for ln, p in sampled.items()}
            self.shares = {ln: p / 100.0 for ln, p in sampled.items()}

    def note(self, line: int) -> str:
        g = self.lines.get(line)
        return g.note() if g is not None else ""

    def column_px(self, fm: QFontMetrics) -> int:
        return max(GPU_COLUMN_PX, fm.horizontalAdvance(GPU_LABEL_ROOM) + 6) if self.labels else 0

    def paint_cell(self, painter: QPainter, rect: QRect, line: int, text: QColor, bar: QColor) -> None:
        share = self.shares.get(line)
        if not share:
            return
        width = max(2, int((rect.width() - 2) * min(share, 1.0)))
        painter.fillRect(rect.x(), rect.y() + 2, width, rect.height() - 4, bar)
        painter.setPen(text)
        painter.drawText(rect.adjusted(2, 0, 0, 0), Qt.AlignmentFlag.AlignRight, self.labels.get(line, ""))

    def paint_notes(self, editor: QPlainTextEdit, colour: QColor) -> None:
        """Each line's note after its code, in the viewport (muted, italic)."""
        if not self.lines:
            return
        painter = QPainter(editor.viewport())
        font = painter.font()
        font.setItalic(True)
        painter.setFont(font)
        painter.setPen(colour)
        fm = QFontMetrics(font)
        offset = editor.contentOffset()
        margin = editor.document().documentMargin()
        bottom = editor.viewport().height()
        block = editor.firstVisibleBlock()
        while block.isValid():
            geo = editor.blockBoundingGeometry(block).translated(offset)
            if geo.top() > bottom:
                break
            note = self.note(block.blockNumber() + 1)
            if note and block.isVisible():
                layout = block.layout()
                code = layout.lineAt(0).naturalTextWidth() if layout.lineCount() else 0.0
                x = geo.left() + margin + code + fm.horizontalAdvance(NOTE_GAP)
                text = NOTE_MARK + note
                room = QRectF(x, geo.top(), fm.horizontalAdvance(text) + 4, geo.height())
                painter.drawText(room, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), text)
            block = block.next()
        painter.end()

    def note_at(self, editor: QPlainTextEdit, pos: QPoint) -> str:
        """The note of the line under ``pos`` (viewport coordinates), "" for none."""
        return self.note(editor.cursorForPosition(pos).blockNumber() + 1)
