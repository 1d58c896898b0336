"""The run bar's Python: which interpreter runs the script, and why (detected, the app's own, chosen).

Automatic by default: the script's project environment as :func:`core.interpreter.detect`
finds it (an active virtualenv, a ``.venv`` nearby, a conda env, the shebang). The menu
offers the app's own Python, the Pythons chosen before, and "Choose…". The window keeps
the choice per script folder (``window_state``).
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from gpuprof_gui.core.interpreter import APP_REASON, Interpreter, app_interpreter, detect
from gpuprof_gui.ui.profile.menu_button import MenuButton

AUTO = "auto"
APP = "app"
MAX_RECENT_PYTHONS = 6


def env_name(path: str) -> str:
    """A short name for the environment a Python belongs to: ``.venv``, ``ml``, ``python3.12``."""
    folder = os.path.dirname(path)
    if os.path.basename(folder) in ("bin", "Scripts"):
        return os.path.basename(os.path.dirname(folder)) or os.path.basename(path)
    return os.path.basename(path)


class PythonButton(MenuButton):
    """Shows the Python for the next run; its menu changes it.

    A long environment name is elided; the tooltip gives the whole path.
    """

    choice_changed = Signal(str)
    """The user picked "auto", "app" or a path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Python: ", "Python", parent)
        self._choice = AUTO
        self._remote: str | None = None  # a host whose python3 runs the script instead
        self._script = ""
        self._detected: Interpreter = app_interpreter()
        self.recent: list[str] = []
        self._show()

    # -- values ----------------------------------------------------------------------------
    @property
    def choice(self) -> str:
        """``auto``, ``app`` or the path of a Python."""
        return self._choice

    def interpreter(self) -> Interpreter:
        """The Python the next run uses, with the reason."""
        if self._choice == AUTO:
            return self._detected
        if self._choice == APP:
            return app_interpreter()
        return Interpreter(self._choice, "chosen")

    def python_for_run(self) -> str | None:
        """The RunSpec's ``python``: None for the app's own."""
        chosen = self.interpreter()
        return None if chosen.is_app else chosen.path

    def set_choice(self, choice: str, announce: bool = False) -> None:
        self._choice = choice if choice in (AUTO, APP) or os.path.isabs(choice) else AUTO
        if self._choice not in (AUTO, APP) and self._choice not in self.recent:
            self.recent = [self._choice, *self.recent][:MAX_RECENT_PYTHONS]
        self._show()
        if announce:
            self.choice_changed.emit(self._choice)

    def set_script(self, script: str) -> None:
        """Look for the script's environment again (a few file checks, no program is run)."""
        self._script = script
        self._detected = detect(script) if script and os.path.exists(script) else app_interpreter()
        self._show()

    # -- looks -----------------------------------------------------------------------------
    def show_remote(self, host: str | None) -> None:
        """A run on ``host`` uses that host's python3: say so instead of this computer's choice."""
        self._remote = host
        self._show()

    def _show(self) -> None:
        if self._remote:
            self.show_text(f"{self.label}the host's")
            self.setToolTip(
                f"The script runs on {self._remote} with its python3 (the first on PATH for a "
                "non-interactive login).\nThe Python chosen here applies to runs on this computer."
            )
            return
        chosen = self.interpreter()
        if chosen.is_app:
            short = "app's own"
        else:
            short = env_name(chosen.path)
        self.show_text(f"{self.label}{short}")
        how = "detected automatically" if self._choice == AUTO else "chosen"
        self.setToolTip(
            f"The Python that runs the script ({how}): {chosen.path}\n"
            f"Why: {chosen.reason}.\n"
            "The script imports the packages of this Python's environment."
        )

    def fill_menu(self, menu: QMenu) -> None:
        detected = self._detected
        auto_text = "Automatic: " + (
            "the app's own Python (no project environment found)"
            if detected.reason == APP_REASON
            else f"{env_name(detected.path)} ({detected.reason})"
        )
        entries = [(auto_text, AUTO), (f"The app's own Python ({sys.version.split()[0]})", APP)]
        entries += [(path, path) for path in self.recent]
        self.add_choices(menu, entries, self._choice, self._pick)
        menu.addSeparator()
        menu.addAction("Choose a Python…").triggered.connect(self.browse)

    def _pick(self, choice: str) -> None:
        self.set_choice(choice, announce=True)

    def browse(self) -> None:
        start = os.path.dirname(self._script) if self._script else os.path.expanduser("~")
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the Python that runs the script", start, "Python (python python3*);;All files (*)"
        )
        if path:
            self.set_choice(os.path.abspath(path), announce=True)
