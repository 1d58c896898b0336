"""The lab's Run on button: where the kernel lab runs, and which other hosts' GPUs the telemetry also shows.

A teacher following the class's GPU hosts ticks them under "Telemetry also from"; each host's
GPUs then appear in the live plots beside this computer's and the run host's, labelled with
their host. The choices are the recent hosts (shared with the Profile tab's Run on).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from gpuprof_gui.ui.profile.host_button import MAX_RECENT_HOSTS, HostButton

WATCH_MENU = "Telemetry also from"
GPU_MENU = "GPU"
DEFAULT_GPU_TEXT = "The default GPU (GPU 0)"
LAB_LOCAL_TEXT = "local"
"""This computer, in the lab's crowded bar (the tooltip and the status line say it in full)."""
LAB_NAME_CHARS = 9
"""The lab's bar is crowded (File, Sizes, four buttons): a host name is elided sooner than on the run bar."""
MAX_WATCHED = 16
"""More hosts than this would be more curves than anyone can read."""


class LabHostButton(HostButton):
    """HostButton plus the hosts whose telemetry is shown too (:attr:`watched`)."""

    watch_changed = Signal(list)
    """The hosts whose telemetry is shown besides the run host's, as the user changed them."""
    gpu_changed = Signal(object)
    """The GPU the lab runs on (its number on the run host), or None for the default."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.watched: list[str] = []
        self.gpu: int | None = None  # on the run host, as NVML numbers its GPUs
        self.list_gpus: Callable[[], list[tuple[int, str]]] = list  # the run host's GPUs, as telemetry knows them
        self.name_chars = LAB_NAME_CHARS
        self.local_text = LAB_LOCAL_TEXT
        self._show()

    def set_host(self, host: str, announce: bool = False) -> None:
        if host != (self.host or "") and getattr(self, "gpu", None) is not None:
            self.gpu = None  # GPU numbers are a host's own
            if announce:
                self.gpu_changed.emit(None)
        super().set_host(host, announce)

    def _elide(self) -> None:
        """With a GPU picked only the host's name is elided: "GPU 1" always shows whole."""
        gpu = getattr(self, "gpu", None)
        if gpu is None or not self.host:
            super()._elide()
            return
        metrics = self.fontMetrics()
        host = metrics.elidedText(self.host, Qt.TextElideMode.ElideMiddle, metrics.averageCharWidth() * self.name_chars)
        self.setText(f"{self.label}{host} · GPU {gpu}")

    def set_gpu(self, gpu: int | None, announce: bool = False) -> None:
        self.gpu = gpu
        self._show()
        if announce:
            self.gpu_changed.emit(gpu)

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
        gpu = getattr(self, "gpu", None)
        if gpu is not None:  # "Run on: GPU 1" here, "Run on: alice@lab1 · GPU 1" on a host
            self.show_text(f"{self.label}{self.host + ' · ' if self.host else ''}GPU {gpu}")
        where = (self.host or "this computer") + (f", GPU {gpu}" if gpu is not None else "")
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
        gpus = menu.addMenu(GPU_MENU)
        choices = [(DEFAULT_GPU_TEXT, ""), *((f"GPU {i}: {name}", str(i)) for i, name in self.list_gpus())]
        current = "" if self.gpu is None else str(self.gpu)
        if current and all(value != current for _text, value in choices):
            choices.append((f"GPU {current}", current))  # picked before its host's GPUs were known
        self.add_choices(gpus, choices, current, lambda value: self.set_gpu(int(value) if value else None, True))
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
