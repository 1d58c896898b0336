"""``gpuprof export FILE --format png|svg|speedscope|folded|csv|html -o OUT``.

FILE is anything ``gpuprof open`` reads (a .prof, Scalene JSON, folded stacks, a
saved gpuprof profile, a session or an advisor session from ``gpuprof advise
--save``), opened through the one door (:mod:`gpuprof_gui.jobs.opening`). The
rendering is :mod:`gpuprof_gui.core.export_render`, shared with the window; only
the PNG format loads Qt (through :mod:`gpuprof_gui.cli.gui`). The output is written
to a temporary file beside OUT and renamed over it, so OUT is never half written.
"""

from __future__ import annotations

import argparse
import sys

from gpuprof_gui.core.export_render import (
    DEFAULT_PNG_WIDTH_PX,
    DEFAULT_SVG_WIDTH_PX,
    FORMATS,
    MAX_SIDE_PX,
    MIN_SIDE_PX,
    ExportError,
    render,
    write_output,
)
from gpuprof_gui.core.opening import OpenError
from gpuprof_gui.exit_codes import ExitStatus

VERB = "export"


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        VERB,
        help="write a profile as PNG/SVG flame graph, speedscope JSON, folded stacks, CSV or an HTML report",
        description="Export a profile for other tools and for sharing. FILE is any profile `gpuprof open` reads, "
        f"or a session / advisor session file. Exit {ExitStatus.OK}: written; {ExitStatus.USAGE}: bad command "
        f"line, unreadable input or unwritable output.",
    )
    p.add_argument("file", help="profile (.prof, Scalene .json, folded stacks, gpuprof .json) or session file")
    p.add_argument(
        "--format",
        required=True,
        choices=FORMATS,
        dest="export_format",
        help="png/svg: flame graph; speedscope: JSON for speedscope.app; folded: a;b;c value lines; "
        "csv: hotspot table; html: a self-contained report",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write ('-' for stdout, not png)")
    p.add_argument(
        "--width",
        type=int,
        metavar="PX",
        help=f"image width (png default {DEFAULT_PNG_WIDTH_PX}, svg default {DEFAULT_SVG_WIDTH_PX})",
    )
    p.add_argument("--height", type=int, metavar="PX", help="png height (default: as tall as the flame graph)")
    p.add_argument(
        "--title",
        help="name shown in the header (default: the script and when it ran, where the "
        "input says so, else the input file's name)",
    )
    p.add_argument("--lab-results", metavar="FILE", help="html: add a kernel-lab results table (gpuprof kernels)")
    p.add_argument("--advice", metavar="SESSION.json", help="html: add the advisor's numbers (gpuprof advise --save)")


def run(args: argparse.Namespace) -> int:
    try:
        _check_options(args)
        data, source = _render(args)
        where = write_output(args.output, data, source)
    except (ExportError, OpenError) as exc:
        print(f"gpuprof export: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        print("gpuprof export: interrupted; nothing was written.", file=sys.stderr)
        return ExitStatus.CANCELLED
    if where:
        print(f"gpuprof export: wrote {where} ({len(data):,} bytes)", file=sys.stderr)
    return ExitStatus.OK


def _check_options(args: argparse.Namespace) -> None:
    fmt = args.export_format
    if fmt != "html" and (args.lab_results or args.advice):
        raise ExportError("--lab-results and --advice apply only to --format html.")
    if fmt not in ("png", "svg") and (args.width is not None or args.height is not None):
        raise ExportError("--width and --height apply only to --format png and svg.")
    if fmt == "svg" and args.height is not None:
        raise ExportError("an SVG flame graph is as tall as the graph is deep; give only --width.")
    for name in ("width", "height"):
        value = getattr(args, name)
        if value is not None and not MIN_SIDE_PX <= value <= MAX_SIDE_PX:
            raise ExportError(f"--{name} must be between {MIN_SIDE_PX} and {MAX_SIDE_PX} pixels.")
    if fmt == "png" and args.output == "-":
        raise ExportError("a PNG is not written to standard output; give a file name with -o.")


def _render(args: argparse.Namespace) -> tuple[bytes, str]:
    """The exported file's bytes and the input's path (inputs are read first, so a bad one stops before any output)."""
    from gpuprof_gui.cli.gui import flame_png
    from gpuprof_gui.jobs.opening import open_advice, open_lab_results, open_profile

    opened = open_profile(args.file)  # a profile, or the one inside a session or advisor session
    lab = open_lab_results(args.lab_results) if args.lab_results else opened.lab
    advice = open_advice(args.advice) if args.advice else opened.advice
    assert opened.profile is not None  # open_profile raises for files without one
    data = render(
        args.export_format,
        opened.profile,
        args.title,
        lab,
        advice,
        args.width,
        args.height,
        provenance=opened.provenance,
        draw_png=flame_png,
    )
    return data, opened.path
