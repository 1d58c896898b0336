"""One screen size in a process of its own: the Compare tab with a GPU run on show and its CPU run as the
baseline, light and dark, at the desk and on a projector, measured with the layout rules.

    python gpu_moved_shots.py A.prof B.prof OUT.json [PNG_FOLDER]

Run with QT_QPA_PLATFORM="offscreen:configfile=screen.json" (the screen's size) and the XDG_* and
GPUPROF_RUNS_DIR variables pointing to a scratch home; tests/ui/compare/test_gpu_moved.py does both.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

from gallery import FLAME_SHARE, SETTLE_S, _settle, _wait  # noqa: E402  (the gallery's rule and its waits)


def main() -> int:
    a_path, b_path, out = sys.argv[1:4]
    pictures = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from gpuprof_gui.ui.compare import compare_window
    from gpuprof_gui.ui.shell.main_window import MainWindow
    from gpuprof_gui.ui.style import layout_rules, theme

    settings = QSettings(str(Path(os.environ["XDG_CONFIG_HOME"]) / "shots.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.show()
    _settle(app, 1.0)
    win.open_path(b_path)
    _wait(app, lambda: win.loaded is not None)
    compare_window.compare_with(win, a_path)
    _wait(app, lambda: win.compare.gpu.result is not None)
    screen = win.screen().geometry()
    shots = []
    for theme_name in ("light", "dark"):
        for presentation, mode in ((False, "desk"), (True, "projector")):
            theme.set_theme(win, theme_name, remember=False)
            win.actions_by_id["presentation"].setChecked(presentation)
            win.set_presentation(presentation)
            win.tabs.setCurrentWidget(win.compare)
            _settle(app, SETTLE_S)
            page = win.compare.gpu
            fits, where = layout_rules.window_fits(win)
            broken = [] if fits else [f"the window does not fit the screen: {where}"]
            share = win.compare.canvas.height() / max(1, win.height())
            if share < FLAME_SHARE:
                broken.append(f"the flame graph is {share:.0%} of the window")
            broken += [f"cut text: {c}" for c in layout_rules.cut_text(win) + layout_rules.sideways_scrolling(win)]
            table = page.table
            # Every column in view, none cut: the last one ends inside the viewport.
            last = table.columnViewportPosition(table.columnCount() - 1) + table.columnWidth(table.columnCount() - 1)
            if table.columnViewportPosition(table.columnCount() - 1) < 0 or last > table.viewport().width() + 2:
                broken.append(f"the table's columns need {last} px, it has {table.viewport().width()} px")
            if not page.isVisible() or page.summary_area.viewport().height() < page.summary.fontMetrics().height():
                broken.append("the sentences are not in view")
            name = f"{screen.width()}x{screen.height()}-{mode}-{theme_name}"
            shot = {
                "name": name,
                "broken": broken,
                "window": [win.width(), win.height()],
                "table_rows": table.rowCount(),
                "summary": page.summary.text(),
                "flame_share": round(share, 3),
            }
            if pictures is not None:
                path = pictures / f"gpu-moved-{name}.png"
                win.grab().save(str(path))
                shot["file"] = str(path)
            shots.append(shot)
    Path(out).write_text(json.dumps(shots), encoding="utf-8")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
