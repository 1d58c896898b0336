"""Colours of the views: light, dark and a high-contrast presentation variant."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette


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


# Warm flame tones, alternating hue and lightness so neighbouring modules differ.
_WARM = (
    "#e5553f", "#f0a030", "#d97a2b", "#f2c94c", "#c9463d", "#e8894a",
    "#f5b971", "#b85c38", "#eaa63a", "#d2693f", "#f4d06f", "#c0542f",
)
# Saturated, widely spaced hues that survive a washed-out projector.
_HIGH_CONTRAST = (
    "#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#ad494a",
)

LIGHT = ViewPalette(
    "light", "#ffffff", "#303030", _WARM, "#dcdcdc", "#1565c0", "#b4b4b4", "#40000000", "#60ffffff", "#1a1a1a", "#ffffff"
)
DARK = ViewPalette(
    "dark", "#1e1e1e", "#e0e0e0", _WARM, "#3a3a3a", "#64b5f6", "#6a6a6a", "#60000000", "#60ffffff", "#1a1a1a", "#ffffff"
)
PRESENTATION = ViewPalette(
    "presentation", "#ffffff", "#000000", _HIGH_CONTRAST, "#e6e6e6", "#000000", "#909090", "#70000000", "#90ffffff",
    "#000000", "#ffffff",
)

LUMINANCE_LIGHT_TEXT_BELOW = 0.179
"""Relative luminance (0..1) under which a fill gets light label text: where
black and white text have equal WCAG contrast, (1 + 0.05) / (L + 0.05) =
(L + 0.05) / 0.05 gives L = 0.179; each side of it the chosen text wins."""


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    c = QColor(colour)
    lin = []
    for v in (c.redF(), c.greenF(), c.blueF()):
        lin.append(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def is_dark_fill(fill: str) -> bool:
    """True where light text (and a light hatch) reads better on ``fill``."""
    return relative_luminance(fill) < LUMINANCE_LIGHT_TEXT_BELOW


def label_colour_on(fill: str, palette: ViewPalette) -> str:
    """Label text colour readable on ``fill``."""
    return palette.label_light if is_dark_fill(fill) else palette.label_dark


def current_palette(presentation: bool = False) -> ViewPalette:
    """The palette matching the application's light/dark look, or presentation."""
    if presentation:
        return PRESENTATION
    app = QGuiApplication.instance()
    if app is None:
        return LIGHT
    window = app.palette().color(QPalette.ColorRole.Window)
    return DARK if window.lightnessF() < 0.5 else LIGHT
