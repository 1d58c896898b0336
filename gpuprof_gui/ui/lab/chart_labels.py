"""Where the lab charts' labels go: plain pixel arithmetic, no Qt, so the rules can be read and tested alone.

A box is ``(left, top, width, height)`` in pixels, y growing downwards (as on screen).
"""

from __future__ import annotations

from collections.abc import Sequence

Box = tuple[float, float, float, float]
Point = tuple[float, float]

TIME_UNITS = ((1e-6, "ns"), (1e-3, "µs"), (1.0, "ms"), (1e3, "s"))
"""(size in ms, name): the time axis names one of these and shows plain numbers in it."""


def time_unit(longest_ms: float) -> tuple[float, str]:
    """The unit for times up to ``longest_ms``, as (ms per unit, name): the longest reads 1 to 999 of it
    (ns below a microsecond, s from a second up)."""
    chosen = TIME_UNITS[0]
    for size, name in TIME_UNITS:
        if longest_ms >= size * (1 - 5e-4):  # 999.96 µs would read "1000 µs": call it 1 ms
            chosen = (size, name)
    return chosen


def value_text(value: float) -> str:
    """Three significant digits without an exponent: 1.23, 45.6, 789, 1234."""
    if value >= 99.95:
        return f"{value:.0f}"
    if value >= 9.995:
        return f"{value:.1f}"
    return f"{value:#.3g}"  # keeps the zeros: 0.560, 1.00


