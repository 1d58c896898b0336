"""Human-readable numbers for tables, tooltips and the command line."""

from __future__ import annotations

import math
import os
from typing import TypeGuard

DASH = "—"
"""Shown for a value that is missing (None/NaN): not a zero."""

_TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
ELLIPSIS = "…"


def _known(x: float | None) -> TypeGuard[float]:
    """False for a missing value (None or NaN), shown as DASH."""
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _three_digits(value: float) -> str:
    """Three significant digits without exponent: 1.23, 45.6, 789."""
    if value >= 99.95:
        return f"{value:.0f}"
    if value >= 9.995:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_time(seconds: float | None) -> str:
    """``1.23 s``, ``45.6 ms``, ``789 µs``, ``12 ns``; ``—`` when unknown."""
    if not _known(seconds):
        return DASH
    if math.isinf(seconds):
        return "∞ s" if seconds > 0 else "−∞ s"
    sign = "−" if seconds < 0 else ""
    mag = abs(float(seconds))
    if mag == 0:
        return "0 s"
    for scale, unit in _TIME_UNITS:
        # 999.96 µs would round to "1000 µs": move to the larger unit first.
        if mag >= scale * (1 - 5e-4) or unit == "ns":
            value = mag / scale
            text = f"{value:.0f}" if unit == "ns" else _three_digits(value)
            return f"{sign}{text} {unit}"
    raise AssertionError("unreachable")


def format_pct(pct: float | None) -> str:
    """A percentage (0-100, not a fraction): ``45.6%``, ``0.12%``, ``<0.01%``."""
    if not _known(pct):
        return DASH
    if pct == 0:
        return "0%"
    if 0 < abs(pct) < 0.01:
        return "<0.01%" if pct > 0 else ">−0.01%"
    mag = abs(pct)
    text = _three_digits(mag) if mag < 100 else f"{mag:.0f}"
    return ("−" if pct < 0 else "") + text + "%"


def format_count(n: int | None) -> str:
    """``1,234,567``; ``—`` where the profiler does not count calls."""
    if not _known(n):
        return DASH
    return f"{int(n):,}"


def format_bytes(n: float | None) -> str:
    """``512 B``, ``1.50 KiB``, ``12.3 MiB`` (binary units)."""
    if not _known(n):
        return DASH
    sign = "−" if n < 0 else ""
    mag = abs(float(n))
    unit = 0
    while mag >= 1024 * (1 - 5e-4) and unit < len(_BYTE_UNITS) - 1:
        mag /= 1024
        unit += 1
    text = f"{mag:.0f}" if unit == 0 else _three_digits(mag)
    return f"{sign}{text} {_BYTE_UNITS[unit]}"


def short_path(path: str, max_len: int = 40) -> str:
    """Shorten a path from the left, keeping the file name: ``…/pkg/mod.py``."""
    if not path or len(path) <= max_len:
        return path or ""
    if max_len <= 1:
        return ELLIPSIS[:max_len]
    norm = path.replace("\\", "/")
    parts = norm.split("/")
    kept = parts[-1]
    for part in reversed(parts[:-1]):
        candidate = f"{part}/{kept}"
        if len(candidate) + 2 > max_len:  # room for "…/"
            break
        kept = candidate
    result = f"{ELLIPSIS}/{kept}" if len(kept) + 2 <= max_len else ELLIPSIS + kept[-(max_len - 1) :]
    if os.sep == "\\" and "\\" in path:
        result = result.replace("/", "\\")
    return result
