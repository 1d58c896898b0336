"""Fonts and colours of the advisor tab, normal and on a projector.

Every advisor label carries a *font role* (a dynamic property); :func:`apply_fonts`
sets each widget's font from its role, so labels rebuilt later (a new capacity
table, a new teaching step) take the current mode by calling it again.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPalette, QResizeEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from gpuprof_gui.ui.style.palette import ADVISOR

ROLE_PROPERTY = "advisor_font_role"

PRESENTATION_PT = {"text": 20, "small": 20, "value": 24, "formula": 26, "title": 26, "big": 48}
"""Projector sizes: 20 pt is the smallest text still read from the back of a classroom
(about 7 mm tall on a 2 m wide image of a 1920 px screen); formulas stay at 20, not smaller."""
NORMAL_DELTA_PT = {"text": 0, "small": -1, "value": 2, "formula": 4, "title": 3, "big": 16}
"""Desk sizes, relative to the application font so they follow the user's settings."""
BOLD_ROLES = {"value", "title", "big"}
SMALLEST_PT = 7

FORMULA_COLOUR = ADVISOR.formula
FORMULA_COLOUR_PRESENTATION = ADVISOR.formula_presentation


def banner_sheet(colours: tuple[str, str, str]) -> str:
    background, text, border = colours
    return f"background: {background}; color: {text}; border: 1px solid {border}; border-radius: 4px; padding: 6px;"


BANNER_OK = banner_sheet(ADVISOR.banner_ok)
BANNER_WARN = banner_sheet(ADVISOR.banner_warn)
BANNER_SYNTHETIC = banner_sheet(ADVISOR.banner_synthetic)
PRESENTATION_SHEET = f"QWidget#advisor_root {{ background: {ADVISOR.page}; color: {ADVISOR.page_text}; }}"


def base_point_size() -> float:
    size = QApplication.font().pointSizeF() if isinstance(QApplication.instance(), QApplication) else 10.0
    return size if size > 0 else 10.0


def font_for(role: str, presentation: bool) -> QFont:
    font = QFont(QApplication.font())
    size: float
    if presentation:
        size = PRESENTATION_PT.get(role, PRESENTATION_PT["text"])
    else:
        size = max(SMALLEST_PT, base_point_size() + NORMAL_DELTA_PT.get(role, 0))
    font.setPointSizeF(float(size))
    font.setBold(role in BOLD_ROLES)
    return font


def set_role(widget: QWidget, role: str) -> QWidget:
    widget.setProperty(ROLE_PROPERTY, role)
    return widget


def make_label(text: str = "", role: str = "text", wrap: bool = False, selectable: bool = True) -> QLabel:
    """A label with a font role; selectable so a number can be copied into notes."""
    label = QLabel(text)
    set_role(label, role)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A clicked label would take the focus and eat Left/Right: they page the teaching view.
        label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if role == "small":
        label.setStyleSheet(f"color: {FORMULA_COLOUR};")
    return label


def follow_page(root: QWidget) -> None:
    """Let the widgets under ``root`` take their parent's palette: the advisor's light page.

    With AA_UseStyleSheetPropagationInWidgetStyles on (theme.apply), Qt resolves no palette
    for a widget added to a parent that has one already: labels built after theme.keep_light
    (a rebuilt capacity table, new teaching cards) keep the application palette, near-white
    text on the light page in the dark theme. An empty QPalette() sets no role of its own,
    so each widget inherits its parent's and still follows later theme changes. Widgets
    with a style sheet of their own (formula colours, banners) keep its colours.
    """
    for child in root.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if not child.styleSheet() and not child.testAttribute(Qt.WidgetAttribute.WA_SetPalette):
            child.setPalette(QPalette())
        follow_page(child)  # after its parent: each level inherits the level above, resolved


def apply_fonts(root: QWidget, presentation: bool) -> None:
    """Set the font of ``root`` and every child from its role (children without one: ``text``)."""
    for widget in [root, *root.findChildren(QWidget)]:
        role = widget.property(ROLE_PROPERTY) or "text"
        widget.setFont(font_for(str(role), presentation))
        if role == "small":
            colour = FORMULA_COLOUR_PRESENTATION if presentation else FORMULA_COLOUR
            widget.setStyleSheet(f"color: {colour};")


class FittedLabel(QLabel):
    """A plain-text label that wraps, or, eliding, keeps to one line with the whole text in its tooltip.

    On a projector a banner of five wrapped 20 pt lines pushes the chart off the screen;
    one elided line, with the rest a hover away, keeps it in view.
    """

    def __init__(self, text: str = "", role: str = "text") -> None:
        super().__init__()
        set_role(self, role)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Left/Right page the teaching view
        self.eliding = False
        self.full_text = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name, kept so callers need not know
        self.full_text = text
        self._fit()

    def set_eliding(self, on: bool) -> None:
        self.eliding = bool(on)
        self.setWordWrap(not on)
        self.updateGeometry()
        self._fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        if self.eliding:  # any width: the text is cut to it
            hint.setWidth(QFontMetrics(self.font()).horizontalAdvance("M…") + self.contentsMargins().left() * 2)
        return hint

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.minimumSizeHint() if self.eliding else super().sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def _fit(self) -> None:
        shown = self.full_text
        if self.eliding:
            width = self.contentsRect().width()
            shown = QFontMetrics(self.font()).elidedText(self.full_text, Qt.TextElideMode.ElideRight, width)
        if super().text() != shown:
            super().setText(shown)
        self.setToolTip(self.full_text if shown != self.full_text else "")
