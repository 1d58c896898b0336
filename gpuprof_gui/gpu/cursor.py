"""Snapshot cursors: per GPU and metric, the last sample time a reader has seen."""

from __future__ import annotations

from typing import Any

Cursor = float | dict[int, dict[str, float]] | None


def since_for(since: Cursor, index: int, metric: str) -> float | None:
    """The 'newer than' time for one series from a snapshot cursor (or a plain time)."""
    if since is None or isinstance(since, (int, float)):
        return since
    return since.get(index, {}).get(metric)


def advance_cursor(since: Cursor, index: int, series: dict[str, Any]) -> dict[str, float]:
    """The cursor entry after reading ``series``: the last time seen per metric."""
    out = {}
    for metric, (t, _v) in series.items():
        previous = since_for(since, index, metric)
        if len(t):
            out[metric] = float(t[-1])
        elif previous is not None:
            out[metric] = previous
    return out
