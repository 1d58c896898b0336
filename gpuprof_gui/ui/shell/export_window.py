"""File ▸ Export… (Ctrl+Shift+E): the profile on show in any of `gpuprof export`'s formats.

The format follows the name's suffix when the exporter knows it (``flame.svg`` is an SVG
whatever type the dialog shows), else the file type picked in the dialog, whose suffix is
added. The bytes come from the same code as the command line, so both agree.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from gpuprof_gui.core.export_render import ExportError, render, write_output
from gpuprof_gui.ui.profile.flame_image import flame_png_bytes
from gpuprof_gui.ui.shell import save_places

if TYPE_CHECKING:
    from gpuprof_gui.ui.shell.window_base import WindowBase

# Dialog filter, format, default suffix: the order is the dialog's.
EXPORT_TYPES = (
    ("HTML report (*.html)", "html", ".html"),
    ("Flame graph, PNG image (*.png)", "png", ".png"),
    ("Flame graph, SVG image (*.svg)", "svg", ".svg"),
    ("speedscope JSON (*.speedscope.json)", "speedscope", ".speedscope.json"),
    ("Folded stacks (*.folded)", "folded", ".folded"),
    ("Hotspot table, CSV (*.csv)", "csv", ".csv"),
)


SUFFIX_ALIASES = {".htm": "html", ".json": "speedscope", ".collapsed": "folded"}
"""Other suffixes a typed name may end with, and the format each means."""
KNOWN_SUFFIXES = {**{suffix: fmt for _label, fmt, suffix in EXPORT_TYPES}, **SUFFIX_ALIASES}
NAME_TAILS = {"html": "-report", "png": "-flame", "svg": "-flame", "csv": "-hotspots"}
"""What the offered name adds to the script's: ``train-flame.svg``, ``train-report.html``."""
FORMAT_KEY = "export/format"
"""Settings key: the format of the last export, the type the dialog shows first next time."""


def install(win: WindowBase) -> None:
    win.actions_by_id["export"].triggered.connect(partial(choose_export, win))


def format_for(path: str, chosen_filter: str = "") -> tuple[str, str]:
    """(format, path to write): a suffix the exporter knows wins, whatever the filter; a name
    without one gets the chosen filter's format and suffix (HTML when none was chosen)."""
    lower = path.lower()
    for suffix, fmt in sorted(KNOWN_SUFFIXES.items(), key=lambda item: -len(item[0])):
        if lower.endswith(suffix) and len(os.path.basename(lower)) > len(suffix):
            return fmt, path
    for label, fmt, suffix in EXPORT_TYPES:
        if chosen_filter == label:
            return fmt, path + suffix
    return "html", path + ".html"


def offered_name(win: WindowBase, fmt: str) -> str:
    """The file name the dialog offers for ``fmt``: the script's name, a word for what it holds, the suffix."""
    suffix = next(s for _label, f, s in EXPORT_TYPES if f == fmt)
    return save_places.name_stem(win) + NAME_TAILS.get(fmt, "") + suffix


def last_format(win: WindowBase) -> str:
    value = win.settings.value(FORMAT_KEY, "html")
    return value if isinstance(value, str) and value in {f for _label, f, _s in EXPORT_TYPES} else "html"


def choose_export(win: WindowBase, *_checked: object) -> None:
    if win.loaded is None:
        win.set_status("Nothing to export yet: run a script or open a profile first.", error=True)
        return
    fmt = last_format(win)
    label = next(lab for lab, f, _s in EXPORT_TYPES if f == fmt)
    start = save_places.dialog_path(win, offered_name(win, fmt))
    filters = ";;".join(label for label, _f, _s in EXPORT_TYPES)
    path, chosen = QFileDialog.getSaveFileName(win, "Export", start, filters, label)
    if path:
        fmt, path = format_for(path, chosen)
        if export_to(win, path, fmt):
            save_places.remember_folder(win, path)
            win.settings.setValue(FORMAT_KEY, fmt)


def export_to(win: WindowBase, path: str, fmt: str) -> bool:
    """Write the profile on show as ``fmt``; the status bar says where, or why not."""
    loaded = win.loaded
    if loaded is None:
        win.set_status("Nothing to export yet: run a script or open a profile first.", error=True)
        return False
    title = win.workspace.name or None  # None: the renderer names it from the provenance or the file
    lab = win.workspace.lab_run
    advice = win.advisor.state.session
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        data = render(
            fmt,
            loaded.profile,
            title,
            lab if fmt == "html" else None,
            advice if fmt == "html" else None,
            provenance=win.workspace.provenance,
            draw_png=flame_png_bytes,
        )
        write_output(path, data, loaded.path or "")
    except ExportError as exc:
        win.set_status(f"Export failed: {exc}", error=True)
        return False
    finally:
        QApplication.restoreOverrideCursor()
    win.set_status(f"Exported {fmt.upper()} to {path}")
    return True
