"""The flame graph as a standalone SVG document, drawn from the same layout as the window.

Pure Python (no Qt): icicle rows from :func:`~gpuprof_gui.core.flame.layout_for_profile`,
one ``<rect>`` per frame with a ``<title>`` tooltip (the window's hover text), a
label where the frame is wide enough, a diagonal hatch over estimated frames and a
header with the run's total. Colours, gaps and row height match the on-screen view
(``ui/palette.py`` LIGHT, ``ui/flame_canvas.py``); a test keeps the colours equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpuprof_gui.core.export_formats import profile_title
from gpuprof_gui.core.flame import FlameLayout, frame_tooltip_text, hatch_legend, layout_for_profile
from gpuprof_gui.core.flame_colours import LABEL_ON_DARK_FILL, LABEL_ON_LIGHT_FILL, WARM_FRAMES, is_dark_fill
from gpuprof_gui.core.fmt import format_count, format_time
from gpuprof_gui.core.model import Profile

DEFAULT_WIDTH_PX = 1200  # flamegraph.pl's default image width
ROW_HEIGHT_PX = 18  # flame_canvas.NORMAL_ROW_MIN_PX: a 9-10 pt label plus padding
ROW_GAP_PX = 1.0  # as flame_canvas: background between rows and between neighbours
FRAME_GAP_PX = 1.0
LABEL_PAD_PX = 3.0  # as flame_canvas.LABEL_PAD_PX
FONT_PX = 12
HEADER_PX = 44  # two lines of text above the frames
FOOTER_PX = 6
CHAR_WIDTH_EM = 0.59
"""Average glyph advance as a share of the font size, for fitting labels
without font metrics (flamegraph.pl's ``fontwidth`` for Verdana-like faces)."""
MIN_LABEL_CHARS = 3  # the window's "M…M": a narrower frame gets no label
MIN_FRAME_PX = 0.1
"""Frames narrower than this are left out, as flamegraph.pl's default
``minwidth``: an SVG can be zoomed, so keep ten times finer than one pixel."""
HATCH_SPACING_PX = 6  # period of the diagonal lines over estimated frames
HATCH_ID = "gpuprof-estimated"
FONT_FAMILY = "'DejaVu Sans', Verdana, 'Segoe UI', Arial, sans-serif"


@dataclass(frozen=True, slots=True)
class FlameColours:
    """The colours the SVG uses; ``ui.palette.ViewPalette`` has the same fields, so either fits."""

    background: str
    text: str
    frames: tuple[str, ...]  # one per colour bucket
    hatch: str  # #aarrggbb, over light fills
    hatch_on_dark: str  # #aarrggbb, over dark fills
    label_dark: str
    label_light: str


LIGHT_COLOURS = FlameColours(
    background="#ffffff",
    text="#303030",
    frames=WARM_FRAMES,
    hatch="#40000000",
    hatch_on_dark="#60ffffff",
    label_dark=LABEL_ON_LIGHT_FILL,
    label_light=LABEL_ON_DARK_FILL,
)
"""``ui.palette.LIGHT`` as plain values: both take their frames and labels from
core/flame_colours.py; tests/cli/test_export.py checks the rest stays equal."""


# XML 1.0 allows tab, newline and carriage return among the control characters; names
# from a foreign profile can carry anything else, which would make the document invalid.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """``text`` escaped for XML content or a double-quoted attribute, invalid characters replaced."""
    text = _NOT_XML.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _rgba(argb: str) -> tuple[str, float]:
    """``#aarrggbb`` (Qt's notation) -> (``#rrggbb``, opacity 0..1)."""
    return "#" + argb[3:9], round(int(argb[1:3], 16) / 255, 3)


def fit_label(name: str, avail_px: float, font_px: float = FONT_PX) -> str:
    """``name`` cut with "…" to fit ``avail_px``; "" when fewer than three characters fit."""
    fits = int(avail_px / (font_px * CHAR_WIDTH_EM))
    if fits < MIN_LABEL_CHARS:
        return ""
    return name if len(name) <= fits else name[: fits - 1] + "…"


def _amount(value: float, unit: str) -> str:
    return format_time(value) if unit == "s" else f"{format_count(round(value))} samples"


def _hatch_defs(colours: FlameColours) -> str:
    parts = ["<defs>"]
    for suffix, argb in (("", colours.hatch), ("-light", colours.hatch_on_dark)):
        rgb, alpha = _rgba(argb)
        s = HATCH_SPACING_PX
        parts.append(
            f'<pattern id="{HATCH_ID}{suffix}" patternUnits="userSpaceOnUse" width="{s}" height="{s}">'
            f'<path d="M0,{s} L{s},0 M-1,1 L1,-1 M{s - 1},{s + 1} L{s + 1},{s - 1}" '
            f'stroke="{rgb}" stroke-opacity="{alpha}" stroke-width="1"/></pattern>'
        )
    parts.append("</defs>")
    return "".join(parts)


def flame_svg(
    profile: Profile,
    width_px: int = DEFAULT_WIDTH_PX,
    *,
    title: str | None = None,
    layout: FlameLayout | None = None,
    colours: FlameColours = LIGHT_COLOURS,
    standalone: bool = True,
) -> str:
    """The flame graph of ``profile`` as SVG text.

    ``standalone`` adds the XML declaration (for a .svg file); without it the
    result is an ``<svg>`` element to inline in HTML. The height follows the
    depth of the graph.
    """
    lay = layout if layout is not None else layout_for_profile(profile)
    scale = width_px / lay.total if lay.total > 0 else 0.0
    rows = lay.rows if scale > 0 else []
    height = HEADER_PX + len(rows) * ROW_HEIGHT_PX + FOOTER_PX
    names = [f.name for f in profile.functions]
    fills = list(colours.frames)
    label_on = [colours.label_light if is_dark_fill(c) else colours.label_dark for c in fills]
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height}" '
        f'viewBox="0 0 {width_px} {height}" font-family="{xml_text(FONT_FAMILY)}" '
        f'font-size="{FONT_PX}" class="gpuprof-flame">\n'
    )
    heading = f"Flame graph: {title or profile_title(profile)}"
    out.append(f"<title>{xml_text(heading)}</title>\n{_hatch_defs(colours)}\n")
    out.append(f'<rect x="0" y="0" width="{width_px}" height="{height}" fill="{colours.background}"/>\n')
    total = f"total {_amount(profile.total_s, profile.unit)}" if rows else "no timed frames"
    out.append(
        f'<text x="4" y="17" font-size="{FONT_PX + 3}" font-weight="bold" fill="{colours.text}" '
        f'class="header">{xml_text(heading)} · {xml_text(total)}</text>\n'
    )
    legend = "width = share of the run; hover a frame for its numbers"
    hatches = hatch_legend(profile, dotted=False)  # folded calls are not dotted in the SVG
    if hatches:
        legend += "; " + hatches
    out.append(f'<text x="4" y="35" fill="{colours.text}" class="legend">{xml_text(legend)}</text>\n')
    out.append(f'<g transform="translate(0,{HEADER_PX})">\n')
    for depth, row in enumerate(rows):
        y = depth * ROW_HEIGHT_PX
        h = ROW_HEIGHT_PX - ROW_GAP_PX
        for start, wid, node, func, bucket, exact in zip(
            row.start.tolist(),
            row.width.tolist(),
            row.node.tolist(),
            row.func.tolist(),
            row.bucket.tolist(),
            row.exact.tolist(),
            strict=True,
        ):
            w = wid * scale
            if w < MIN_FRAME_PX:
                continue
            x = start * scale
            drawn = w - FRAME_GAP_PX if w > 2 * FRAME_GAP_PX else w
            tip = xml_text(frame_tooltip_text(profile, node))
            out.append(
                f'<g><title>{tip}</title><rect class="frame" x="{x:.2f}" y="{y}" width="{drawn:.2f}" '
                f'height="{h:g}" fill="{fills[bucket]}"/>'
            )
            dark = label_on[bucket] == colours.label_light
            if not exact:
                pattern = HATCH_ID + ("-light" if dark else "")
                out.append(f'<rect x="{x:.2f}" y="{y}" width="{drawn:.2f}" height="{h:g}" fill="url(#{pattern})"/>')
            label = fit_label(names[func] if func >= 0 else "all", drawn - 2 * LABEL_PAD_PX)
            if label:
                baseline = y + (h + FONT_PX * 0.72) / 2  # cap height ~0.72 em: centred in the row
                out.append(
                    f'<text x="{x + LABEL_PAD_PX:.2f}" y="{baseline:.1f}" '
                    f'fill="{label_on[bucket]}">{xml_text(label)}</text>'
                )
            out.append("</g>\n")
    out.append("</g>\n</svg>\n")
    return "".join(out)
