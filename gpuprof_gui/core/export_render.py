"""A profile exported as PNG/SVG flame graph, speedscope JSON, folded stacks, CSV or an HTML report.

Shared by ``gpuprof export`` and the window's File ▸ Export: :func:`render` makes the
bytes, :func:`write_output` puts them in place atomically. Pure Python; the PNG is drawn
by Qt code the caller passes in (``draw_png``), because core never imports Qt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpuprof_gui.core.advice_session import AdviceSession
    from gpuprof_gui.core.lab_model import LabRun
    from gpuprof_gui.core.model import Profile
    from gpuprof_gui.core.provenance import Provenance

FORMATS = ("png", "svg", "speedscope", "folded", "csv", "html")
DEFAULT_PNG_WIDTH_PX = 1600
"""The PNG's height is the drawing's unless one is asked for: a fixed 900 px left a shallow
flame graph (most are under 15 rows) on ~85 % blank page."""
DEFAULT_SVG_WIDTH_PX = 1200  # flamegraph.pl's default; the height follows the depth
MIN_SIDE_PX = 64  # room for the header line and a few rows
MAX_SIDE_PX = 16384
"""Largest image side: 16384 × 16384 RGB32 is 1 GiB of pixels, past which
QImage allocation fails on many machines; no screen or printer needs more."""

DrawPng = Callable[["Profile", int, "int | None", str], bytes]
"""``(profile, width_px, height_px, title) -> PNG bytes``, e.g. ``ui.profile.flame_image.flame_png_bytes``;
``height_px`` None: as tall as the flame graph drawn. ExportError or RuntimeError when it cannot draw."""


class ExportError(Exception):
    """One sentence for the user (the CLI exits with ExitStatus.USAGE, the window shows it)."""


def render(
    fmt: str,
    profile: Profile,
    title: str | None = None,
    lab: LabRun | None = None,
    advice: AdviceSession | None = None,
    width: int | None = None,
    height: int | None = None,
    *,
    provenance: Provenance | None = None,
    draw_png: DrawPng | None = None,
) -> bytes:
    """The bytes of ``profile`` exported as ``fmt`` (one of FORMATS); ExportError says why not.

    ``title`` names the profile in headers; None takes ``provenance.name`` (the script and
    the time it ran), else the profile's file name. The HTML report lists ``provenance``'s
    facts (script, arguments, profiler, start, run time). ``lab`` and ``advice`` go into
    the HTML report only. ``draw_png`` is needed for "png" only.
    """
    name = title or (provenance.name if provenance is not None else "") or _file_title(profile)
    if fmt == "png":
        if draw_png is None:
            raise ExportError(
                "PNG export needs the window's drawing code (Qt), which is not available here; "
                "--format svg needs nothing extra."
            )
        try:
            return draw_png(profile, width or DEFAULT_PNG_WIDTH_PX, height or None, name)
        except RuntimeError as exc:  # Qt could not allocate or encode the image
            raise ExportError(f"the PNG could not be drawn ({exc}).") from None
    if fmt == "svg":
        from gpuprof_gui.core.flame_svg import flame_svg

        text = flame_svg(profile, width or DEFAULT_SVG_WIDTH_PX, title=name)
    elif fmt == "html":
        from gpuprof_gui.core.report_html import report_html

        text = report_html(profile, title=name, lab_run=lab, advice=advice, provenance=provenance)
    elif fmt in FORMATS:
        from gpuprof_gui.core import export_formats

        if fmt == "speedscope":
            text = export_formats.speedscope_json(profile, name)
        elif fmt == "folded":
            text = export_formats.folded_text(profile)
        else:
            text = export_formats.hotspot_csv(profile)
    else:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return text.encode("utf-8", "replace")  # a lone surrogate in a foreign name becomes "?"


def _file_title(profile: Profile) -> str:
    from gpuprof_gui.core.export_formats import profile_title

    return profile_title(profile)


def write_output(out: str, data: bytes, source: str) -> str | None:
    """Write ``data`` to ``out`` atomically; the path written, or None for stdout ("-").

    ``source`` is the input file: writing over it is refused.
    """
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return None
    from gpuprof_gui.core.atomic import WriteError

    try:
        if os.path.exists(out) and os.path.samefile(out, source):
            raise ExportError(f"{out} is the input file; choose another output name.")
    except OSError:
        pass
    try:
        _replace_atomically(out, data)
    except WriteError as exc:
        raise ExportError(_sentence(exc.sentence)) from None
    except OSError as exc:
        raise ExportError(f"cannot write {out} ({exc.strerror or exc}).") from None
    return out


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _replace_atomically(out: str, data: bytes) -> None:
    """OUT is the old file or the new one, never half (with a plain open()'s permissions)."""
    from gpuprof_gui.core.atomic import atomic_open

    with atomic_open(out, binary=True, prefix=".gpuprof-export-", public=True) as fh:
        fh.write(data)
