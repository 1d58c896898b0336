"""The measurable rules of a readable window, checked on live widgets.

Used by the screenshot gallery (``make screenshots`` writes what each picture measured)
and by the tests that hold every tab to them at 1024×768, 1280×720 and 1920×1080, at the
desk and on a projector, light and dark:

* the window's frame lies inside the screen's available area;
* the flame graph keeps at least a share of the window's height;
* no visible text is cut: a label, button or field narrower than its text is either
  elided (…) with the whole text in its tooltip, or wraps; no widget is squeezed below
  the size its text needs, or lies partly outside the window;
* the palette's text and background colours reach WCAG AA.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenuBar,
    QTabBar,
    QWidget,
)

from gpuprof_gui.ui.style.palette import WCAG_AA_TEXT, contrast_ratio

ELLIPSIS = "…"
SLACK_PX = 1
"""Rounding between text measurement and layout: a label 1 px short of its text still shows it."""


@dataclass(frozen=True)
class Cut:
    """One piece of text the window does not show whole."""

    widget: str
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.widget} {self.text[:60]!r}: {self.why}"


def describe(widget: QWidget) -> str:
    """A short path to ``widget``: its class and object name, and its nearest named ancestor."""
    names: list[str] = []
    node: QWidget | None = widget
    while node is not None and len(names) < 3:
        names.append(node.objectName() or type(node).__name__)
        node = node.parentWidget()
    return "/".join(reversed(names))


def window_fits(win: QWidget) -> tuple[bool, str]:
    """Whether the window's frame lies inside its screen's available area, and the two rectangles."""
    screen = win.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry() if screen is not None else QRect()
    frame = win.frameGeometry()
    return area.contains(frame), f"window {_rect(frame)} on available {_rect(area)}"


def _rect(r: QRect) -> str:
    return f"{r.width()}x{r.height()}+{r.x()}+{r.y()}"


def text_width(widget: QWidget, text: str, rich: bool) -> int:
    """The width ``text`` needs in ``widget``'s font, on one line per line break."""
    if rich:
        doc = QTextDocument()
        doc.setDefaultFont(widget.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth() + 0.999)
    metrics = widget.fontMetrics()
    return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)


def _in_scroll_area(widget: QWidget) -> bool:
    node = widget.parentWidget()
    while node is not None:
        if isinstance(node, QAbstractScrollArea) and node.viewport().isAncestorOf(widget):
            return True
        node = node.parentWidget()
    return False


def _label_cut(label: QLabel) -> str | None:
    text = label.text()
    if not text.strip() or label.wordWrap() or (label.pixmap() is not None and not label.pixmap().isNull()):
        return None
    rich = label.textFormat() == label.textFormat().RichText or (
        label.textFormat() == label.textFormat().AutoText and "<" in text and ">" in text
    )
    room = label.contentsRect().width() - 2 * max(0, label.margin()) - max(0, label.indent())
    need = text_width(label, text, rich)
    if need <= room + SLACK_PX:
        return None
    return f"needs {need} px, has {room} px"


def _elided_ok(widget: QWidget, shown: str) -> bool:
    """Text shortened with an ellipsis is fine when the tooltip (or accessible name) gives all of it."""
    return ELLIPSIS in shown and bool(widget.toolTip() or widget.accessibleDescription())


def cut_text(root: QWidget) -> list[Cut]:
    """Every visible piece of text under ``root`` that is not shown whole (see the module docstring)."""
    cuts: list[Cut] = []
    bounds = root.rect()
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or not widget.isVisible() or widget.width() <= 0:
            continue
        shown = ""
        why: str | None = None
        if isinstance(widget, QLabel):
            shown = widget.text()
            why = _label_cut(widget)
        elif isinstance(widget, QAbstractButton) and not isinstance(widget.parentWidget(), (QTabBar, QMenuBar)):
            shown = widget.text()
            wide = widget.sizeHint().width()
            if shown and widget.width() + SLACK_PX < wide:
                why = f"needs {wide} px, has {widget.width()} px"
        elif isinstance(widget, QLineEdit) and isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox)):
            continue  # the field inside a spin box or combo box: its owner is measured
        elif isinstance(widget, (QComboBox, QLineEdit, QAbstractSpinBox)):
            shown = widget.currentText() if isinstance(widget, QComboBox) else ""
            hint = widget.minimumSizeHint()
            if widget.width() + SLACK_PX < hint.width() or widget.height() + SLACK_PX < hint.height():
                why = f"squeezed to {widget.width()}x{widget.height()}, needs {hint.width()}x{hint.height()}"
        if why is None and (shown or isinstance(widget, (QLabel, QAbstractButton))) and not _in_scroll_area(widget):
            where = QRect(widget.mapTo(root, QPoint(0, 0)), widget.size())
            if shown.strip() and not bounds.contains(where):
                why = f"lies partly outside the window ({_rect(where)})"
        if why is not None and not _elided_ok(widget, shown):
            cuts.append(Cut(describe(widget), shown, why))
    return cuts


def sideways_scrolling(root: QWidget) -> list[Cut]:
    """Pages that must be scrolled sideways to be read: a scroll area whose page is wider than it.

    Text inside a scroll area is not counted as cut (it can be scrolled to), but a page of
    text one has to scroll left and right to read line by line is cut just the same.
    """
    from PySide6.QtWidgets import QScrollArea

    out = []
    for area in root.findChildren(QScrollArea):
        page = area.widget()
        if page is None or not area.isVisible() or not page.isVisible():
            continue
        room = area.viewport().width()
        if page.width() > room + SLACK_PX:
            out.append(
                Cut(describe(area), "", f"its page is {page.width()} px wide in {room} px: read by scrolling sideways")
            )
    return out


PALETTE_PAIRS = (
    ("window text", QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
    ("text", QPalette.ColorRole.Text, QPalette.ColorRole.Base),
    ("alternate rows", QPalette.ColorRole.Text, QPalette.ColorRole.AlternateBase),
    ("button text", QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
    ("selection", QPalette.ColorRole.HighlightedText, QPalette.ColorRole.Highlight),
    ("tooltip", QPalette.ColorRole.ToolTipText, QPalette.ColorRole.ToolTipBase),
    ("placeholder", QPalette.ColorRole.PlaceholderText, QPalette.ColorRole.Base),
    ("link", QPalette.ColorRole.Link, QPalette.ColorRole.Base),
)
"""The application palette's text-on-background pairs every widget draws with."""


def palette_contrast(palette: QPalette) -> dict[str, float]:
    """The WCAG contrast ratio of each of :data:`PALETTE_PAIRS` in ``palette`` (active colour group)."""
    out = {}
    for name, fg, bg in PALETTE_PAIRS:
        out[name] = round(contrast_ratio(palette.color(fg).name(), palette.color(bg).name()), 2)
    return out


def low_contrast(palette: QPalette, floor: float = WCAG_AA_TEXT) -> list[str]:
    """The pairs of ``palette`` below ``floor`` (4.5:1, WCAG AA for body text)."""
    return [f"{name} {ratio}:1" for name, ratio in palette_contrast(palette).items() if ratio < floor]
