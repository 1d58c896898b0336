"""``gpuprof gui [FILE] ...``: the window, and the CLI's only door to Qt code.

Everything the command line needs from ``gpuprof_gui.ui`` goes through here, imported
inside the function that needs it: the window itself, and the flame graph PNG that
``gpuprof export --format png`` draws with the window's painter. Without Qt installed
both say in one sentence what to install (exit :attr:`ExitStatus.UNAVAILABLE`), not a traceback.
"""

from __future__ import annotations

import argparse
import sys

from gpuprof_gui.exit_codes import ExitStatus

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
QT_INSTALL = "pip install 'PySide6-Essentials!=6.12.0' pyqtgraph (or `make install` in a checkout)"


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    """Only for the top-level --help: the window parses its own options (``ui/app.py``)."""
    verbs.add_parser(
        "gui",
        help="open the desktop application: gui [SCRIPT|PROFILE|SESSION] [--profiler P] [--run] [--screenshot PNG]",
        add_help=False,
    )


def _missing_qt(exc: ModuleNotFoundError) -> str | None:
    """The Qt package ``exc`` is about, or None for any other missing module."""
    top = (exc.name or "").split(".")[0]
    return top if top in QT_MODULES else None


def run_argv(argv: list[str]) -> int:
    """The window with ``argv`` (its own options); its exit status."""
    try:
        from gpuprof_gui.ui.app import main as gui  # the only verb that loads Qt

        return gui(argv)  # PySide6 itself is imported in there
    except ModuleNotFoundError as exc:
        missing = _missing_qt(exc)
        if missing is None:
            raise
        print(
            f"gpuprof gui: the window needs {missing}, which is not installed here: {QT_INSTALL}. "
            "The other verbs (profile, open, advise, diff, export, kernels) work without it.",
            file=sys.stderr,
        )
        return ExitStatus.UNAVAILABLE


def flame_png(profile, width_px: int, height_px: int | None, title: str) -> bytes:
    """The flame graph as PNG, drawn by the window's painter (a ``DrawPng`` for core.export_render)."""
    from gpuprof_gui.core.export_render import ExportError

    try:
        from gpuprof_gui.ui.profile.flame_image import flame_png_bytes
    except ImportError as exc:
        raise ExportError(
            f"PNG export needs Qt (PySide6), which cannot be loaded here ({exc}): {QT_INSTALL}; "
            "--format svg needs nothing extra."
        ) from None
    return flame_png_bytes(profile, width_px, height_px, title)