def overlap(a: Box, b: Box, gap: float = 0.0) -> bool:
    """Whether boxes ``a`` and ``b`` come closer than ``gap`` pixels (touching edges do not overlap)."""
    return (
        a[0] < b[0] + b[2] + gap and b[0] < a[0] + a[2] + gap and a[1] < b[1] + b[3] + gap and b[1] < a[1] + a[3] + gap
    )


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether segment p1–p2 crosses segment q1–q2 (sharing an end point or running side by side does not count)."""

    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def stack_column(
    wanted: Sequence[float], heights: Sequence[float], top: float, bottom: float, gap: float
) -> list[float]:
    """Tops for labels stacked in one column, in the order given, each as near as it can be to
    having its centre at ``wanted``; [] when they do not fit between ``top`` and ``bottom``.

    Labels that would overlap are merged into a block centred on the mean of what its members
    want (so a crowd of labels spreads both ways from its points), and each block is kept inside.
    """
    if not heights or sum(heights) + gap * (len(heights) - 1) > bottom - top:
        return []
    blocks: list[list[float]] = []  # [first index, count, top, height, sum of (want - offset - h/2)]
    for i, (want, h) in enumerate(zip(wanted, heights, strict=True)):
        block = [float(i), 1.0, want - h / 2, h, want - h / 2]
        block[2] = min(max(block[2], top), bottom - h)
        while blocks and blocks[-1][2] + blocks[-1][3] + gap > block[2]:
            prev = blocks.pop()
            shift = prev[3] + gap  # the new block's members sit this far below the merged block's top
            count = prev[1] + block[1]
            total = prev[4] + block[4] - shift * block[1]
            block = [prev[0], count, total / count, prev[3] + gap + block[3], total]
            block[2] = min(max(block[2], top), bottom - block[3])
        blocks.append(block)
    tops: list[float] = []
    for first, count, block_top, _h, _total in blocks:
        y = block_top
        for i in range(int(first), int(first + count)):
            tops.append(y)
            y += heights[i] + gap
    return tops


def ends_first(order: Sequence[int]) -> list[int]:
    """``order`` from both ends inwards: best, worst, second best, second worst...: what thinning keeps longest."""
    out: list[int] = []
    lo, hi = 0, len(order) - 1
    while lo <= hi:
        out.append(order[lo])
        if hi != lo:
            out.append(order[hi])
        lo, hi = lo + 1, hi - 1
    return out


def column_boxes(
    points: Sequence[Point],
    sizes: Sequence[tuple[float, float]],
    least: Sequence[float],
    area: Box,
    clearance: float,
    gap: float,
    keep: Sequence[int],
) -> dict[int, Box]:
    """Boxes for point labels in one column beside all the points: right of them where all fit
    whole, else left, else on the roomier side with the long ones cut to its width.

    Labels keep the vertical order of their points, so the lines joining them never cross.
    A label that would be narrower than its ``least`` is left out, and where the column is too
    short for the rest, those last in ``keep`` are left out (thinned) until the others fit.
    The result maps a point's index to its label's box (its width may be less than asked).
    """
    if not points:
        return {}
    left, top, width, height = area
    right_x = max(p[0] for p in points) + clearance
    left_x = min(p[0] for p in points) - clearance
    right_room, left_room = left + width - gap - right_x, left_x - left - gap
    widest = max(w for w, _h in sizes)
    on_right = widest <= right_room or (widest > left_room and right_room >= left_room)
    room = right_room if on_right else left_room
    shown = [i for i in keep if least[i] <= room]
    while shown:
        by_y = sorted(shown, key=lambda i: points[i][1])
        tops = stack_column(
            [points[i][1] for i in by_y], [sizes[i][1] for i in by_y], top + gap, top + height - gap, gap
        )
        if tops:
            out = {}
            for i, t in zip(by_y, tops, strict=True):
                w = min(sizes[i][0], room)
                out[i] = (right_x if on_right else left_x - w, t, w, sizes[i][1])
            return out
        shown.pop()
    return {}


def leader_end(box: Box, point: Point) -> Point:
    """Where a line from ``point`` meets its label's box: the middle of the box's near side."""
    x = box[0] if box[0] >= point[0] else box[0] + box[2]
    return (x, box[1] + box[3] / 2)


def band_slots(starts: Sequence[float], right_edge: float, rows: int) -> list[float]:
    """Width each band label may take when labels go to ``rows`` rows in turn: up to the next
    label in its row (``rows`` bands on), or ``right_edge`` for the last ones."""
    out = []
    for i, x in enumerate(starts):
        nxt = starts[i + rows] if i + rows < len(starts) else right_edge
        out.append(max(nxt - x, 0.0))
    return out


def rows_needed(starts: Sequence[float], widths: Sequence[float], right_edge: float, gap: float, max_rows: int) -> int:
    """The fewest rows (up to ``max_rows``) in which every band label fits whole; ``max_rows`` when none do."""
    for rows in range(1, max_rows + 1):
        slots = band_slots(starts, right_edge, rows)
        if all(w + gap <= s for w, s in zip(widths, slots, strict=True)):
            return rows
    return max(1, max_rows)


def row_labels(
    starts: Sequence[float],
    widths: Sequence[float],
    least: Sequence[float],
    right_edge: float,
    max_rows: int,
    gap: float,
) -> list[tuple[int, float] | None]:
    """(row, width) for labels that start at ``starts`` (sorted) and want ``widths``, or None for one left out.

    First, in turn over the fewest rows in which all fit whole (up to ``max_rows``), each label
    no wider than the room before the next one in its row; a label that would be narrower than
    its ``least`` (its first letters and "…") is left out. Then each left-out label takes what
    room is free at its start in any row, so a crowd of short runs still shows some names whole.
    """
    if max_rows < 1:
        return [None] * len(starts)
    rows = rows_needed(starts, widths, right_edge, gap, max_rows)
    out: list[tuple[int, float] | None] = []
    for i, slot in enumerate(band_slots(starts, right_edge, rows)):
        room = min(widths[i], slot - gap)
        out.append((i % rows, room) if room >= least[i] else None)
    taken: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
    for i, placed in enumerate(out):
        if placed is not None:
            taken[placed[0]].append((starts[i], starts[i] + placed[1]))
    for i, placed in enumerate(out):
        if placed is not None:
            continue
        x = starts[i]
        for row in range(rows):
            if any(a - gap < x < b + gap for a, b in taken[row]):
                continue
            room = min([widths[i], right_edge - x] + [a - gap - x for a, _b in taken[row] if a > x])
            if room >= least[i]:
                out[i] = (row, room)
                taken[row].append((x, x + room))
                break
    return out
