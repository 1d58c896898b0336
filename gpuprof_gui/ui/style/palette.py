"""Colours of the window: light and dark, each with a high-contrast presentation variant.

:class:`ViewPalette` colours the flame graph; :class:`ThemeColours` the rest (the
app-wide QPalette that theme.py builds, charts, heat bars, console and syntax
colours). Both are plain ``#rrggbb`` strings, so tests can check their contrast
without drawing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtGui import QGuiApplication, QPalette

# is_dark_fill and relative_luminance are used here and imported from here by the views.
from gpuprof_gui.core.flame_colours import (
    LABEL_ON_DARK_FILL,
    LABEL_ON_LIGHT_FILL,
    WARM_FRAMES,
    is_dark_fill,
    relative_luminance,
)


@dataclass(frozen=True, slots=True)
class ViewPalette:
    """Colours as ``#rrggbb`` strings (Qt-free values; views build QColors once)."""

    name: str
    background: str
    text: str  # empty-state and legend text
    frames: tuple[str, ...]  # one per colour bucket (core.flame.N_COLOUR_BUCKETS)
    dimmed: str  # frames that don't match an active search
    highlight: str  # outline of the selected function's frames
    hint: str  # marks pixel columns filled by frames too narrow to draw one by one
    hatch: str  # overlay pattern on estimated frames (#aarrggbb)
    hatch_on_dark: str  # the same on fills that get light label text
    label_dark: str  # label text on light fills
    label_light: str  # label text on dark fills


_WARM = WARM_FRAMES  # shared with the SVG export (core/flame_colours.py)
COLOUR_BLIND_SAFE = (
    "#0072b2",
    "#eedd88",
    "#882255",
    "#66ccee",
    "#cc3311",
    "#f0e442",
    "#332288",
    "#ffaabb",
    "#aaaa00",
    "#cc79a7",
    "#ee8866",
    "#cc6677",
)
"""Presentation fills. Twelve colours from Okabe & Ito's palette for colour-blind readers
(https://jfly.uni-koeln.de/color/) and Paul Tol's qualitative schemes 'bright', 'muted',
'light' and 'vibrant' (https://personal.sron.nl/~pault/), picked so that every pair stays
at least 19 CIELAB ΔE apart in normal vision and under simulated deuteranopia and protanopia
(Machado, Oliveira & Fernandes 2009, full severity); Okabe–Ito's own closest pair is 17 apart.
The flame graph colours by module, not by heat, so what matters is that neighbouring modules
differ for every viewer; tests/ui/style/test_presentation.py recomputes the distances."""

LIGHT = ViewPalette(
    "light",
    "#ffffff",
    "#303030",
    _WARM,
    "#dcdcdc",
    "#1565c0",
    "#b4b4b4",
    "#40000000",
    "#60ffffff",
    LABEL_ON_LIGHT_FILL,
    LABEL_ON_DARK_FILL,
)
DARK = ViewPalette(
    "dark",
    "#1e1e1e",
    "#e0e0e0",
    _WARM,
    "#3a3a3a",
    "#64b5f6",
    "#6a6a6a",
    "#60000000",
    "#60ffffff",
    LABEL_ON_LIGHT_FILL,
    LABEL_ON_DARK_FILL,
)
PRESENTATION = ViewPalette(
    "presentation",
    "#ffffff",
    "#000000",
    COLOUR_BLIND_SAFE,
    "#e0e0e0",
    "#000000",
    "#909090",
    "#70000000",
    "#90ffffff",
    "#000000",
    "#ffffff",
)
PRESENTATION_DARK = ViewPalette(
    "presentation-dark",
    "#000000",
    "#ffffff",
    COLOUR_BLIND_SAFE,
    "#262626",
    "#ffffff",
    "#808080",
    "#70000000",
    "#90ffffff",
    "#000000",
    "#ffffff",
)

WCAG_AA_TEXT = 4.5
"""WCAG 2 level AA: the least contrast for normal-size text."""


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast of two ``#rrggbb`` colours, 1 (same) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def label_colour_on(fill: str, palette: ViewPalette) -> str:
    """Label text colour readable on ``fill``."""
    return palette.label_light if is_dark_fill(fill) else palette.label_dark


