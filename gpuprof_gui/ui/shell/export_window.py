"""File ▸ Export… (Ctrl+Shift+E): the profile on show in any of `gpuprof export`'s formats.

The format follows the file type picked in the dialog (or the name's suffix);
the bytes come from the same code as the command line, so both agree.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from gpuprof_gui.core.export_render import ExportError, render, write_output
from gpuprof_gui.ui.profile.flame_image import flame_png_bytes

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


def install(win: WindowBase) -> None:
    win.actions_by_id["export"].triggered.connect(partial(choose_export, win))


def format_for(path: str, chosen_filter: str = "") -> tuple[str, str]:
    """(format, path with its suffix): the chosen filter wins, else the suffix, else HTML."""
    for label, fmt, suffix in EXPORT_TYPES:
        if chosen_filter == label:
            return fmt, path if path.endswith(suffix) else path + suffix
    for _label, fmt, suffix in sorted(EXPORT_TYPES, key=lambda t: -len(t[2])):
        if path.endswith(suffix):
            return fmt, path
    return "html", path + ".html"


def choose_export(win: WindowBase, *_checked: object) -> None:
    loaded = win.loaded
    if loaded is None:
        win.set_status("Nothing to export yet: run a script or open a profile first.", error=True)
        return
    stem = os.path.splitext(os.path.basename(loaded.path or "profile"))[0]
    shown = win.workspace.provenance
    if shown is not None and shown.script:  # "train-140231", not every run's "profile"
        stem = "-".join(
            p for p in (os.path.splitext(os.path.basename(shown.script))[0], shown.clock().replace(":", "")) if p
        )
    start = os.path.join(os.path.dirname(loaded.path or "") or os.getcwd(), stem)
    filters = ";;".join(label for label, _f, _s in EXPORT_TYPES)
    path, chosen = QFileDialog.getSaveFileName(win, "Export", start, filters)
    if path:
        fmt, path = format_for(path, chosen)
        export_to(win, path, fmt)


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
