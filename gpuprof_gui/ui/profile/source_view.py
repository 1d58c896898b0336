"""Source of the selected function, syntax-highlighted, with per-line heat in the gutter."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFontDatabase, QHelpEvent, QPainter, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QToolTip, QVBoxLayout, QWidget

from gpuprof_gui.core.fmt import format_count, format_pct, format_time
from gpuprof_gui.core.gpu_columns import GpuColumns
from gpuprof_gui.core.model import FunctionRecord, LineRecord, Profile
from gpuprof_gui.core.source_where import no_source_reason, no_source_summary, read_source, resolve_source
from gpuprof_gui.ui.profile.highlight import HighlightRule, PythonHighlighter, RuleHighlighter, _fmt  # noqa: F401
from gpuprof_gui.ui.profile.source_gpu import GPU_BAR_ALPHA, GpuLineMarks, function_gpu_text, line_gpu
from gpuprof_gui.ui.style.palette import HEAT_GUTTER_ALPHA, HEAT_LINE_ALPHA, LIGHT_UI, current_theme_colours, qcolour
from gpuprof_gui.ui.style.theme import presentation_font, set_view_font

HEAT_COLUMN_PX = 64
"""Room for a bar and "100.0%" in the gutter at desk font sizes; larger fonts widen it (heat_column_px)."""
HEAT_LABEL_ROOM = "100.0% "
MIN_LAID_OUT_PX = 200
"""Narrower than this, the pane has not been laid out yet (an unshown widget is 100 × 30 px)."""
PICK_TEXT = "Select a function in the flame graph or the table to see its source."
NOTE_ROOM_PX = 560
"""A pane narrower than this keeps its note (how the profiler measured) in the header's tooltip."""
MAX_SOURCE_LOOKUPS = 2000
"""After a load, at most this many rows are tried for one with source (each a file lookup or
two, cached per file): a profile whose first 2,000 rows have none is explained instead."""
PRESENTATION_MIN_LINES = 5  # the hot line and two either side; more would take the flame graph's room
"""On a projector the code pane keeps room for the selected line and three lines either side
(at 20 pt the splitters sized for the desk left it two lines, the def line out of view)."""


