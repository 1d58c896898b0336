"""Fonts and colours of the advisor tab, normal and on a projector.

Every advisor label carries a *font role* (a dynamic property); :func:`apply_fonts`
sets each widget's font from its role, so labels rebuilt later (a new capacity
table, a new teaching step) take the current mode by calling it again.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QWidget

from gpuprof_gui.ui.style.elided_label import ElidedLabel
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


class FittedLabel(ElidedLabel):
    """Plain text that wraps at a desk; eliding (on a projector), one line with the whole text in its tooltip.

    On a projector a banner of five wrapped 20 pt lines pushes the chart off the screen;
    one elided line, with the rest a hover away, keeps it in view.
    """

    def __init__(self, text: str = "", role: str = "text") -> None:
        super().__init__(text)
        set_role(self, role)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Left/Right page the teaching view
        self.set_eliding(False)

    @property
    def eliding(self) -> bool:
        return not self.wordWrap()

    def set_eliding(self, on: bool) -> None:
        self.setWordWrap(not on)
        policy = QSizePolicy(
            QSizePolicy.Policy.Ignored if on else QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred
        )
        policy.setHeightForWidth(not on)  # wrapped: as tall as its lines at the width it gets
        self.setSizePolicy(policy)
        self.updateGeometry()
        self._elide()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return super().minimumSizeHint() if self.eliding else QLabel.minimumSizeHint(self)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return super().sizeHint() if self.eliding else QLabel.sizeHint(self)

    def _elide(self) -> None:
        if self.eliding:
            super()._elide()
        else:  # wrapped: all of it, and only the tooltip it was given
            QLabel.setText(self, self.full_text())
            QLabel.setToolTip(self, self._own_tip)