@dataclass(frozen=True, slots=True)
class ThemeColours:
    """Everything but the flame graph, as ``#rrggbb`` strings."""

    name: str
    dark: bool
    window: str  # panels, tabs, the status bar
    window_text: str
    base: str  # text fields, tables, the console and source view
    alternate_base: str  # every other table row; the source view's gutter
    text: str
    button: str
    muted: str  # placeholder text and line numbers (still >= 4.5:1 on base)
    disabled: str
    highlight: str  # selected rows and text
    highlighted_text: str
    link: str
    plot_background: str  # pyqtgraph charts
    plot_foreground: str  # their axes, ticks and titles
    heat: str  # share bars in the table, line heat in the source view (drawn translucent)
    error: str  # stderr in the console, error lines in status bars
    note: str  # the console's own lines (run header, outcome)
    band: str  # labels of the run bands in the telemetry plots
    syntax: tuple[str, str, str, str, str, str]  # keyword, def/class name, number, decorator, string, comment


LIGHT_UI = ThemeColours(
    "light",
    False,
    window="#efefef",
    window_text="#000000",
    base="#ffffff",
    alternate_base="#f5f5f5",
    text="#000000",
    button="#efefef",
    muted="#5f5f5f",
    disabled="#8c8c8c",
    highlight="#2767b5",
    highlighted_text="#ffffff",
    link="#0b57d0",
    plot_background="#ffffff",
    plot_foreground="#333333",
    heat="#ef6c00",
    error="#c62828",
    note="#3949ab",
    band="#1b5e20",
    syntax=("#1565c0", "#6a1b9a", "#00796b", "#ad1457", "#2e7d32", "#757575"),
)
DARK_UI = ThemeColours(
    "dark",
    True,
    window="#2b2b2b",
    window_text="#e6e6e6",
    base="#1e1e1e",
    alternate_base="#262626",
    text="#e6e6e6",
    button="#353535",
    muted="#a0a0a0",
    disabled="#6e6e6e",
    highlight="#2f65ca",
    highlighted_text="#ffffff",
    link="#8ab4f8",
    plot_background="#1e1e1e",
    plot_foreground="#d0d0d0",
    heat="#ff9800",
    error="#ff8a80",
    note="#9fa8da",
    band="#a5d6a7",
    syntax=("#82b1ff", "#ce93d8", "#4db6ac", "#f48fb1", "#a5d6a7", "#9e9e9e"),
)
# Projector variants: pure black and white text, darker muted text, a heat colour from
# Okabe–Ito (vermillion / orange) that keeps its lightness under colour blindness.
PRESENTATION_LIGHT_UI = replace(
    LIGHT_UI,
    name="presentation",
    window="#f4f4f4",
    base="#ffffff",
    muted="#404040",
    plot_foreground="#000000",
    heat="#d55e00",
    highlight="#0050a0",
    syntax=("#0d47a1", "#4a148c", "#004d40", "#880e4f", "#1b5e20", "#424242"),
)
PRESENTATION_DARK_UI = replace(
    DARK_UI,
    name="presentation-dark",
    window="#121212",
    window_text="#ffffff",
    base="#000000",
    alternate_base="#161616",
    text="#ffffff",
    muted="#c8c8c8",
    plot_background="#000000",
    plot_foreground="#ffffff",
    heat="#e69f00",
    highlight="#1f5fbf",
)


def theme_colours(dark: bool, presentation: bool = False) -> ThemeColours:
    if presentation:
        return PRESENTATION_DARK_UI if dark else PRESENTATION_LIGHT_UI
    return DARK_UI if dark else LIGHT_UI


def app_is_dark() -> bool:
    """Whether the application's palette is a dark one (the theme theme.py applied, or the platform's)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):  # none yet, or a QCoreApplication without a palette
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5


def current_theme_colours(presentation: bool = False) -> ThemeColours:
    return theme_colours(app_is_dark(), presentation)


def current_palette(presentation: bool = False) -> ViewPalette:
    """The flame palette matching the application's light/dark look, normal or for a projector."""
    if presentation:
        return PRESENTATION_DARK if app_is_dark() else PRESENTATION
    return DARK if app_is_dark() else LIGHT
