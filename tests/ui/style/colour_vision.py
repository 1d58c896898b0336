"""Colour arithmetic for the style tests: sRGB -> simulated colour-blind vision -> CIELAB, and ΔE.

Plain helpers (no fixtures): this folder is on sys.path for its tests, so they import it by name.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
# deficiency", severity 1.0, applied to linear RGB.
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
}
_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = _SRGB_TO_XYZ @ np.ones(3)


def _lab(colour: str, vision: str) -> np.ndarray:
    c = QColor(colour)
    v = np.array([c.redF(), c.greenF(), c.blueF()])
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    xyz = _SRGB_TO_XYZ @ np.clip(CVD[vision] @ linear, 0.0, 1.0) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str) -> float:
    """CIELAB ΔE76 between ``a`` and ``b`` as a viewer with ``vision`` (a key of CVD) sees them."""
    return float(np.linalg.norm(_lab(a, vision) - _lab(b, vision)))
