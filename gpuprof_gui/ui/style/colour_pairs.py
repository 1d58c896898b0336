"""Every pair of colours the window draws one on the other, for a contrast check.

One registry: :func:`text_pairs` lists, for a theme and presentation mode, each text colour
with the background it is drawn on, and each chart mark with its chart's background, as
the views take them from ``palette.py``. tests/ui/style/test_contrast.py checks every pair
against WCAG 2 level AA; a view that draws a new pair adds it here.

Translucent fills (heat, share bars, error lines, run bands, chart label boxes) are listed
as they look: composited over what they are drawn on.
"""

from __future__ import annotations

from typing import NamedTuple

from gpuprof_gui.ui.style.palette import (
    ADVISOR,
    BAND_EDGE_ALPHA,
    BAND_FILL_ALPHA,
    CHART_LABEL_ALPHA,
    ERROR_LINE_ALPHA,
    HEAT_GUTTER_ALPHA,
    HEAT_LINE_ALPHA,
    SHARE_BAR_ALPHA,
    SHARE_BAR_ALPHA_PRESENTATION,
    STATUS_DARK,
    STATUS_LIGHT,
    STATUS_UNKNOWN,
    TIMELINE_BAND_ALPHA,
    TIMELINE_MARKS,
    ThemeColours,
    ViewPalette,
    composite,
    label_colour_on,
    status_colours,
    theme_colours,
    view_palette,
)

SYNTAX_NAMES = ("keyword", "definition", "number", "decorator", "string", "comment")


class Pair(NamedTuple):
    name: str
    fg: str
    bg: str
    large: bool
    """Large text, or a chart mark against its background: WCAG asks 3:1 of these, 4.5:1 of other text."""


def _text(name: str, fg: str, *bgs: tuple[str, str]) -> list[Pair]:
    """``fg`` as normal text on each (where, background) of ``bgs``."""
    return [Pair(f"{name} on {where}", fg, bg, False) for where, bg in bgs]


def _marks(name: str, colours: tuple[str, ...] | list[str], bg: str) -> list[Pair]:
    return [Pair(f"{name} {i} {c}", c, bg, True) for i, c in enumerate(colours)]


def _window(c: ThemeColours) -> list[Pair]:
    """The application palette's own roles, the status bar and the stale banner."""
    base, alt, window = ("base", c.base), ("alternate rows", c.alternate_base), ("window", c.window)
    return [
        *_text("text", c.text, base, alt),
        *_text("window text", c.window_text, window, ("button", c.button)),
        *_text("placeholder, line numbers", c.muted, base, alt),
        *_text("selected text", c.highlighted_text, ("selection", c.highlight)),
        *_text("link", c.link, base, window),
        *_text("error (status bar, stale banner, lab status)", c.error, base, window),
    ]


def _code(c: ThemeColours) -> list[Pair]:
    """Console, source view and the lab's editor: plain and highlighted text on every line background."""
    hot = composite(c.heat, HEAT_LINE_ALPHA[1], c.base)
    error_line = composite(c.error_line, ERROR_LINE_ALPHA, c.base)
    backgrounds = (("base", c.base), ("the hottest line", hot), ("a compiler error's line", error_line))
    out = [*_text("code", c.text, *backgrounds)]
    for name, colour in zip(SYNTAX_NAMES, c.syntax, strict=True):
        out += _text(f"syntax {name}", colour, *backgrounds)
    gutter_bar = composite(c.heat, HEAT_GUTTER_ALPHA, c.alternate_base)
    out += _text("gutter heat label", c.text, ("the gutter's heat bar", gutter_bar), ("the gutter", c.alternate_base))
    out += _text("console stderr", c.error, ("base", c.base))
    out += _text("console note", c.note, ("base", c.base))
    out += _text("console profiler notice", c.muted, ("base", c.base))
    return out


def _tables(c: ThemeColours, presentation: bool) -> list[Pair]:
    alpha = SHARE_BAR_ALPHA_PRESENTATION if presentation else SHARE_BAR_ALPHA
    bars = (
        ("a share bar", composite(c.heat, alpha, c.base)),
        ("a share bar on an alternate row", composite(c.heat, alpha, c.alternate_base)),
    )
    return _text("hotspot number", c.text, *bars)


