"""``gpuprof export FILE --format png|svg|speedscope|folded|csv|html -o OUT``.

FILE is anything ``gpuprof open`` reads (a .prof, Scalene JSON, folded stacks, a
saved gpuprof profile), or a session file (``gpuprof-session``, or an advisor
session from ``gpuprof advise --save``), whose profile is exported. Only the PNG
format loads Qt; every other format is pure Python. The output is written to a
temporary file beside OUT and renamed over it, so OUT is never half written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

VERB = "export"
FORMATS = ("png", "svg", "speedscope", "folded", "csv", "html")
EXIT_OK = 0
EXIT_USAGE = 2  # bad command line, unreadable input, unwritable output

DEFAULT_PNG_SIZE_PX = (1600, 900)
DEFAULT_SVG_WIDTH_PX = 1200  # flamegraph.pl's default; the height follows the depth
MIN_SIDE_PX = 64  # room for the header line and a few rows
MAX_SIDE_PX = 16384
"""Largest image side: 16384 × 16384 RGB32 is 1 GiB of pixels, past which
QImage allocation fails on many machines; no screen or printer needs more."""
SNIFF_BYTES = 512  # a session file names its format in its first keys


class ExportError(Exception):
    """One sentence for the user; the verb exits with EXIT_USAGE."""


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        VERB, help="write a profile as PNG/SVG flame graph, speedscope JSON, folded stacks, CSV or an HTML report",
        description="Export a profile for other tools and for sharing. FILE is any profile `gpuprof open` reads, "
        "or a session / advisor session file. Exit 0: written; 2: bad command line, unreadable input or "
        "unwritable output.")
    p.add_argument("file", help="profile (.prof, Scalene .json, folded stacks, gpuprof .json) or session file")
    p.add_argument("--format", required=True, choices=FORMATS, dest="export_format",
                   help="png/svg: flame graph; speedscope: JSON for speedscope.app; folded: a;b;c value lines; "
                   "csv: hotspot table; html: a self-contained report")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write ('-' for stdout, not png)")
    p.add_argument("--width", type=int, metavar="PX",
                   help=f"image width (png default {DEFAULT_PNG_SIZE_PX[0]}, svg default {DEFAULT_SVG_WIDTH_PX})")
    p.add_argument("--height", type=int, metavar="PX", help=f"png height (default {DEFAULT_PNG_SIZE_PX[1]})")
    p.add_argument("--title", help="name shown in the header (default: the input file's name)")
    p.add_argument("--lab-results", metavar="FILE", help="html: add a kernel-lab results table (gpuprof kernels)")
    p.add_argument("--advice", metavar="SESSION.json", help="html: add the advisor's numbers (gpuprof advise --save)")


def dispatch(args: argparse.Namespace) -> int | None:
    if getattr(args, "verb", None) != VERB:
        return None
    try:
        _check_options(args)
        data = _render(args)
        where = write_output(args.output, data, args.file)
    except ExportError as exc:
        print(f"gpuprof export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gpuprof export: interrupted; nothing was written.", file=sys.stderr)
        return 130
    if where:
        print(f"gpuprof export: wrote {where} ({len(data):,} bytes)", file=sys.stderr)
    return EXIT_OK


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


def _sniff_format(path: str) -> str | None:
    """The ``format`` a JSON document names in its first bytes, or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return None  # the profile loader says why in its own words
    compact = b"".join(head.split())
    for name in (b"gpuprof-advice-session", b"gpuprof-session"):
        if b'"format":"' + name + b'"' in compact:
            return name.decode()
    return None


def load_input(path: str):
    """(Profile, LabRun | None, AdviceSession | None) from any file the verb accepts."""
    kind = _sniff_format(path)
    if kind == "gpuprof-advice-session":
        from gpuprof_gui.core.advice_session import load_session

        try:
            session = load_session(path)
        except ValueError as exc:
            raise ExportError(f"{path}: {exc}.") from None
        if session.profile is None:
            raise ExportError(f"{path}: the advisor session holds no profile to export.")
        return session.profile, session.lab, session
    if kind == "gpuprof-session":
        from gpuprof_gui.core.session import SessionError, load_session

        try:
            run = load_session(path)
        except SessionError as exc:
            raise ExportError(str(exc)) from None
        if run.profile is None:
            raise ExportError(f"{path}: the session holds no profile to export.")
        return run.profile, run.lab, _advice_from_dict(run.advice, path)
    from gpuprof_gui.core.importers import ProfileFormatError
    from gpuprof_gui.jobs.runner import open_profile_safely

    try:
        return open_profile_safely(path, trusted=False), None, None
    except ProfileFormatError as exc:
        raise ExportError(f"{path}: {exc}") from None


