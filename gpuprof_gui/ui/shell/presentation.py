"""The Profile tab laid out for a projector, and the flame graph's share of the window.

Presentation mode fills the screen (less its task bar), hides the console (a secondary
pane: the status bar still says how a run ended, and Go ▸ Console brings it back) and gives
the flame graph most of the height; leaving it puts back the window and the splitters
exactly as the user had them. A layout restored at launch
(saved on another screen, or squeezed by larger type) never leaves the flame graph less than
:data:`FLAME_SHARE` of the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from gpuprof_gui.ui.shell import screen_fit
from gpuprof_gui.ui.style import projector

if TYPE_CHECKING:
    from gpuprof_gui.ui.shell.window_base import WindowBase

FLAME_SHARE = 0.35
"""The flame graph is never shorter than this share of the window's height after a layout change."""
PRESENTATION_FLAME_SHARE = 0.66
"""On a projector the flame graph takes this share of the splitter it shares with the table."""
DESK_FLAME_SHARE = 0.55
"""The same share at the desk when a saved layout would leave the flame graph too short."""
_DESK_STATES = "_desk_splitter_states"
_DESK_GEOMETRY = "_desk_geometry"


def enter(win: WindowBase) -> None:
    """Keep the desk layout, hide the console, make the window and the flame graph big."""
    if getattr(win, _DESK_STATES, None) is None:
        setattr(win, _DESK_STATES, {name: s.saveState() for name, s in win.splitters.items()})
        setattr(win, _DESK_GEOMETRY, win.saveGeometry())
    win.console.hide()
    screen_fit.fill(win)  # the whole screen but its task bar: a projector shows nothing else
    share(win, PRESENTATION_FLAME_SHARE)


def leave(win: WindowBase) -> None:
    """The desk layout as it was before presentation mode."""
    states: dict[str, QByteArray] | None = getattr(win, _DESK_STATES, None)
    geometry: QByteArray | None = getattr(win, _DESK_GEOMETRY, None)
    setattr(win, _DESK_STATES, None)
    setattr(win, _DESK_GEOMETRY, None)
    win.console.show()
    if geometry is not None and projector.screen_is_known():
        win.restoreGeometry(geometry)
        screen_fit.fit(win)
    if states is not None:  # as the user had them, even a flame graph they made short
        for name, state in states.items():
            win.splitters[name].restoreState(state)
    else:
        keep_flame_share(win)


def desk_states(win: WindowBase) -> dict[str, QByteArray]:
    """The splitter states to save: the desk layout, also while presentation mode is on."""
    states: dict[str, QByteArray] | None = getattr(win, _DESK_STATES, None)
    return states if states is not None else {name: s.saveState() for name, s in win.splitters.items()}


def desk_geometry(win: WindowBase) -> QByteArray:
    """The window geometry to save: the desk one, also while presentation mode fills the screen."""
    geometry: QByteArray | None = getattr(win, _DESK_GEOMETRY, None)
    return geometry if geometry is not None else win.saveGeometry()


def share(win: WindowBase, flame_share: float) -> None:
    """Give the flame graph ``flame_share`` of the main splitter's height."""
    main = win.splitters["main"]
    total = sum(main.sizes()) or main.height() or 1000
    top = int(total * flame_share)
    main.setSizes([top, total - top])


def keep_flame_share(win: WindowBase) -> None:
    """Give the flame graph back its share when a restored or squeezed layout left it too short."""
    main = win.splitters["main"]
    total = sum(main.sizes())
    if total <= 0 or win.height() <= 0:
        return
    if main.sizes()[0] < FLAME_SHARE * win.height():
        share(win, max(DESK_FLAME_SHARE, min(0.9, FLAME_SHARE * win.height() / total + 0.02)))