def _charts(c: ThemeColours) -> list[Pair]:
    """pyqtgraph charts: lab times and roofline, telemetry."""
    plot = ("the chart", c.plot_background)
    band = composite(c.band_fill, BAND_FILL_ALPHA, c.plot_background)
    # A label's box over the strongest mark it may cover: the roof line drawn in plot_foreground.
    label_box = composite(c.plot_background, CHART_LABEL_ALPHA, c.plot_foreground)
    return [
        *_text("axes, titles, value labels", c.plot_foreground, plot),
        *_text("point label", c.plot_foreground, ("its box over a line", label_box)),
        *_text("run band label", c.band, ("its band", band), plot),
        *[p for i, s in enumerate(c.series[:2]) for p in _text(f"curve name {i} in a title", s, plot)],
        *_marks("series", c.series, c.plot_background),
        Pair("roofline copy ceiling", c.copy_line, c.plot_background, True),
        Pair("run band edge", composite(c.band_fill, BAND_EDGE_ALPHA, c.plot_background), c.plot_background, True),
    ]


def _flame(v: ViewPalette) -> list[Pair]:
    out = [Pair(f"flame label on frame {i} {f}", label_colour_on(f, v), f, False) for i, f in enumerate(v.frames)]
    out += _text("flame text", v.text, ("the canvas", v.background), ("a search-dimmed frame", v.dimmed))
    return out


def _compare(c: ThemeColours, v: ViewPalette) -> list[Pair]:
    """The differential flame graph and legend (labels on each fill), and the delta table."""
    out = [Pair(f"diff label on fill {i} {f}", label_colour_on(f, v), f, False) for i, f in enumerate(c.diff)]
    # The strongest growth and shrink are what the eye looks for: they stand out from the canvas.
    out += _marks("strongest diff fill", (c.diff[0], c.diff[-1]), v.background)
    rows = (("base", c.base), ("alternate rows", c.alternate_base))
    out += _text("grown delta", c.grown, *rows) + _text("shrunk delta", c.shrunk, *rows)
    out += _text("unchanged delta", c.muted, *rows)
    return out


def _lab(c: ThemeColours, dark: bool) -> list[Pair]:
    out = []
    for status in STATUS_DARK if dark else STATUS_LIGHT:
        bg, fg = status_colours(dark, status)
        out.append(Pair(f"status {status}", fg, bg, False))
    bg, fg = STATUS_UNKNOWN[dark]
    out.append(Pair("status not known to the app", fg, bg, False))
    background, text, _border = c.banner
    out += _text("lab notice", text, ("its banner", background))
    return out


def _advisor(presentation: bool) -> list[Pair]:
    """The advisor keeps a light page in both themes (theme.keep_light)."""
    page = theme_colours(False, presentation)
    a = ADVISOR
    window, card, chart = ("its page", page.window), ("a teaching card", a.card), ("the chart", a.chart)
    label_box = composite(a.chart, CHART_LABEL_ALPHA, a.limit)
    out = [
        *_text("advisor text", page.window_text, window, card),
        *_text("advisor small print", a.formula_presentation if presentation else a.formula, window, card),
        *_text("advisor presentation page", a.page_text, ("the page", a.page)),
        *_text("teaching formula", a.step_formula, card),
        *_text("chart text", a.chart_text, chart),
        *_text("candidate label", a.chart_label, ("its box over a line", label_box)),
        *_text("chart note", a.chart_note, chart, ("its box over a line", label_box)),
        *_text("limit label", a.limit, chart),
        *_text("break-even label", a.break_even, chart),
        *_text("measured label", a.measured, chart),
        *_marks("advisor curve", (a.amdahl, a.transfer, a.limit, a.break_even, a.measured), a.chart),
        *_marks("advisor point", a.series, a.chart),
    ]
    for name, (background, text, _border) in (
        ("ok", a.banner_ok),
        ("warning", a.banner_warn),
        ("synthetic", a.banner_synthetic),
    ):
        out += _text(f"advisor {name} banner", text, ("its background", background))
    return out


def _timeline(c: ThemeColours) -> list[Pair]:
    """The GPU timeline: its highlight marks on the canvas, its text on a gap's band."""
    gap, stall = TIMELINE_MARKS[c.dark]
    band = composite(gap, TIMELINE_BAND_ALPHA, c.base)
    return [*_marks("timeline highlight", (gap, stall), c.base), *_text("timeline text", c.text, ("a gap band", band))]


def text_pairs(dark: bool, presentation: bool) -> list[Pair]:
    """Every (name, text or mark colour, background, large) the window draws in this theme."""
    c, v = theme_colours(dark, presentation), view_palette(dark, presentation)
    return [
        *_window(c),
        *_code(c),
        *_tables(c, presentation),
        *_charts(c),
        *_flame(v),
        *_compare(c, v),
        *_lab(c, dark),
        *_advisor(presentation),
        *_timeline(c),
    ]
