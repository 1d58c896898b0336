"""The desk flame graph's colours as plain values, shared by the window and the SVG export.

Qt-free, so ``core/flame_svg.py`` can use them; ``ui/palette.py`` builds its light and
dark palettes from the same tuple, so an exported SVG looks like the window.
"""

WARM_FRAMES = (
    "#e5553f", "#f0a030", "#d97a2b", "#f2c94c", "#c9463d", "#e8894a",
    "#f5b971", "#b85c38", "#eaa63a", "#d2693f", "#f4d06f", "#c0542f",
)
"""Warm flame tones, alternating hue and lightness so neighbouring modules differ."""

LABEL_ON_LIGHT_FILL = "#000000"
LABEL_ON_DARK_FILL = "#ffffff"
"""Pure black and white: whichever the fill's luminance picks (0.179 threshold, see
ui/palette.py) has WCAG contrast >= 4.58:1 on any fill; #1a1a1a fell to 3.8:1 on #b85c38."""
