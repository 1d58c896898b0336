"""The run bar's host: this computer, or a GPU host reached through SSH (recent ones in the menu).

A host is what ``ssh`` accepts: ``user@name[:port]`` or an alias from ``~/.ssh/config``. The
app uses the user's own keys, agent and known_hosts; it stores no password and never accepts
an unknown host key (the run's message says how to check and add it).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QMessageBox, QWidget

from gpuprof_gui.jobs.remote.ssh import HostError, parse_host
from gpuprof_gui.ui.profile.menu_button import MenuButton

LOCAL = ""
MAX_RECENT_HOSTS = 8
LOCAL_TEXT = "this computer"
ADD_PROMPT = (
    "A GPU host to run on, as for ssh: user@name, name:port, or an alias from ~/.ssh/config.\n"
    "Your SSH keys and known_hosts are used; the host needs Python 3.9+ (and the GPU stack)."
)


class HostButton(MenuButton):
    """Shows where the next run goes; its menu changes it."""

    host_changed = Signal(str)
    """The user picked a host ("" for this computer)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Run on: ", "Host", parent)
        self._host = LOCAL
        self.recent: list[str] = []
        self.local_text = LOCAL_TEXT  # what the button says for this computer
        self._show()

    @property
    def host(self) -> str | None:
        """The RunSpec's ``host``: None for this computer."""
        return self._host or None

    def set_host(self, host: str, announce: bool = False) -> None:
        if host:
            try:
                parse_host(host)
            except HostError:
                host = LOCAL
        self._host = host
        if host:
            self.recent = [host, *(h for h in self.recent if h != host)][:MAX_RECENT_HOSTS]
        self._show()
        if announce:
            self.host_changed.emit(host)

    def _show(self) -> None:
        self.show_text(f"{self.label}{self._host or self.local_text}")
        if self._host:
            self.setToolTip(
                f"The script runs on {self._host} through SSH, with that host's python3.\n"
                "Its folder is copied to a private scratch folder there (less .git, caches, virtualenvs\n"
                "and what .gpuprofignore names), the results come back here, and the scratch folder is removed."
            )
        else:
            self.setToolTip("The script runs on this computer. The menu adds a GPU host reached through SSH.")

    def fill_menu(self, menu: QMenu) -> None:
        entries = [("This computer", LOCAL), *((h, h) for h in self.recent)]
        self.add_choices(menu, entries, self._host, self._pick)
        menu.addSeparator()
        menu.addAction("Add a GPU host…").triggered.connect(self.ask_host)
        forget = menu.addAction("Forget recent hosts")
        forget.setEnabled(bool(self.recent))
        forget.triggered.connect(self._forget)

    def _pick(self, host: str) -> None:
        self.set_host(host, announce=True)

    def ask_host(self) -> None:
        host = self.ask_host_text("Add a GPU host")
        if host:
            self.set_host(host, announce=True)

    def ask_host_text(self, title: str) -> str | None:
        """A host typed in a dialog (asked again while it is not one), or None when cancelled."""
        text = ""
        while True:
            text, ok = QInputDialog.getText(self, title, ADD_PROMPT, QLineEdit.EchoMode.Normal, text)
            if not ok or not text.strip():
                return None
            try:
                parse_host(text.strip())
            except HostError as exc:
                QMessageBox.warning(self, "Not a host", str(exc))
                continue
            return text.strip()

    def _forget(self) -> None:
        self.recent = [self._host] if self._host else []
        self.host_changed.emit(self._host)
