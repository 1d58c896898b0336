"""The selected candidate's source: editable CUDA for kernels, the file's Python otherwise.

Compiler errors (``line N: error: ...``, as the kernel worker reports them)
are listed under the editor and their lines are marked in it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QColor, QPalette, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.ui.profile.source_view import CodeEditor, HighlightRule, PythonHighlighter, RuleHighlighter, _fmt
from gpuprof_gui.ui.style.palette import ERROR_LINE_ALPHA, LIGHT_UI, ThemeColours, current_theme_colours, qcolour
from gpuprof_gui.ui.style.theme import set_view_font

# Kinds whose "source" is CUDA C text that the worker compiles.
CUDA_KINDS = ("raw", "elementwise", "reduction")
_ERROR_LINE = re.compile(r"\bline (\d+)\b")
PYTHON_CONTEXT_LINES = 40
"""For Python candidates (not editable here): this many lines of the file from the candidate's line."""

_CUDA_WORDS = (
    "extern",
    "__global__",
    "__device__",
    "__shared__",
    "__restrict__",
    "__forceinline__",
    "__syncthreads",
    "const",
    "void",
    "int",
    "long",
    "float",
    "double",
    "float4",
    "unsigned",
    "if",
    "else",
    "for",
    "while",
    "return",
    "struct",
    "define",
    "pragma",
    "unroll",
    "auto",
)


class CudaHighlighter(RuleHighlighter):
    """Keywords, CUDA built-ins, numbers, strings, // and one-line /* */ comments."""

    # Its parent is a QObject owner: the highlighter is attached to a document only while CUDA is shown.
    def rules_for(self, syntax: tuple[str, ...]) -> list[HighlightRule]:
        keyword_c, builtin, number, special, string, comment = syntax
        words = "|".join(re.escape(w) for w in _CUDA_WORDS)
        return [
            (QRegularExpression(rf"(?<![\w#])#?\b({words})\b"), _fmt(keyword_c, bold=True)),
            (QRegularExpression(r"\b(threadIdx|blockIdx|blockDim|gridDim|warpSize)\b"), _fmt(builtin, bold=True)),
            (QRegularExpression(r"\b__\w+\b"), _fmt(special)),
            (QRegularExpression(r"\b[0-9][0-9.]*([eE][-+]?[0-9]+)?[fFuUlL]*\b"), _fmt(number)),
            (QRegularExpression(r"\"[^\"]*\""), _fmt(string)),
            (QRegularExpression(r"//[^\n]*|/\*.*?\*/"), _fmt(comment, italic=True)),
        ]


class CandidateSource(QWidget):
    """Editor for one candidate, with "Run edited", "Revert" and the compiler's errors."""

    run_edited = Signal(str, str)
    """(candidate name, edited source) to run again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select a candidate to see its source.")
        self.title.setWordWrap(True)
        # A long dotted name must not hold the column wider than a small screen allows.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.editor = CodeEditor(self)
        # CodeEditor highlights Python; CUDA text gets its own highlighter instead.
        self._python = self.editor.document().findChildren(PythonHighlighter)
        self._cuda = CudaHighlighter(self)
        self.run_button = QPushButton("Run edited")
        self.run_button.setToolTip("Run this candidate again with the edited source, at the chosen sizes")
        self.revert_button = QPushButton("Revert")
        self.errors = QPlainTextEdit(self)
        self.errors.setReadOnly(True)
        self.errors.setMaximumHeight(110)
        self.errors.setPlaceholderText("Compiler messages for this candidate appear here.")
        self._colour_errors(LIGHT_UI)
        self.errors.setFont(self.editor.font())
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.editor, 1)
        box.addLayout(buttons)
        box.addWidget(self.errors)
        self.name: str | None = None
        self.original = ""
        self.editable = False
        self.can_run = True  # False without a GPU: the panel says why
        self.run_button.clicked.connect(self._on_run)
        self.revert_button.clicked.connect(self.revert)
        self.editor.textChanged.connect(self._update_buttons)
        self._update_buttons()

    def show_candidate(
        self, cand: dict, file_text: str | None, edited: str | None = None, error: str | None = None
    ) -> None:
        """Show ``cand`` (a describe() entry); ``file_text`` is the candidate file, for Python kinds."""
        self.name = cand["name"]
        kind = cand.get("kind", "")
        self.editable = bool(cand.get("editable")) and kind in CUDA_KINDS
        self.original = cand.get("source") or ""
        text = edited if edited is not None else self.original
        line = int(cand.get("line") or 1)
        if not self.editable and kind not in CUDA_KINDS:
            text = (
                self._python_excerpt(file_text, line)
                if file_text
                else (f"# {cand.get('description') or kind}\n# (the candidate file is not available here)\n")
            )
        self._use_highlighter(cuda=kind in CUDA_KINDS)
        self.editor.setReadOnly(not self.editable)
        self.editor.setPlainText(text)
        where = f" — defined at line {line} of the file" if cand.get("line") else ""
        how = "editable: change it and press Run edited" if self.editable else "Python code: edit it in the file itself"
        self.title.setText(
            f"<b>{cand['name']}</b> ({kind}){where}<br><i>{cand.get('description') or ''}</i><br><small>{how}</small>"
        )
        self.show_error(error)
        self._update_buttons()

    def _python_excerpt(self, file_text: str, line: int) -> str:
        lines = file_text.splitlines()
        start = max(0, line - 1)
        return "\n".join(lines[start : start + PYTHON_CONTEXT_LINES])

    def _use_highlighter(self, cuda: bool) -> None:
        doc = self.editor.document()
        for h in self._python:
            h.setDocument(None if cuda else doc)
        self._cuda.setDocument(doc if cuda else None)

    def set_can_run(self, can_run: bool) -> None:
        self.can_run = can_run
        self._update_buttons()

    def text(self) -> str:
        return self.editor.toPlainText()

    def is_edited(self) -> bool:
        return self.editable and self.text() != self.original

    def show_error(self, error: str | None) -> None:
        """List the compiler's messages and mark the lines they name."""
        self.errors.setPlainText(error or "")
        selections = []
        for match in _ERROR_LINE.finditer(error or ""):
            block = self.editor.document().findBlockByNumber(int(match.group(1)) - 1)
            if not block.isValid():
                continue
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(qcolour(current_theme_colours().error_line, ERROR_LINE_ALPHA))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(block)
            selections.append(sel)
        self.editor.setExtraSelections(selections)
        self.error_lines = [s.cursor.blockNumber() + 1 for s in selections]

    def revert(self) -> None:
        self.editor.setPlainText(self.original)
        self.show_error(None)

    def _on_run(self) -> None:
        if self.name is not None and self.editable:
            self.run_edited.emit(self.name, self.text())

    def set_presentation(self, on: bool) -> None:
        """Projector fonts; the theme's syntax colours (CUDA and Python) and error colour."""
        colours = current_theme_colours(on)
        set_view_font(self, on)
        self.editor.set_presentation(on)
        self._cuda.set_syntax(colours.syntax)
        self.errors.setFont(self.editor.font())
        self._colour_errors(colours)

    def _colour_errors(self, colours: ThemeColours) -> None:
        """Messages in the error colour; the placeholder in the muted one (a style sheet's colour
        would make it a half-transparent red, under 2:1 on the base)."""
        pal = self.errors.palette()
        pal.setColor(QPalette.ColorRole.Text, QColor(colours.error))
        pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(colours.muted))
        self.errors.setPalette(pal)

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(self.editable and self.can_run and self.name is not None)
        self.revert_button.setEnabled(self.is_edited())
