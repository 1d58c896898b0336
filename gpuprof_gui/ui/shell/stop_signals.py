"""SIGTERM and SIGINT close the window as File ▸ Quit does: the run stops, the session is kept.

Qt's event loop runs in C++, where Python's signal handlers cannot run; the
signal's wake-up byte (:func:`signal.set_wakeup_fd`) on a socket watched by a
``QSocketNotifier`` brings the loop back into Python at once, and the handler
asks the window to close from there.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QWidget

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def close_on_stop_signals(window: QWidget) -> Callable[[], None]:
    """Make SIGTERM and SIGINT close ``window``; returns the function that undoes it.

    Only the main thread may install signal handlers: elsewhere nothing changes.
    """
    receive, send = socket.socketpair()
    receive.setblocking(False)
    send.setblocking(False)
    try:
        previous_fd = signal.set_wakeup_fd(send.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        receive.close()
        send.close()
        return lambda: None
    notifier = QSocketNotifier(receive.fileno(), QSocketNotifier.Type.Read, window)

    def drain() -> None:  # running Python here runs the handler of the signal that woke us
        with contextlib.suppress(OSError):
            while receive.recv(512):
                pass

    notifier.activated.connect(drain)

    def on_signal(signum: int, frame: object) -> None:
        QTimer.singleShot(0, window.close)

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}

    def undo() -> None:
        notifier.setEnabled(False)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        receive.close()
        send.close()

    return undo
