"""Syntax highlighting by rules: a pattern and the format of its matches (Python here; CUDA in the lab)."""

from __future__ import annotations

import keyword
from collections.abc import Sequence

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

from gpuprof_gui.ui.style.palette import LIGHT_UI

HighlightRule = tuple[QRegularExpression, QTextCharFormat]  # a pattern and the format of its matches


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class RuleHighlighter(QSyntaxHighlighter):
    """Applies ``self._rules`` (pattern, format) to each line; subclasses only say the rules.

    ``syntax`` is a theme's colours (palette.ThemeColours.syntax): keyword, definition,
    number, decorator, string, comment.
    """

    # A tuple until __init__ sets the rules: QSyntaxHighlighter's constructor may highlight already.
    _rules: Sequence[HighlightRule] = ()

    def __init__(self, parent, syntax: tuple[str, ...] = LIGHT_UI.syntax) -> None:
        super().__init__(parent)
        self._rules = self.rules_for(syntax)

    def rules_for(self, syntax: tuple[str, ...]) -> list[HighlightRule]:
        return []

    def set_syntax(self, syntax: tuple[str, ...]) -> None:
        """Colour with another theme's ``syntax`` colours, the text on show included."""
        self._rules = self.rules_for(syntax)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, fmt in self._rules:
            it = pattern.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), fmt)


class PythonHighlighter(RuleHighlighter):
    """Keywords, strings, comments, numbers, decorators and def/class names."""

    def rules_for(self, syntax: tuple[str, ...]) -> list[HighlightRule]:
        keyword_c, definition, number, decorator, string, comment = syntax
        words = "|".join([*keyword.kwlist, "self", "cls"])
        return [
            (QRegularExpression(rf"\b({words})\b"), _fmt(keyword_c, bold=True)),
            (QRegularExpression(r"\b(def|class)\s+(\w+)"), _fmt(definition, bold=True)),
            (QRegularExpression(r"\b[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?j?\b"), _fmt(number)),
            (QRegularExpression(r"@\w+(\.\w+)*"), _fmt(decorator)),
            (
                QRegularExpression(r"[rbuf]*(\"[^\"\\\\]*(\\\\.[^\"\\\\]*)*\"|'[^'\\\\]*(\\\\.[^'\\\\]*)*')"),
                _fmt(string),
            ),
            (QRegularExpression(r"#[^\n]*"), _fmt(comment, italic=True)),
        ]
