"""The lab's Run on button: where the kernel lab runs, and which other hosts' GPUs the telemetry also shows.

A teacher following the class's GPU hosts ticks them under "Telemetry also from"; each host's
GPUs then appear in the live plots beside this computer's and the run host's, labelled with
their host. The choices are the recent hosts (shared with the Profile tab's Run on).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from gpuprof_gui.ui.profile.host_button import MAX_RECENT_HOSTS, HostButton

WATCH_MENU = "Telemetry also from"
LAB_NAME_CHARS = 9
"""The lab's bar is crowded (File, Sizes, four buttons): a host name is elided sooner than on the run bar."""
MAX_WATCHED = 16
"""More hosts than this would be more curves than anyone can read."""


class LabHostButton(HostButton):
    """HostButton plus the hosts whose telemetry is shown too (:attr:`watched`)."""

    watch_changed = Signal(list)
    """The hosts whose telemetry is shown besides the run host's, as the user changed them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.watched: list[str] = []
        self.name_chars = LAB_NAME_CHARS
        self._show()

    def telemetry_hosts(self) -> list[str]:
        """The run host (if any) first, then the watched ones, each once."""
        hosts = [self.host] if self.host else []
        return [*hosts, *(h for h in self.watched if h not in hosts)]

    def set_watched(self, hosts: list[str], announce: bool = False) -> None:
        self.watched = list(dict.fromkeys(h for h in hosts if h))[:MAX_WATCHED]
        self.recent = [*self.recent, *(h for h in self.watched if h not in self.recent)][: MAX_RECENT_HOSTS * 2]
        self._show()
        if announce:
            self.watch_changed.emit(list(self.watched))

    def _show(self) -> None:
        super()._show()
        where = self.host or "this computer"
        tip = (
            f"The kernel lab runs on {where}"
            + (" through SSH, with that host's python3 (NumPy and CuPy there).\n" if self.host else ".\n")
            + "Its GPUs' telemetry is shown on the right"
        )
        if getattr(self, "watched", None):
            tip += f", with the GPUs of {', '.join(self.watched)}"
        self.setToolTip(tip + f'. "{WATCH_MENU}" in the menu adds other hosts\' GPUs to the plots.')

    def fill_menu(self, menu: QMenu) -> None:
        super().fill_menu(menu)
        menu.addSeparator()
        watch = menu.addMenu(WATCH_MENU)
        for host in self.recent:
            if host == self.host:
                continue
            action = QAction(host, watch, checkable=True)
            action.setChecked(host in self.watched)
            action.toggled.connect(lambda on, h=host: self._toggle(h, on))
            watch.addAction(action)
        if self.recent and any(h != self.host for h in self.recent):
            watch.addSeparator()
        watch.addAction("Add a host to watch…").triggered.connect(self._ask_watch)
        clear = watch.addAction("Watch none")
        clear.setEnabled(bool(self.watched))
        clear.triggered.connect(lambda: self.set_watched([], announce=True))

    def _toggle(self, host: str, on: bool) -> None:
        hosts = [*self.watched, host] if on else [h for h in self.watched if h != host]
        self.set_watched(hosts, announce=True)

    def _ask_watch(self) -> None:
        host = self.ask_host_text("Watch a GPU host's telemetry")
        if host:
            self.set_watched([*self.watched, host], announce=True)
