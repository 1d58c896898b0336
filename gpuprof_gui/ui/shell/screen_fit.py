"""Keep the window on its screen: a first launch, a saved geometry, presentation mode and
a tab whose page wants more room must never push it past the screen's available area.

A geometry saved on a big monitor is restored on a 1024×768 projector; a larger font
raises every widget's minimum size; Qt grows a window whose page needs more room than it
has. Each of these ends in :func:`fit`, which shrinks the window to the screen's available
area (less the window frame) and moves it back on screen. The views keep their minimum
sizes below the smallest screen this supports (1024×768) for this to succeed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, QTimer
from PySide6.QtGui import QGuiApplication, QScreen

from gpuprof_gui.ui.style import projector

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

DEFAULT_SIZE = QSize(1400, 900)
"""A first window on a big screen."""
FIRST_SHARE = 0.92
"""...and at most this share of a smaller screen's available width and height."""


def screen_of(win: QWidget) -> QScreen | None:
    return win.screen() or QGuiApplication.primaryScreen()


def available(win: QWidget) -> QRect:
    """The area the window's frame may take: the screen less task bars and docks."""
    screen = screen_of(win)
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1 << 15, 1 << 15)


def frame_extra(win: QWidget) -> QSize:
    """What the window manager's frame adds around the window (0 before the first show)."""
    outer, inner = win.frameGeometry(), win.geometry()
    return QSize(max(0, outer.width() - inner.width()), max(0, outer.height() - inner.height()))


def largest(win: QWidget) -> QSize:
    """The largest client size whose frame still lies inside the available area."""
    area, extra = available(win), frame_extra(win)
    return QSize(max(1, area.width() - extra.width()), max(1, area.height() - extra.height()))


def first_size(win: QWidget) -> None:
    """The size of a window with no saved geometry: DEFAULT_SIZE, or most of a smaller screen, centred."""
    if not projector.screen_is_known():
        win.resize(DEFAULT_SIZE)
        return
    area = available(win)
    size = DEFAULT_SIZE.boundedTo(QSize(int(area.width() * FIRST_SHARE), int(area.height() * FIRST_SHARE)))
    win.resize(size.expandedTo(win.minimumSizeHint()).boundedTo(largest(win)))
    win.move(area.center().x() - size.width() // 2, area.center().y() - size.height() // 2)


def fill(win: QWidget) -> None:
    """Give ``win`` the whole available area (presentation mode), frame included."""
    if not projector.screen_is_known() or win.isMaximized() or win.isFullScreen():
        return
    area = available(win)
    win.resize(largest(win))
    win.move(area.topLeft())


def fit(win: QWidget) -> bool:
    """Shrink ``win`` to its screen and move it back on it; True when anything changed."""
    if not projector.screen_is_known() or win.isMaximized() or win.isFullScreen():
        return False
    room = largest(win)
    size = win.size().boundedTo(room)
    changed = size != win.size()
    if changed:
        win.resize(size)
    area, extra = available(win), frame_extra(win)
    frame = win.frameGeometry()
    x = min(max(frame.x(), area.left()), area.right() + 1 - (win.width() + extra.width()))
    y = min(max(frame.y(), area.top()), area.bottom() + 1 - (win.height() + extra.height()))
    if (x, y) != (frame.x(), frame.y()):
        win.move(max(area.left(), x), max(area.top(), y))
        changed = True
    return changed


def fit_soon(win: QWidget) -> None:
    """:func:`fit` once pending layout requests (a new page's, a new font's) have grown the window."""
    QTimer.singleShot(0, win, lambda: fit(win))