class _Gutter(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._editor.paint_gutter(self, event)


class CodeEditor(QPlainTextEdit):
    """Read-only code view whose gutter shows line numbers and a heat bar per line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._gutter = _Gutter(self)
        self._heat: dict[int, float] = {}  # line -> share of the hottest line, 0..1
        self._heat_label: dict[int, str] = {}
        self.gpu_marks = GpuLineMarks()  # per-line GPU figures: a gutter column after the heat, notes after the code
        self.heat_colour = LIGHT_UI.heat  # the theme's, from set_presentation
        self.gpu_colour = LIGHT_UI.link
        self._highlighter = PythonHighlighter(self.document())
        self._keep_centred = False  # the line scroll_to_line showed stays centred until the user scrolls
        self.verticalScrollBar().actionTriggered.connect(self._on_user_scroll)
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._on_update_request)
        self._update_margin()

    def set_gpu_lines(self, lines) -> None:
        """``lines``: line -> :class:`~gpuprof_gui.ui.profile.source_gpu.LineGpu` ({} for none)."""
        self.gpu_marks.set(lines)
        self.set_heat(self._heat, self._heat_label)
        self.viewport().update()

    def set_heat(self, heat: dict[int, float], labels: dict[int, str]) -> None:
        self._heat, self._heat_label = heat, labels
        self._update_margin()
        self._gutter.update()
        self._highlight_hot_lines()

    def refresh_gutter(self) -> None:
        """Re-measure the gutter after a font change."""
        self.set_heat(self._heat, self._heat_label)

    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        numbers = self.fontMetrics().horizontalAdvance("9") * (digits + 1)
        return numbers + (self.heat_column_px() if self._heat else 0) + self.gpu_marks.column_px(self.fontMetrics()) + 6

    def heat_column_px(self) -> int:
        return max(HEAT_COLUMN_PX, self.fontMetrics().horizontalAdvance(HEAT_LABEL_ROOM))

    def _update_margin(self, *_args) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)
        cr = self.contentsRect()  # the gutter widens with a heat or GPU column, not only on a resize
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))
        if self._keep_centred:
            # The pane is often sized after the line was shown (a file opened before the window
            # is laid out, presentation mode moving the splitters): centre it in the final size.
            self.centerCursor()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._keep_centred = False
        super().wheelEvent(event)

    def _on_user_scroll(self, *_action) -> None:
        self._keep_centred = False

    def paint_gutter(self, gutter: QWidget, event) -> None:
        painter = QPainter(gutter)
        pal = self.palette()
        painter.fillRect(event.rect(), pal.alternateBase())
        fm = self.fontMetrics()
        heat_px, gpu_px = self.heat_column_px(), self.gpu_marks.column_px(fm)
        heat_x = gutter.width() - gpu_px - (heat_px + 4 if self._heat else 0)
        gpu_bar = qcolour(self.gpu_colour, GPU_BAR_ALPHA)
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        while block.isValid() and top <= event.rect().bottom():
            height = round(self.blockBoundingRect(block).height())
            line = block.blockNumber() + 1
            if block.isVisible() and top + height >= event.rect().top():
                painter.setPen(pal.placeholderText().color())
                painter.drawText(0, top, heat_x - 6, fm.height(), Qt.AlignmentFlag.AlignRight, str(line))
                share = self._heat.get(line)
                if share:
                    width = max(2, int((heat_px - 2) * share))
                    painter.fillRect(heat_x, top + 2, width, fm.height() - 4, self._heat_fill(HEAT_GUTTER_ALPHA))
                    painter.setPen(pal.text().color())
                    painter.drawText(
                        heat_x + 2,
                        top,
                        heat_px - 2,
                        fm.height(),
                        Qt.AlignmentFlag.AlignRight,
                        self._heat_label.get(line, ""),
                    )
                if gpu_px:
                    cell = QRect(gutter.width() - gpu_px - 2, top, gpu_px, fm.height())
                    self.gpu_marks.paint_cell(painter, cell, line, pal.text().color(), gpu_bar)
            block = block.next()
            top += height
        painter.end()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        self.gpu_marks.paint_notes(self, self.palette().placeholderText().color())

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            note = self.gpu_marks.note_at(self, event.pos())
            if note:
                QToolTip.showText(event.globalPos(), f"GPU: {note}", self.viewport())
                return True
        return super().viewportEvent(event)

    def _highlight_hot_lines(self) -> None:
        selections = []
        for line, share in self._heat.items():
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid() or share < 0.02:
                continue
            sel = QTextEdit.ExtraSelection()
            low, high = HEAT_LINE_ALPHA
            sel.format.setBackground(self._heat_fill(int(low + (high - low) * share)))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(block)
            selections.append(sel)
        self.setExtraSelections(selections)

    def _heat_fill(self, alpha: int) -> QColor:
        return qcolour(self.heat_colour, alpha)

    def set_presentation(self, on: bool) -> None:
        """Projector font size; the theme's syntax and heat colours."""
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(presentation_font(font) if on else font)
        chrome = 2 * self.frameWidth() + self.horizontalScrollBar().sizeHint().height()
        self.setMinimumHeight(PRESENTATION_MIN_LINES * self.fontMetrics().lineSpacing() + chrome if on else 0)
        colours = current_theme_colours(on)
        self.heat_colour, self.gpu_colour = colours.heat, colours.link
        self._highlighter.set_syntax(colours.syntax)
        self.refresh_gutter()
        # The line shown (the hottest) stays in view, once the new font's layout has settled.
        QTimer.singleShot(0, self.centerCursor)

    def scroll_to_line(self, line: int) -> None:
        block = self.document().findBlockByNumber(max(0, line - 1))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        self._keep_centred = True


def _sampled_breakdown(rec) -> str:
    """Scalene's split of a function's CPU time, its memory and GPU share, where measured."""
    parts = []
    if rec.cpu_python_pct is not None:
        parts.append(f"Python {format_pct(rec.cpu_python_pct)}")
    if rec.cpu_native_pct is not None:
        parts.append(f"native {format_pct(rec.cpu_native_pct)}")
    if rec.cpu_system_pct is not None:
        parts.append(f"system {format_pct(rec.cpu_system_pct)}")
    if rec.mem_peak_mb:
        parts.append(f"peak memory {rec.mem_peak_mb:,.1f} MB")
    return (" · of the run: " + ", ".join(parts)) if parts else ""


class SourceView(QWidget):
    """Header (function, file, figures) above the code of the selected function."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(PICK_TEXT)
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.editor = CodeEditor(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.editor, 1)
        self.search_dirs: list[str] = []
        self._presentation = False
        self._header_parts = (PICK_TEXT, "")  # what the header says, and its note
        self._gpu_line = ""  # the function's GPU figures: under the name at the desk, in the tooltip on a projector
        self._note_below = False  # the note is under the name (not in the tooltip)
        self.shown_file: str | None = None
        self._cache: dict[str, str] = {}
        self.kept_texts: dict[str, str] = {}
        self.gpu: GpuColumns | None = None
        """The run's GPU trace joined to its profile: per-line and per-function GPU figures."""
        """file -> the text a replayed session kept: shown instead of the file, which may be missing or changed."""

    def clear(self, gpu: GpuColumns | None = None) -> None:
        """Nothing shown; ``gpu``: the next profile's GPU figures (its run's trace joined to it)."""
        self.gpu = gpu
        self.editor.clear()
        self.editor.set_gpu_lines({})
        self.editor.set_heat({}, {})
        self.shown_file = None
        self._cache.clear()
        self.kept_texts.clear()
        self._gpu_line = ""
        self._set_header(PICK_TEXT)

    def keep_text(self, path: str, text: str) -> None:
        """Show ``text`` for ``path`` from now on (a replayed session's script: the code that ran)."""
        self.kept_texts[path] = text
        if self.shown_file == path and self.editor.toPlainText() != text:
            self.shown_file = None  # read again, from the kept text, on the next show

    def show_function(self, profile: Profile, func: int) -> None:
        rec = profile.functions[func]
        figures = (
            f"self {format_time(rec.self_s)} · total {format_time(rec.total_s)}"
            if profile.unit == "s"
            else f"self {rec.self_s:,.0f} · total {rec.total_s:,.0f} samples"
        )
        if rec.calls is not None:
            figures += f" · {format_count(rec.calls)} {'call' if rec.calls == 1 else 'calls'}"
        figures += _sampled_breakdown(rec)
        self._gpu_line = escape(function_gpu_text(profile, self.gpu, func), quote=False)
        path = self.source_path(rec)
        name = escape(rec.name, quote=False)
        if path is None:
            where = escape(no_source_reason(rec.file, profile.profiler, rec.name), quote=False)
            self._set_header(f"<b>{name}</b> — {figures}<br><i>Source not available: {where}</i>")
            self.editor.clear()
            self.editor.set_gpu_lines({})
            self.editor.set_heat({}, {})
            self.shown_file = None
            return
        if path != self.shown_file:
            try:
                text = self.kept_texts.get(path) or self._cache.get(path) or read_source(path)
            except (OSError, ValueError) as exc:
                self._set_header(f"<b>{name}</b> — {figures}<br><i>Cannot show the source: {exc}</i>")
                return
            self._cache[path] = text
            self.editor.setPlainText(text)
            self.shown_file = path
        heat, labels, note = self._heat_for(profile, rec.file, rec.line, func)
        self.editor.set_gpu_lines(line_gpu(profile, self.gpu, rec.file))
        self.editor.set_heat(heat, labels)
        self._set_header(f"<b>{name}</b> — {figures}<br>{path}:{rec.line}", note)
        self.editor.scroll_to_line(self._hottest_line_of(profile, rec, heat))

    def source_path(self, rec: FunctionRecord) -> str | None:
        """The file (or kept text) that shows ``rec``'s source here; None when there is none."""
        return rec.file if rec.file in self.kept_texts else resolve_source(rec.file, self.search_dirs)

    def first_with_source(self, profile: Profile, funcs: Iterable[int]) -> int | None:
        """The first of ``funcs`` (in their order) whose Python source this pane can show."""
        found: dict[str, bool] = {}  # file -> has source: a profile names each file many times
        for count, func in enumerate(funcs):
            if count >= MAX_SOURCE_LOOKUPS:
                break
            file = profile.functions[func].file
            if file not in found:
                found[file] = self.source_path(profile.functions[func]) is not None
            if found[file]:
                return func
        return None

    def explain_no_source(self, profile: Profile) -> None:
        """Add to the header why no function of ``profile`` has source to show (in a sentence)."""
        funcs = profile.functions[:MAX_SOURCE_LOOKUPS]
        summary = no_source_summary(no_source_reason(f.file, profile.profiler, f.name) for f in funcs)
        text, note = self._header_parts
        self._set_header(f"{text}<br>{escape(summary, quote=False)}", note)

    @staticmethod
    def _hottest_line_of(profile: Profile, rec, heat: dict[int, float]) -> int:
        """The hottest line of ``rec``'s body (up to the next function in the file), else its first line."""
        later = [f.line for f in profile.functions if f.file == rec.file and f.line > rec.line]
        end = min(later, default=1 << 30)
        body = [(share, line) for line, share in heat.items() if rec.line < line < end]
        return max(body)[1] if body else rec.line

    @staticmethod
    def _heat_for(
        profile: Profile, file: str, def_line: int, shown: int | None = None
    ) -> tuple[dict[int, float], dict[int, str], str]:
        lines: dict[int, LineRecord] = profile.lines.get(file, {})
        if lines:
            hottest = max((r.cpu_pct for r in lines.values()), default=0.0) or 1.0
            heat = {ln: r.cpu_pct / hottest for ln, r in lines.items() if r.cpu_pct > 0}
            labels = {ln: format_pct(r.cpu_pct) for ln, r in lines.items() if r.cpu_pct > 0}
            return heat, labels, "Per-line heat: share of the run's CPU time (Python + native + system)."
        # Function-level data only: mark each profiled function's first line by its self time.
        # Where several start on one line (a function defined on line 1, where <module> starts
        # too), the shown function owns it; else the one with the most self time.
        total = profile.total_s or 1.0
        heat, labels = {}, {}
        owner: dict[int, tuple[bool, float]] = {}
        for i, rec in enumerate(profile.functions):
            if rec.file == file and rec.line > 0 and rec.self_s > 0:
                claim = (i == shown, rec.self_s)
                if rec.line in owner and owner[rec.line] >= claim:
                    continue
                owner[rec.line] = claim
                heat[rec.line] = rec.self_s / total
                labels[rec.line] = format_pct(100.0 * rec.self_s / total)
        top = max(heat.values(), default=1.0) or 1.0
        heat = {k: v / top for k, v in heat.items()}
        measured = "cProfile measures" if profile.profiler == "cprofile" else "This profile has figures for"
        return (
            heat,
            labels,
            (
                f"{measured} whole functions: the gutter shows each function's self time "
                "at its first line. Run with Scalene for per-line heat."
            ),
        )

    def set_presentation(self, on: bool) -> None:
        self._presentation = bool(on)
        set_view_font(self.header, on)
        self.editor.set_presentation(on)
        self._set_header(*self._header_parts)

    def _set_header(self, text: str, note: str = "") -> None:
        """``text``, and the ``note`` under it at the desk; on a projector, or in a pane narrower
        than NOTE_ROOM_PX (a 1024 px screen's), the note goes to the tooltip: its two or three
        lines left the code pane a few lines high."""
        self._header_parts = (text, note)
        self._note_below = below = bool(note) and not self._presentation and self.width() >= NOTE_ROOM_PX
        gpu = self._gpu_line if text != PICK_TEXT else ""
        head, _, rest = text.partition("<br>")
        text = f"{head}<br>{gpu}<br>{rest}" if gpu and not self._presentation else text
        self.header.setText(text + (f"<br><i>{note}</i>" if below else ""))
        self.header.setToolTip("<br>".join(t for t in (gpu if self._presentation else "", "" if below else note) if t))
        self.updateGeometry()  # the header may wrap to another number of lines: see minimumSizeHint

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for the header as wrapped at the current width, and the code pane's minimum.

        A word-wrapped label's own minimum is one short line, so a splitter squeezed the pane
        below its header and cut the code pane's lower lines off (seen in presentation mode).
        """
        hint = super().minimumSizeHint()
        if self.width() < MIN_LAID_OUT_PX:  # not laid out yet: a narrow guess would wrap every word
            return hint
        layout = self.layout()
        spacing = layout.spacing() if layout is not None else 0
        height = self.header.heightForWidth(self.width()) + spacing + self.editor.minimumHeight()
        return QSize(hint.width(), max(hint.height(), height))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            text, note = self._header_parts
            if note and self._note_below != (not self._presentation and self.width() >= NOTE_ROOM_PX):
                self._set_header(text, note)  # the note moves under the name, or into the tooltip
            self.updateGeometry()
