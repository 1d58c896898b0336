"""A fixed-memory time series: numpy arrays allocated once, oldest rows overwritten."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class RingBuffer:
    """``capacity`` rows of (time, value columns); times must be appended in increasing order.

    Not locked: the owner (the telemetry sampler) serialises writers and readers.
    """

    def __init__(self, capacity: int, n_columns: int) -> None:
        if capacity <= 0 or n_columns <= 0:
            raise ValueError("a ring buffer needs a positive capacity and column count")
        self.capacity = capacity
        self._t = np.full(capacity, np.nan)
        self._v = np.full((capacity, n_columns), np.nan)
        self._head = 0  # index of the next write
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def n_columns(self) -> int:
        return self._v.shape[1]

    def append(self, t: float, values: Sequence[float]) -> None:
        self._t[self._head] = t
        self._v[self._head] = values
        self._head = (self._head + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def last_time(self) -> float | None:
        return float(self._t[self._head - 1]) if self._count else None

    def ordered(self, since: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the rows with time > ``since`` (all rows when None), oldest first.

        Only the requested rows are copied, so a plot that asks for what is new
        since its last frame copies a few rows, not ten minutes of history.
        """
        if self._count < self.capacity:
            segments = [slice(0, self._count)]
        else:  # wrapped: the oldest row is at head
            segments = [slice(self._head, self.capacity), slice(0, self._head)]
        if since is not None:
            kept = []
            for index, seg in enumerate(segments):
                times = self._t[seg]
                start = int(np.searchsorted(times, since, side="right"))
                if start < len(times):
                    kept.append(slice(seg.start + start, seg.stop))
                    kept.extend(segments[index + 1 :])
                    break
            segments = kept
        if not segments:
            return np.empty(0), np.empty((0, self.n_columns))
        if len(segments) == 1:
            return self._t[segments[0]].copy(), self._v[segments[0]].copy()
        return (np.concatenate([self._t[s] for s in segments]), np.concatenate([self._v[s] for s in segments]))
