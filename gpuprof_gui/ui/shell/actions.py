"""Every window action in one place: id, text, shortcut, tip.

Help ▸ Keyboard shortcuts is generated from this table, so the two never disagree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QWidget


@dataclass(frozen=True, slots=True)
class ActionSpec:
    text: str
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    checkable: bool = False


ACTIONS: dict[str, ActionSpec] = {
    "open_script": ActionSpec("&Open Script…", ("Ctrl+O",), "Choose a Python script to profile"),
    "open_profile": ActionSpec(
        "Open &Profile…", ("Ctrl+Shift+O",), "Open a .prof/.pstats, Scalene .json or folded-stacks file"
    ),
    "open_example": ActionSpec("Open &Example", ("Ctrl+E",), "Load the bundled example script"),
    "save_profile": ActionSpec("&Save Raw Profile As…", ("Ctrl+S",), "Keep the run's raw profile file"),
    "open_session": ActionSpec(
        "Open Sessio&n…", ("Ctrl+Shift+N",), "Reopen a saved session: profile, console, lab results, telemetry, advice"
    ),
    "save_session": ActionSpec(
        "Save Session &As…", ("Ctrl+Shift+S",), "Save this run (script, profile, console, lab, telemetry) as one file"
    ),
    "export": ActionSpec(
        "&Export…", ("Ctrl+Shift+E",), "Flame graph as PNG/SVG, profile as speedscope/folded, table as CSV, HTML report"
    ),
    "compare": ActionSpec(
        "&Compare With…", ("Ctrl+D",), "Compare this run with another profile or session: grown and shrunk functions"
    ),
    "quit": ActionSpec("&Quit", ("Ctrl+Q",), "Close gpuprof-gui"),
    "run": ActionSpec("&Run", ("F5", "Ctrl+R"), "Profile the script"),
    "cancel": ActionSpec("&Cancel", ("Shift+F5", "Ctrl+."), "Stop the script and everything it started"),
    "auto_run": ActionSpec("Run on &Drop", (), "Start a run as soon as a script is dropped", checkable=True),
    "find": ActionSpec("&Find Function…", ("Ctrl+F",), "Highlight matching frames and filter the table"),
    "back": ActionSpec("&Back", ("Alt+Left",), "Previous flame-graph focus"),
    "reset_zoom": ActionSpec("&Reset Zoom", ("Ctrl+0",), "Show the whole run in the flame graph"),
    "zoom_in": ActionSpec("Zoom &In", ("Ctrl++", "Ctrl+="), "Zoom the flame graph in around its centre"),
    "zoom_out": ActionSpec("Zoom &Out", ("Ctrl+-",), "Zoom the flame graph out"),
    "flame_root_bottom": ActionSpec(
        "Flame &graph: root at bottom",
        (),
        "Callees on top of their caller, the whole run along the bottom",
        checkable=True,
    ),
    "flame_root_top": ActionSpec(
        "I&cicle: root at top", (), "Callees below their caller, the whole run along the top", checkable=True
    ),
    "clear_console": ActionSpec(
        "C&lear Console", ("Ctrl+K",), "Empty the console pane (the run's log file keeps it all)"
    ),
    "focus_script": ActionSpec("Edit Script &Path", ("Ctrl+L",), "Type or paste the script to profile"),
    "focus_args": ActionSpec("Edit &Arguments", ("Ctrl+Shift+A",), "The arguments passed to the script"),
    "focus_timeout": ActionSpec("Edit &Timeout", ("Ctrl+T",), "Stop the script after this many seconds"),
    "next_profiler": ActionSpec("Switch &Profiler", ("Ctrl+P",), "cProfile or Scalene for the next run"),
    "focus_flame": ActionSpec("&Flame Graph", ("Ctrl+1",), "Keyboard focus to the flame graph"),
    "focus_table": ActionSpec("Hotspot &Table", ("Ctrl+2",), "Keyboard focus to the hotspot table"),
    "focus_source": ActionSpec("&Source View", ("Ctrl+3",), "Keyboard focus to the source view"),
    "focus_console": ActionSpec("&Console", ("Ctrl+4",), "Keyboard focus to the console"),
    "next_tab": ActionSpec("&Next Tab", ("Ctrl+PgDown", "Ctrl+Tab"), "Profile, Kernel lab, Offload advisor, Compare"),
    "prev_tab": ActionSpec("P&revious Tab", ("Ctrl+PgUp", "Ctrl+Shift+Tab"), "The tab to the left"),
    "lab_load": ActionSpec(
        "Load Recorded &Lab Run…", ("Ctrl+Shift+L",), "Show a saved kernel-lab results JSON, with its telemetry trace"
    ),
    "presentation": ActionSpec(
        "&Presentation Mode", ("F11",), "Large fonts and high contrast for a projector", checkable=True
    ),
    "theme_system": ActionSpec("&System Theme", (), "Follow the desktop's light or dark theme", checkable=True),
    "theme_light": ActionSpec("&Light Theme", (), "Dark text on a light background", checkable=True),
    "theme_dark": ActionSpec("&Dark Theme", (), "Light text on a dark background", checkable=True),
    "toggle_theme": ActionSpec("&Toggle Light/Dark", ("Ctrl+Shift+T",), "Switch between the light and dark theme"),
    "shortcuts": ActionSpec("&Keyboard Shortcuts", ("F1",), "List every shortcut"),
    "about": ActionSpec("&About gpuprof-gui", (), ""),
}
NO_SHORTCUT = {
    "auto_run": "a setting that stays on: chosen once in the Run menu, not mid-task",
    "theme_system": "Ctrl+Shift+T switches light and dark; the three choices are a setting",
    "theme_light": "Ctrl+Shift+T switches light and dark; the three choices are a setting",
    "theme_dark": "Ctrl+Shift+T switches light and dark; the three choices are a setting",
    "about": "read once; F1 lists the keys",
    "flame_root_bottom": "which way up the flame graph is drawn is a setting, chosen once in the View menu",
    "flame_root_top": "which way up the flame graph is drawn is a setting, chosen once in the View menu",
}
"""Actions without a shortcut, and why (tests/ui/shell/test_settings.py holds every other action to one)."""
VIEW_KEYS = (
    ("Wheel, drag", "Zoom, pan the flame graph"),
    ("Shift+wheel, scroll bar", "Scroll a flame graph deeper than its view"),
    ("Double-click", "Zoom to a frame"),
    ("Up, Down, Left, Right", "Flame graph: the frame above, below, beside"),
    ("Esc, Home", "Whole flame graph"),
    ("Esc in the search box", "Clear the search (again: whole flame graph)"),
    ("Backspace", "Previous zoom"),
    ("Enter", "Table row in the flame graph"),
    ("Ctrl+Shift+R", "Run the kernel lab"),
    ("Left, Right, PgUp, PgDown", "The advisor's steps"),
)
"""Keys that a view handles itself (not window actions), listed in the same help table."""


def make_actions(parent: QWidget) -> dict[str, QAction]:
    """QActions for :data:`ACTIONS`, parented to ``parent`` (so shortcuts work window-wide, text fields
    included: :class:`FieldShortcuts`)."""
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
    FieldShortcuts(parent, out)
    return out


FIELD_KEYS = (
    QKeySequence.StandardKey.SelectAll,
    QKeySequence.StandardKey.Copy,
    QKeySequence.StandardKey.Cut,
    QKeySequence.StandardKey.Paste,
    QKeySequence.StandardKey.Undo,
    QKeySequence.StandardKey.Redo,
    QKeySequence.StandardKey.MoveToPreviousWord,  # Alt+Left on a Mac
    QKeySequence.StandardKey.MoveToNextWord,
    QKeySequence.StandardKey.SelectPreviousWord,
    QKeySequence.StandardKey.SelectNextWord,
)
"""Editing keys a text field keeps even where a window action uses the same key."""
FIELD_MOVE_KEYS = frozenset(
    {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home, Qt.Key.Key_End}
    | {Qt.Key.Key_Backspace, Qt.Key.Key_Delete}
)
"""...and these, alone or with Ctrl or Shift (Alt+Left is Back, elsewhere than on a Mac)."""
TEXT_FIELDS = (QLineEdit, QAbstractSpinBox, QComboBox)


class FieldShortcuts(QObject):
    """The window's shortcuts work while a text field has focus, but for the keys editing needs.

    A text field claims keys before the window's shortcuts see them: under the X11 key scheme
    (GNOME, KDE, any xcb desktop) Ctrl+E is a line edit's "end of line"
    (``QKeySequence.MoveToEndOfLine``), so Open Example did nothing while the script field had
    focus. Each field of the window that takes focus gets this filter, which refuses the
    field's claim on a key one of the window's enabled actions has, unless the key is one
    of :data:`FIELD_KEYS` or :data:`FIELD_MOVE_KEYS` (End does what Ctrl+E did there).
    """

    def __init__(self, window: QWidget, actions: dict[str, QAction]) -> None:
        super().__init__(window)
        self._window, self._actions = window, actions
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if isinstance(new, TEXT_FIELDS) and new.window() is self._window:
            new.installEventFilter(self)  # once per field: Qt keeps one entry per filter object

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self.window_takes(event):
            event.ignore()  # not the field's: the shortcut goes to the window's action
            return True
        return False

    def window_takes(self, event: QKeyEvent) -> bool:
        """Whether ``event``'s key is an enabled window action's and not one a text field needs."""
        combo = event.keyCombination()
        alt = bool(combo.keyboardModifiers() & Qt.KeyboardModifier.AltModifier)
        if (combo.key() in FIELD_MOVE_KEYS and not alt) or any(event.matches(key) for key in FIELD_KEYS):
            return False
        pressed = QKeySequence(combo)
        return any(
            action.isEnabled()
            and any(s.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch for s in action.shortcuts())
            for action in self._actions.values()
        )


def shortcut_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut, then the keys views handle themselves."""
    rows = [
        (", ".join(spec.shortcuts), spec.text.replace("&", "").rstrip("…"))
        for spec in ACTIONS.values()
        if spec.shortcuts
    ]
    return rows + list(VIEW_KEYS)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


HELP_COLUMNS = 2
"""Side-by-side key tables: one long column would not fit the screen at presentation size."""


def shortcuts_html() -> str:
    """The Help ▸ Keyboard shortcuts table (tips are in the menus' status bar and tooltips)."""
    rows = shortcut_rows()
    per_column = -(-len(rows) // HELP_COLUMNS)
    columns = []
    for i in range(HELP_COLUMNS):
        cells = "".join(
            f"<tr><td><b>{_esc(keys)}</b></td><td>{_esc(text)}</td></tr>"
            for keys, text in rows[i * per_column : (i + 1) * per_column]
        )
        columns.append(f"<td valign=top><table cellspacing=4>{cells}</table></td>")
    return f"<table cellspacing=12><tr>{''.join(columns)}</tr></table>"
