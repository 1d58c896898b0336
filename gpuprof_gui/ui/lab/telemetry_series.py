"""What the telemetry plots draw from: a source of samples, and the fixed-memory series they fill.

The view pulls only the rows that are new since its last pull (the source's
cursor) and appends them to one :class:`SampleSeries` per metric.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

HISTORY_S = 600.0
"""Ten minutes of history on screen at most (the issue's figure)."""
CAPACITY = int(HISTORY_S * 50)
"""600 s x 50 Hz (the sampler's maximum) = 30,000 points per curve, preallocated (x2 for the ring trick)."""
INITIAL_POINTS = 1024
"""A series starts with room for 1024 points (100 s at 10 Hz) and doubles as it fills, up to CAPACITY."""


class TelemetrySource(Protocol):
    """A live TelemetrySampler or a loaded Trace: samples since ``since`` (a cursor it returned)."""

    def snapshot(self, since: Any = None) -> dict[str, Any]: ...


class SampleSeries:
    """Fixed-memory append-only series: a 2x buffer, compacted when full (amortised O(1)).

    The buffer starts small and doubles up to ``2 * capacity``: eight GPUs x ten metrics
    preallocated in full would hold 77 MB before the first minute was recorded.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        size = 2 * min(capacity, INITIAL_POINTS)
        self.t = np.empty(size)
        self.v = np.empty(size)
        self.lo = self.hi = 0

    def clear(self) -> None:
        self.lo = self.hi = 0

    def extend(self, t: np.ndarray, v: np.ndarray) -> None:
        n = len(t)
        if n == 0:
            return
        if n > self.capacity:
            t, v, n = t[-self.capacity :], v[-self.capacity :], self.capacity
        if self.hi + n > len(self.t):
            keep = min(self.hi - self.lo, self.capacity - n)
            size = len(self.t)
            if size < 2 * self.capacity:  # grow (doubling) before compacting in place
                size = min(2 * self.capacity, max(2 * size, 2 * (keep + n)))
            new_t, new_v = (np.empty(size), np.empty(size)) if size != len(self.t) else (self.t, self.v)
            new_t[:keep] = self.t[self.hi - keep : self.hi]
            new_v[:keep] = self.v[self.hi - keep : self.hi]
            self.t, self.v = new_t, new_v
            self.lo, self.hi = 0, keep
        self.t[self.hi : self.hi + n] = t
        self.v[self.hi : self.hi + n] = v
        self.hi += n
        if self.hi - self.lo > self.capacity:
            self.lo = self.hi - self.capacity

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.t[self.lo : self.hi], self.v[self.lo : self.hi]

    def __len__(self) -> int:
        return self.hi - self.lo
