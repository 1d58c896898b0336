"""Every window action in one place: id, text, shortcut, tip.

Help ▸ Keyboard shortcuts is generated from this table, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True, slots=True)
class ActionSpec:
    text: str
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    checkable: bool = False


ACTIONS: dict[str, ActionSpec] = {
    "open_script": ActionSpec("&Open Script…", ("Ctrl+O",), "Choose a Python script to profile"),
    "open_profile": ActionSpec("Open &Profile…", ("Ctrl+Shift+O",),
                               "Open a .prof/.pstats, Scalene .json or folded-stacks file"),
    "open_example": ActionSpec("Open &Example", ("Ctrl+E",), "Load the bundled example script"),
    "save_profile": ActionSpec("&Save Raw Profile As…", ("Ctrl+S",), "Keep the run's raw profile file"),
    "open_session": ActionSpec("Open Sessio&n…", ("Ctrl+Shift+N",),
                               "Reopen a saved session: profile, console, lab results, telemetry, advice"),
    "save_session": ActionSpec("Save Session &As…", ("Ctrl+Shift+S",),
                               "Save this run (script, profile, console, lab, telemetry) as one file"),
    "export": ActionSpec("&Export…", ("Ctrl+Shift+E",),
                         "Flame graph as PNG/SVG, profile as speedscope/folded, table as CSV, HTML report"),
    "compare": ActionSpec("&Compare With…", ("Ctrl+D",),
                          "Compare this run with another profile or session: grown and shrunk functions"),
    "quit": ActionSpec("&Quit", ("Ctrl+Q",), "Close gpuprof-gui"),
    "run": ActionSpec("&Run", ("F5", "Ctrl+R"), "Profile the script"),
    "cancel": ActionSpec("&Cancel", ("Shift+F5", "Ctrl+."), "Stop the script and everything it started"),
    "auto_run": ActionSpec("Run on &Drop", (), "Start a run as soon as a script is dropped", checkable=True),
    "find": ActionSpec("&Find Function…", ("Ctrl+F",), "Highlight matching frames and filter the table"),
    "back": ActionSpec("&Back", ("Alt+Left",), "Previous flame-graph focus"),
    "reset_zoom": ActionSpec("&Reset Zoom", ("Ctrl+0",), "Show the whole run in the flame graph"),
    "presentation": ActionSpec("&Presentation Mode", ("F11",), "Large fonts and high contrast for a projector",
                               checkable=True),
    "theme_system": ActionSpec("&System Theme", (), "Follow the desktop's light or dark theme", checkable=True),
    "theme_light": ActionSpec("&Light Theme", (), "Dark text on a light background", checkable=True),
    "theme_dark": ActionSpec("&Dark Theme", (), "Light text on a dark background", checkable=True),
    "toggle_theme": ActionSpec("&Toggle Light/Dark", ("Ctrl+Shift+T",), "Switch between the light and dark theme"),
    "shortcuts": ActionSpec("&Keyboard Shortcuts", ("F1",), "List every shortcut"),
    "about": ActionSpec("&About gpuprof-gui", (), ""),
}


def make_actions(parent: QWidget) -> dict[str, QAction]:
    """QActions for :data:`ACTIONS`, parented to ``parent`` (so shortcuts work window-wide)."""
    out = {}
    for key, spec in ACTIONS.items():
        action = QAction(spec.text, parent)
        action.setObjectName(key)
        if spec.shortcuts:
            action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        if spec.tip:
            shortcut = f" ({', '.join(spec.shortcuts)})" if spec.shortcuts else ""
            action.setToolTip(spec.tip + shortcut)
            action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        parent.addAction(action)
        out[key] = action
    return out


def shortcuts_html() -> str:
    """The Help ▸ Keyboard shortcuts table."""
    rows = "".join(
        f"<tr><td><b>{', '.join(spec.shortcuts)}</b></td><td>{spec.text.replace('&', '').rstrip('…')}</td>"
        f"<td>{spec.tip}</td></tr>"
        for spec in ACTIONS.values() if spec.shortcuts
    )
    extra = ("<tr><td><b>Wheel / drag</b></td><td>Zoom / pan the flame graph</td><td></td></tr>"
             "<tr><td><b>Double-click</b></td><td>Focus a frame</td><td></td></tr>"
             "<tr><td><b>Esc, Home</b></td><td>Reset the flame graph's zoom</td><td></td></tr>")
    return f"<table cellspacing=6>{rows}{extra}</table>"
