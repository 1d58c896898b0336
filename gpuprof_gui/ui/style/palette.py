"""Colours of the window: light and dark, each with a high-contrast presentation variant.

:class:`ViewPalette` colours the flame graph; :class:`ThemeColours` the rest (the
app-wide QPalette that theme.py builds, charts, heat bars, console and syntax
colours, the Compare tab's diverging scale); the lab's status cells and the advisor's
light page have their own tables. All are plain ``#rrggbb`` strings, and this is the
only module of the window that writes a colour down: colour_pairs.py lists every pair
the views draw, so tests/ui/style/test_contrast.py checks their contrast without drawing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtGui import QColor, QGuiApplication, QPalette

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
    band_fill: str  # the run bands themselves (drawn translucent: BAND_FILL_ALPHA, BAND_EDGE_ALPHA)
    error_line: str  # a compiler error's line in the lab's editor (drawn translucent: ERROR_LINE_ALPHA)
    diff: tuple[str, ...]  # Compare fills per core.diff bucket: shrunk most … neutral … grown most
    grown: str  # a grown delta in the Compare table (text)
    shrunk: str  # a shrunk delta
    series: tuple[str, ...]  # chart curves, bars and points; the first two also name curves in titles
    copy_line: str  # the roofline's measured copy ceiling
    mark_edge: str  # outline of bars and point symbols
    banner: tuple[str, str, str]  # the lab's notice: background, text, border


# ColorBrewer RdBu (9 classes, https://colorbrewer2.org), from the strongest shrink to the
# strongest growth, the middle class a neutral grey. Red and blue stay apart for red-green colour
# blindness, and lightness orders the classes without hue (test_contrast.py measures both).
DIFF_LIGHT = (
    "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#e3e3e3", "#fddbc7", "#f4a582", "#d6604d", "#b2182b"
)  # fmt: skip
DIFF_DARK = (
    "#73c6ff", "#5ea1d4", "#5281a6", "#45617a", "#4e4e4e", "#815349", "#af6a5c", "#df8270", "#ff9f89"
)  # fmt: skip
"""The same blue and red arms for a dark canvas: lightness grows with the change (CIELAB L* 33 neutral,
then 40, 52, 64, 77 on both arms), so the strongest changes stand out from the dark background as RdBu's
dark ends do from white (ColorBrewer's own #b2182b and #2166ac are 2.4:1 and 2.8:1 on #1e1e1e)."""

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
    # Dark enough to keep 4.5:1 on the hottest line's orange (HEAT_LINE_ALPHA) as well as on white.
    syntax=("#0d47a1", "#6a1b9a", "#004d40", "#ad1457", "#1b5e20", "#595959"),
    band_fill="#1b5e20",
    error_line="#e53935",
    diff=DIFF_LIGHT,
    grown="#b2182b",
    shrunk="#2166ac",
    # Okabe & Ito's blue, a darkened orange and their bluish green, Paul Tol's purple, indigo and rose,
    # an olive and a grey: every one 3:1 on white, the first two (curve names in titles) 4.5:1.
    series=("#0072b2", "#b35900", "#009e73", "#aa3377", "#332288", "#997700", "#cc6677", "#555555"),
    copy_line="#009e73",
    mark_edge="#222222",
    banner=("#fff3cd", "#5c4400", "#e0c060"),
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
    # A deep orange: light text keeps 4.5:1 on the gutter's heat bar and on the hottest line.
    heat="#e65100",
    error="#ff8a80",
    note="#9fa8da",
    band="#a5d6a7",
    syntax=("#82b1ff", "#e1bee7", "#80cbc4", "#f48fb1", "#a5d6a7", "#b0b0b0"),
    band_fill="#81c784",
    error_line="#e53935",
    diff=DIFF_DARK,
    grown=DIFF_DARK[-1],
    shrunk=DIFF_DARK[0],
    # Okabe & Ito's tones for a dark chart, a grey and Tol's magenta: every one 4.2:1 or more on #1e1e1e.
    series=("#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#d55e00", "#bbbbbb", "#ee3377"),
    copy_line="#009e73",
    mark_edge="#222222",
    banner=("#3d3200", "#ffe082", "#8d7a2e"),
)
# Projector variants: pure black and white text, darker muted text, a heat colour from
# Okabe–Ito (vermillion) that keeps its lightness under colour blindness.
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
    heat="#d55e00",
    highlight="#1f5fbf",
)


# Translucent fills (alpha 0-255) drawn over the base colour; colour_pairs.py checks the text on them.
HEAT_LINE_ALPHA = (25, 95)
"""A hot line's background in the source view: from barely warm to the hottest line."""
HEAT_GUTTER_ALPHA = 170
"""The gutter's heat bar is nearly opaque; the line behind hot code is lighter, so code stays readable."""
SHARE_BAR_ALPHA = 90
"""The hotspot table's share bar is translucent so the number on it keeps the table's text contrast."""
SHARE_BAR_ALPHA_PRESENTATION = 130
"""Stronger on a projector, which washes pale colours out."""
BAND_FILL_ALPHA, BAND_EDGE_ALPHA = 40, 160
ERROR_LINE_ALPHA = 60
CHART_LABEL_ALPHA = 200
"""Labels in charts sit on a box of the chart's background, translucent over what is under them."""

