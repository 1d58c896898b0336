"""Light, dark or the desktop's theme for the whole application, and the presentation look.

A theme is one app-wide QPalette on the Fusion style: Fusion draws every widget from
the palette on every platform, so light and dark look the same on Linux, macOS and
Windows. Views with colours of their own (flame graph, charts, heat bars, console,
syntax) re-read them in their ``set_presentation``, which the main window calls again
after each theme change. Presentation mode also raises the *application* font, so every
widget without a font of its own (labels, tables, headers, tabs, menus, buttons, fields,
the status bar, dialogs) follows without being listed anywhere.

Presentation works in both themes: black on white, or white on black, with the
colour-blind-safe flame fills of ``palette.COLOUR_BLIND_SAFE`` in each.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QActionGroup, QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QTableView, QWidget

from gpuprof_gui.ui.advisor.advisor_style import PRESENTATION_PT as ADVISOR_PRESENTATION_PT
from gpuprof_gui.ui.style import projector
from gpuprof_gui.ui.style.palette import ThemeColours, theme_colours

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction


class ThemedWindow(Protocol):
    """What the theme code uses of the main window (style/ may not import the shell above it)."""

    settings: QSettings
    actions_by_id: dict[str, QAction]
    theme_name: str
    theme_group: QActionGroup | None
    theme_follower: object | None

    def set_presentation(self, on: bool) -> None: ...


SYSTEM, LIGHT, DARK = "system", "light", "dark"
THEMES = (SYSTEM, LIGHT, DARK)
THEME_ACTIONS = {SYSTEM: "theme_system", LIGHT: "theme_light", DARK: "theme_dark"}
SETTINGS_KEY = "theme"
PRESENTATION_KEY = "presentation"
PRESENTATION_PT = float(ADVISOR_PRESENTATION_PT["text"])
"""The advisor's projector size for body text on a 1920×1080 screen (20 pt: read from the
back of a classroom), used for every view; smaller screens scale it (projector.py)."""
PRESENTATION_PEN_PX = 3
"""Chart lines and axes on a projector; 1 px lines vanish on a washed-out image."""
ROW_PAD_PX = 8
"""Table rows in presentation mode: the font's line height plus 4 px above and below."""
STYLE = "Fusion"

_normal_font: QFont | None = None  # the application font before presentation mode raised it


def desktop_is_dark() -> bool:
    """The desktop's colour scheme (Qt 6.5+); Unknown (offscreen, old desktops) counts as light."""
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def is_dark(name: str) -> bool:
    return name == DARK or (name == SYSTEM and desktop_is_dark())


def presentation_font(font: QFont) -> QFont:
    """A copy of ``font`` at the presentation size for the screen (never smaller than it was)."""
    out = QFont(font)
    size = font.pointSizeF()
    out.setPointSizeF(max(size if size > 0 else 0.0, projector.text_pt()))
    return out


def set_view_font(widget: QWidget, presentation: bool) -> None:
    """``widget`` and its children at the presentation size, or back to the application font.

    The application font already changes with presentation mode; this also serves a view
    used outside the window (tests, dialogs). ``QFont()`` sets nothing, so it inherits again.
    """
    widget.setFont(presentation_font(QApplication.font()) if presentation else QFont())


def fit_rows(view: QTableView, presentation: bool) -> None:
    """Rows tall enough for the view's font: Qt's default row height does not follow the font."""
    header = view.verticalHeader()
    if presentation:
        header.setDefaultSectionSize(view.fontMetrics().height() + ROW_PAD_PX)
    else:
        header.resetDefaultSectionSize()


def build_qpalette(c: ThemeColours) -> QPalette:
    """The application palette for ``c``; bevel shades are derived from the button colour."""
    pal = QPalette(QColor(c.button), QColor(c.window))
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, c.window),
        (role.WindowText, c.window_text),
        (role.Base, c.base),
        (role.AlternateBase, c.alternate_base),
        (role.Text, c.text),
        (role.Button, c.button),
        (role.ButtonText, c.window_text),
        (role.ToolTipBase, c.base),
        (role.ToolTipText, c.text),
        (role.PlaceholderText, c.muted),
        (role.Highlight, c.highlight),
        (role.HighlightedText, c.highlighted_text),
        (role.Link, c.link),
        (role.LinkVisited, c.link),
        (role.BrightText, c.base),
        (role.Accent, c.highlight),
    ):
        pal.setColor(r, QColor(colour))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, QColor(c.disabled))
    return pal


def keep_light(widget: QWidget, presentation: bool) -> None:
    """Give ``widget`` the light palette whatever the theme: for views drawn for a light page
    (the advisor's charts, banners and formula colours are fixed), which would lose their
    contrast, or their text altogether, on a dark one."""
    widget.setPalette(build_qpalette(theme_colours(False, presentation)))
    widget.setAutoFillBackground(True)  # paint the light page, not the dark window behind it