def _advice_from_dict(data: dict | None, path: str):
    if not data:
        return None
    from gpuprof_gui.core.advice_session import AdviceSession

    try:
        return AdviceSession.from_dict(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise ExportError(f"{path}: the session's advisor part is damaged ({exc}).") from None


def _load_lab(path: str):
    from gpuprof_gui.core.lab_model import load_run

    if not os.path.exists(path):
        raise ExportError(f"{path}: no such lab results file.")
    try:
        return load_run(path)
    except FileNotFoundError:
        raise ExportError(f"{path}: no such lab results file.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, KeyError, TypeError,
            AttributeError) as exc:
        raise ExportError(f"{path}: not a readable kernel-lab results file ({exc}).") from None


def _load_advice(path: str):
    from gpuprof_gui.core.advice_session import load_session

    try:
        return load_session(path)
    except ValueError as exc:
        raise ExportError(f"{path}: {exc}.") from None


def _render(args: argparse.Namespace) -> bytes:
    """The exported file's bytes (inputs are read first, so a bad one stops before any output)."""
    profile, lab, advice = load_input(args.file)
    # An advisor session is named after the script it advised on, a profile after its file.
    title = args.title or (os.path.basename(advice.script) if advice is not None and advice.script
                           else os.path.basename(args.file))
    if args.lab_results:
        lab = _load_lab(args.lab_results)
    if args.advice:
        advice = _load_advice(args.advice)
    return render(args.export_format, profile, title, lab, advice, args.width, args.height)


def render(fmt: str, profile, title: str, lab=None, advice=None, width: int | None = None,
           height: int | None = None) -> bytes:
    """The bytes of ``profile`` exported as ``fmt`` (one of FORMATS); ExportError says why not."""
    if fmt == "png":
        return _png(profile, width, height, title)
    if fmt == "svg":
        from gpuprof_gui.core.flame_svg import flame_svg

        text = flame_svg(profile, width or DEFAULT_SVG_WIDTH_PX, title=title)
    elif fmt == "html":
        from gpuprof_gui.core.report_html import report_html

        text = report_html(profile, title=title, lab_run=lab, advice=advice)
    else:
        from gpuprof_gui.core import export_formats

        if fmt == "speedscope":
            text = export_formats.speedscope_json(profile, title)
        elif fmt == "folded":
            text = export_formats.folded_text(profile)
        else:
            text = export_formats.hotspot_csv(profile)
    return text.encode("utf-8", "replace")  # a lone surrogate in a foreign name becomes "?"


def _png(profile, width: int | None, height: int | None, title: str) -> bytes:
    try:
        from gpuprof_gui.ui.profile.flame_image import flame_png_bytes
    except ImportError as exc:
        raise ExportError(f"PNG export needs Qt (PySide6), which cannot be loaded here ({exc}); "
                          "--format svg needs nothing extra.") from None
    width = width or DEFAULT_PNG_SIZE_PX[0]
    height = height or DEFAULT_PNG_SIZE_PX[1]
    try:
        return flame_png_bytes(profile, width, height, title)
    except RuntimeError as exc:
        raise ExportError(f"the PNG could not be drawn ({exc}).") from None


def write_output(out: str, data: bytes, source: str) -> str | None:
    """Write ``data`` to ``out`` atomically; the path written, or None for stdout."""
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return None
    if os.path.isdir(out):
        raise ExportError(f"{out} is a folder; give a file name for the output.")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ExportError(f"cannot write {out}: the folder {folder} does not exist.")
    try:
        if os.path.exists(out) and os.path.samefile(out, source):
            raise ExportError(f"{out} is the input file; choose another output name.")
    except OSError:
        pass
    try:
        _replace_atomically(out, folder, data)
    except OSError as exc:
        raise ExportError(f"cannot write {out} ({exc.strerror or exc}).") from None
    return out


def _replace_atomically(out: str, folder: str, data: bytes) -> None:
    """OUT is the old file or the new one, never half (with a plain open()'s permissions)."""
    from gpuprof_gui.core.atomic import atomic_open

    with atomic_open(out, binary=True, prefix=".gpuprof-export-", public=True) as fh:
        fh.write(data)
