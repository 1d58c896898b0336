"""Keys that move around the window: focus a view or a run-bar field, switch tabs, zoom the
flame graph, clear the console, pick the profiler. The actions and their shortcuts are in
actions.py (and so in Help ▸ Keyboard shortcuts); this module says what they do.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QWidget

if TYPE_CHECKING:
    from gpuprof_gui.ui.profile.flame_canvas import FlameCanvas
    from gpuprof_gui.ui.shell.window_base import WindowBase

ZOOM_STEP = 1.5
"""One key press zooms by half again: about six presses for 10x (a wheel notch zooms 25%)."""


def install(win: WindowBase) -> None:
    a = win.actions_by_id
    a["zoom_in"].triggered.connect(partial(_zoom, win, ZOOM_STEP))
    a["zoom_out"].triggered.connect(partial(_zoom, win, 1.0 / ZOOM_STEP))
    a["clear_console"].triggered.connect(partial(_clear_console, win))
    a["next_profiler"].triggered.connect(partial(_next_profiler, win))
    a["next_tab"].triggered.connect(partial(_step_tab, win, 1))
    a["prev_tab"].triggered.connect(partial(_step_tab, win, -1))
    a["lab_load"].triggered.connect(partial(_lab_load, win))
    targets = {
        "focus_script": win.run_bar.script_edit,
        "focus_args": win.run_bar.args_edit,
        "focus_timeout": win.run_bar.timeout_spin,
        "focus_flame": win.flame.canvas,
        "focus_table": win.table,
        "focus_source": win.source.editor,
        "focus_console": win.console,
    }
    for key, widget in targets.items():
        a[key].triggered.connect(partial(focus_view, win, widget))


def focus_view(win: WindowBase, widget: QWidget, *_checked: object) -> None:
    """Show the tab holding ``widget`` and give it the keyboard; a field's text is selected to be typed over."""
    for i in range(win.tabs.count()):
        page = win.tabs.widget(i)
        if page is not None and (page is widget or page.isAncestorOf(widget)):
            win.tabs.setCurrentIndex(i)
            break
    if not widget.isVisible():
        widget.show()  # the console, hidden in presentation mode, comes back when asked for
    widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
    if isinstance(widget, (QLineEdit, QAbstractSpinBox)):
        widget.selectAll()


def current_canvas(win: WindowBase) -> FlameCanvas:
    """The flame graph on show: the Compare tab's when it is the current tab, else the profile's."""
    if win.tabs.currentWidget() is win.compare:
        return win.compare.canvas
    return win.flame.canvas


def _zoom(win: WindowBase, factor: float, *_checked: object) -> None:
    current_canvas(win).zoom_by(factor)


def _clear_console(win: WindowBase, *_checked: object) -> None:
    win.console.clear()  # the screen only: the run's output.log keeps everything


def _next_profiler(win: WindowBase, *_checked: object) -> None:
    combo = win.run_bar.profiler_combo
    if not combo.isEnabled():  # a run is going: its profiler is fixed
        return
    combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())
    win.set_status(f"The next run uses {combo.currentText()}.")


def _step_tab(win: WindowBase, step: int, *_checked: object) -> None:
    tabs = win.tabs
    tabs.setCurrentIndex((tabs.currentIndex() + step) % tabs.count())


def _lab_load(win: WindowBase, *_checked: object) -> None:
    win.tabs.setCurrentWidget(win.lab)
    win.lab.choose_recorded_run()
