"""The ranges a number read from a user's file must lie in before it reaches a view.

A file can hold anything JSON can spell: ``NaN``, ``Infinity``, ``-2.5`` seconds,
``1e308`` percent, line 2**40. Past the door those become NaN on every paint, an
``OverflowError`` in a Qt call taking a C int, or a "−2.50 s" in a table. Every reader
checks its numbers here and refuses the file with a sentence naming the field
(:class:`NumberError`, which each reader re-raises as its own format error), or, where
a reader's docstring says so, clamps a value that is only a rounding step out of range.
"""

from __future__ import annotations

import math
from typing import Any

MAX_LINE = 2**31 - 1
"""Largest line number: the views pass line numbers to Qt, which takes a C int."""
MAX_AMOUNT = 1e15
"""Largest time (seconds), sample count or call count: 31 million years of CPU time,
or a billion samples a second for a fortnight. Far past any real run, small enough
that sums and products of such values stay finite."""
MAX_MB = 1e9
"""Largest memory figure in MB (a petabyte)."""
PCT_SLACK = 1.0
"""Points a percentage may lie outside 0..100 and still be read (and clamped): the
rounding of a profiler that sums shares of a run."""


class NumberError(ValueError):
    """A number out of its range; ``str()`` is a clause naming the field and the range."""


def number(value: Any, field: str, lo: float = 0.0, hi: float = MAX_AMOUNT) -> float:
    """``value`` as a finite float in ``lo..hi``; NumberError naming ``field`` otherwise.

    Numbers written as text (``"12.5"``) are read; booleans, other text and structures are not.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise NumberError(f"{field} is {shown(value)}, not a number")
    try:
        x = float(value)
    except (ValueError, OverflowError):
        raise NumberError(f"{field} is {shown(value)}, not a number") from None
    if not math.isfinite(x) or not lo <= x <= hi:
        raise NumberError(f"{field} is {shown(value)}, not a number from {_bound(lo)} to {_bound(hi)}")
    return x


def optional_number(value: Any, field: str, lo: float = 0.0, hi: float = MAX_AMOUNT) -> float | None:
    """None for None, else :func:`number`."""
    return None if value is None else number(value, field, lo, hi)


def line_number(value: Any, field: str, lo: int = 1) -> int:
    """A line number, ``lo``..:data:`MAX_LINE` (``lo=0`` where 0 means "unknown")."""
    return int(number(value, field, lo, MAX_LINE))


def percent(value: Any, field: str) -> float:
    """A percentage of a run, 0..100; within :data:`PCT_SLACK` outside it, clamped."""
    try:
        x = number(value, field, -PCT_SLACK, 100.0 + PCT_SLACK)
    except NumberError:
        raise NumberError(f"{field} is {shown(value)}, not a percentage from 0 to 100") from None
    return min(max(x, 0.0), 100.0)


def _bound(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e12 else f"{x:g}"


def shown(value: Any) -> str:
    """``value`` for a sentence: its repr, cut at 40 characters; numpy floats as plain floats."""
    if type(value).__module__ == "numpy" and isinstance(value, float):
        value = float(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