# The lab's status cells: status -> (background, text). Backgrounds differ in lightness as
# well as hue so they stay apart in greyscale; the dark theme has dark cells with light text.
STATUS_LIGHT = {
    "pending": ("#eeeeee", "#555555"),
    "running": ("#bbdefb", "#0d47a1"),
    "ok": ("#c8e6c9", "#1b5e20"),
    "wrong": ("#ffe0b2", "#8a3a00"),
    "failed": ("#ffcdd2", "#8e0000"),
    "skipped": ("#eeeeee", "#555555"),
    "timed_out": ("#e1bee7", "#4a148c"),
    "crashed": ("#b71c1c", "#ffffff"),
    "cancelled": ("#e0e0e0", "#424242"),
}
STATUS_DARK = {
    "pending": ("#3a3a3a", "#d6d6d6"),
    "running": ("#0d3c6e", "#bbdefb"),
    "ok": ("#1e4620", "#c8e6c9"),
    "wrong": ("#5a3000", "#ffe0b2"),
    "failed": ("#6d1b1b", "#ffcdd2"),
    "skipped": ("#3a3a3a", "#d6d6d6"),
    "timed_out": ("#4a1f5c", "#e1bee7"),
    "crashed": ("#b71c1c", "#ffffff"),
    "cancelled": ("#333333", "#e0e0e0"),
}
STATUS_UNKNOWN = {False: ("#ffffff", "#000000"), True: ("#1e1e1e", "#e6e6e6")}


def status_colours(dark: bool, status: str) -> tuple[str, str]:
    """(background, text) of a lab status cell in the light or the dark theme."""
    table = STATUS_DARK if dark else STATUS_LIGHT
    return table.get(status, STATUS_UNKNOWN[dark])


@dataclass(frozen=True, slots=True)
class AdvisorColours:
    """The advisor tab's own colours. Its page stays light in every theme (theme.keep_light)."""

    formula: str  # small print under the figures
    formula_presentation: str
    banner_ok: tuple[str, str, str]  # background, text, border
    banner_warn: tuple[str, str, str]
    banner_synthetic: tuple[str, str, str]
    page: str  # the presentation page and its text
    page_text: str
    card: str  # a teaching step's card, its border, and the formula on it
    card_border: str
    step_formula: str
    rule: str  # lines between the capacity table's groups
    chart: str  # the Amdahl chart's background, axes and titles
    chart_text: str
    chart_label: str  # candidate labels, on a box of the chart's colour
    chart_note: str  # a sentence in the chart
    amdahl: str  # curves and lines
    transfer: str
    limit: str
    break_even: str
    measured: str
    series: tuple[str, ...]  # candidates' points


ADVISOR = AdvisorColours(
    formula="#555555",
    formula_presentation="#000000",
    banner_ok=("#e8f5e9", "#1b5e20", "#81c784"),
    banner_warn=("#fff3e0", "#8a3d00", "#ffb74d"),
    banner_synthetic=("#fce4ec", "#880e4f", "#f06292"),
    page="#ffffff",
    page_text="#000000",
    card="#fbfbfb",
    card_border="#c8c8c8",
    step_formula="#0d47a1",
    rule="#d0d0d0",
    chart="#ffffff",
    chart_text="#000000",
    chart_label="#111111",
    chart_note="#8a3d00",
    amdahl="#1565c0",
    transfer="#c62828",
    limit="#333333",
    break_even="#6a1b9a",
    measured="#2e7d32",
    series=LIGHT_UI.series,
)


# GPU timeline highlights, per dark: (idle gap, stall). Purple and red: neither is a kernel, copy or
# memset fill (the chart series); gaps are a translucent band, stalls hatched, so shape tells them apart too.
TIMELINE_MARKS = {False: ("#7b1fa2", "#c62828"), True: ("#ce93d8", "#ff8a80")}
TIMELINE_BAND_ALPHA = 60

# One colour per GPU in the telemetry plots, when they show several GPUs at once (a host's 2-8, or a
# class's hosts). Okabe & Ito's and Paul Tol's hues; the first two are the single-GPU curves' blue and
# orange. Each set keeps 3:1 (WCAG's least for graphics) on its plot background, at the desk and on a
# projector, and every pair stays at least 13 CIELAB ΔE apart in normal vision and under simulated
# deuteranopia and protanopia (tests/ui/style/test_telemetry_device_colours.py recomputes both).
DEVICE_COLOURS = {
    False: ("#0072b2", "#b35900", "#009e73", "#aa3377", "#332288", "#999933", "#ee6677", "#117733"),
    True: ("#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#ee6677", "#bbbbbb", "#7570b3"),
}


def device_colour(colours: ThemeColours, position: int) -> str:
    """The curve colour of the ``position``-th GPU shown (the set repeats past eight)."""
    table = DEVICE_COLOURS[colours.dark]
    return table[position % len(table)]


def composite(colour: str, alpha: int, under: str) -> str:
    """``colour`` drawn with ``alpha`` (0-255) over ``under``, as Qt blends it: in sRGB, per channel."""
    top, bottom = QColor(colour), QColor(under)
    pairs = ((top.red(), bottom.red()), (top.green(), bottom.green()), (top.blue(), bottom.blue()))
    return "#" + "".join(f"{round((t * alpha + b * (255 - alpha)) / 255):02x}" for t, b in pairs)


def qcolour(colour: str, alpha: int = 255) -> QColor:
    """A QColor of a palette entry, ``alpha`` 0-255."""
    out = QColor(colour)
    out.setAlpha(alpha)
    return out


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


def view_palette(dark: bool, presentation: bool = False) -> ViewPalette:
    if presentation:
        return PRESENTATION_DARK if dark else PRESENTATION
    return DARK if dark else LIGHT


def current_palette(presentation: bool = False) -> ViewPalette:
    """The flame palette matching the application's light/dark look, normal or for a projector."""
    return view_palette(app_is_dark(), presentation)
