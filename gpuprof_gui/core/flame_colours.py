"""The desk flame graph's colours as plain values, shared by the window and the SVG export.

Qt-free, so ``core/flame_svg.py`` can use them; ``ui/palette.py`` builds its light and
dark palettes from the same tuple, so an exported SVG looks like the window.
"""

WARM_FRAMES = (
    "#e5553f",
    "#f0a030",
    "#d97a2b",
    "#f2c94c",
    "#c9463d",
    "#e8894a",
    "#f5b971",
    "#b85c38",
    "#eaa63a",
    "#d2693f",
    "#f4d06f",
    "#c0542f",
)
"""Warm flame tones, alternating hue and lightness so neighbouring modules differ."""

LABEL_ON_LIGHT_FILL = "#000000"
LABEL_ON_DARK_FILL = "#ffffff"
"""Pure black and white: whichever the fill's luminance picks (0.179 threshold, see
ui/palette.py) has WCAG contrast >= 4.58:1 on any fill; #1a1a1a fell to 3.8:1 on #b85c38."""

LUMINANCE_LIGHT_TEXT_BELOW = 0.179
"""Relative luminance (0..1) under which a fill gets light label text: where
black and white text have equal WCAG contrast, (1 + 0.05) / (L + 0.05) =
(L + 0.05) / 0.05 gives L = 0.179; each side of it the chosen text wins."""


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` (``#rgb`` and ``#aarrggbb`` too; alpha is ignored).

    Qt-free, so the window's palette and the SVG export share one rule.
    """
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    digits = digits[-6:]  # #aarrggbb: the colour, not the alpha
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def is_dark_fill(fill: str) -> bool:
    """True where light text (and a light hatch) reads better on ``fill``."""
    return relative_luminance(fill) < LUMINANCE_LIGHT_TEXT_BELOW