def apply(name: str, presentation: bool) -> ThemeColours:
    """Make theme ``name`` (and presentation mode, or not) the application's look."""
    app = QApplication.instance()
    colours = theme_colours(is_dark(name), presentation)
    if not isinstance(app, QApplication):  # none yet, or a QGuiApplication without widgets
        return colours
    if app.style().name().lower() != STYLE.lower():
        app.setStyle(STYLE)
    # Without it, the children of a widget with a style sheet (the advisor's projector sheet)
    # take the application palette, not their parent's: white text on the advisor's light page.
    app.setAttribute(Qt.ApplicationAttribute.AA_UseStyleSheetPropagationInWidgetStyles, True)
    app.setPalette(build_qpalette(colours))
    _apply_font(app, presentation)
    # Widgets hear of both by posted events: deliver them now, so the views restyled
    # next measure the new font (row heights, flame rows) and read the new palette.
    for kind in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.ApplicationFontChange):
        QApplication.sendPostedEvents(None, kind)
    # New plots start in the theme's colours; existing ones are restyled by their views.
    pg.setConfigOptions(background=colours.plot_background, foreground=colours.plot_foreground)
    return colours


def _apply_font(app: QApplication, presentation: bool) -> None:
    global _normal_font
    if _normal_font is None:
        _normal_font = QFont(app.font())
    font = presentation_font(_normal_font) if presentation else _normal_font
    if app.font() != font:
        app.setFont(font)


def style_plot(
    widget: pg.PlotWidget | pg.GraphicsLayoutWidget, plots: list[pg.PlotItem], colours: ThemeColours, presentation: bool
) -> None:
    """Background, axes and tick labels of pyqtgraph ``plots`` in the theme; larger and thicker on a projector."""
    widget.setBackground(colours.plot_background)
    width = PRESENTATION_PEN_PX if presentation else 1
    tick_font = presentation_font(QApplication.font()) if presentation else None
    for plot in plots:
        for name in ("left", "bottom", "right", "top"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(colours.plot_foreground, width=width))
            axis.setTextPen(pg.mkPen(colours.plot_foreground))
            axis.setStyle(tickFont=tick_font)
            axis.label.setFont(tick_font or QFont())  # QFont(): the scene's, i.e. the application font


def title_size(presentation: bool, normal: str) -> str:
    """A pyqtgraph title size: ``normal`` at the desk, the presentation size on a projector."""
    return f"{projector.text_pt():g}pt" if presentation else normal


# -- the window's theme actions and settings ---------------------------------------------------------------
class _DesktopFollower(QObject):
    """Re-applies the "system" theme when the desktop switches between light and dark."""

    def __init__(self, win: ThemedWindow) -> None:
        super().__init__(win if isinstance(win, QObject) else None)  # dies with the window
        self._win = win
        QGuiApplication.styleHints().colorSchemeChanged.connect(self.on_scheme_changed)

    def on_scheme_changed(self, _scheme) -> None:
        if self._win.theme_name == SYSTEM:
            refresh(self._win)


def install(win: ThemedWindow) -> None:
    """View ▸ Theme: one of system/light/dark checked at a time, Ctrl+Shift+T toggles; choices are remembered."""
    win.theme_name = SYSTEM
    assert isinstance(win, QObject), "the theme actions belong to a Qt window"
    group = QActionGroup(win)
    group.setExclusive(True)
    for name, key in THEME_ACTIONS.items():
        action = win.actions_by_id[key]
        group.addAction(action)
        action.triggered.connect(partial(_chosen, win, name))
    win.theme_group = group
    win.actions_by_id[THEME_ACTIONS[SYSTEM]].setChecked(True)
    win.actions_by_id["toggle_theme"].triggered.connect(partial(toggle_theme, win))
    # triggered, not toggled: a user's choice is kept; --presentation on the command line is not.
    win.actions_by_id["presentation"].triggered.connect(partial(_remember_presentation, win))
    win.theme_follower = _DesktopFollower(win)


def set_theme(win: ThemedWindow, name: str, remember: bool = True) -> None:
    """Show ``name`` (system/light/dark; anything else counts as system) and, if ``remember``, keep it."""
    name = name if name in THEMES else SYSTEM
    win.theme_name = name
    win.actions_by_id[THEME_ACTIONS[name]].setChecked(True)
    if remember:
        win.settings.setValue(SETTINGS_KEY, name)
    refresh(win)


def toggle_theme(win: ThemedWindow, *_checked) -> None:
    current = win.theme_name
    set_theme(win, LIGHT if is_dark(current) else DARK)


def refresh(win: ThemedWindow) -> None:
    """Re-apply the look: the app palette and font, then every view's own colours."""
    win.set_presentation(win.actions_by_id["presentation"].isChecked())


def _chosen(win: ThemedWindow, name: str, *_checked) -> None:
    set_theme(win, name)


def _remember_presentation(win: ThemedWindow, *_checked) -> None:
    win.settings.setValue(PRESENTATION_KEY, win.actions_by_id["presentation"].isChecked())
