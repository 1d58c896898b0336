"""How big presentation mode draws: the same size on the wall, whatever the screen.

A projector shows the whole screen on the same wall, so text a given number of pixels
high looks nearly twice as big from a 1024×768 laptop as from a 1920×1080 one. The
projector sizes (20 pt body text, :data:`REFERENCE_PT`) are chosen for a 1920×1080
screen and scaled down with the screen, never below :data:`SMALLEST_PT`: 14 pt on
1024×768 is as tall on the wall (2.4% of the image height) as 20 pt on 1080 lines, and
the window still fits the screen.
"""

from __future__ import annotations

import os

from PySide6.QtGui import QGuiApplication, QScreen

REFERENCE_SCREEN = (1920, 1080)
"""The screen the projector sizes are chosen for."""
REFERENCE_PT = 20.0
"""Body text on that screen: read from the back of a classroom (about 7 mm on a 2 m wide image)."""
SMALLEST_PT = 14.0
"""Body text is never smaller than this in presentation mode (1.5× a desk font)."""

_screen: QScreen | None = None  # the window's screen, when it said so; else the primary one


def screen_is_known() -> bool:
    """False on Qt's offscreen platform without a screen configured: its 800×800 is no real screen.

    There, screenshots keep the size they ask for and projector sizes stay at the reference;
    a configured offscreen screen (``offscreen:configfile=…``, as the tests and the gallery
    use) counts as a real one.
    """
    if QGuiApplication.platformName() != "offscreen":
        return True
    return "configfile=" in os.environ.get("QT_QPA_PLATFORM", "")


def use_screen(screen: QScreen | None) -> None:
    """Size presentation mode for ``screen`` (the window's), or the primary screen when None."""
    global _screen
    _screen = screen


def scale() -> float:
    """The factor every projector size is multiplied by on the current screen (at most 1)."""
    screen = _screen or QGuiApplication.primaryScreen()
    if screen is None or not screen_is_known():
        return 1.0
    size = screen.geometry()  # the whole image on the wall, task bar included
    if size.width() <= 0 or size.height() <= 0:
        return 1.0
    factor = min(size.width() / REFERENCE_SCREEN[0], size.height() / REFERENCE_SCREEN[1])
    return max(SMALLEST_PT / REFERENCE_PT, min(1.0, factor))


def points(reference_pt: float) -> float:
    """A projector size chosen for the reference screen, on the current one (0.5 pt steps)."""
    return round(reference_pt * scale() * 2) / 2


def text_pt() -> float:
    """Body text in presentation mode on the current screen: 14–20 pt."""
    return points(REFERENCE_PT)
