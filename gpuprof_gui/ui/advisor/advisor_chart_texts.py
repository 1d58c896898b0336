"""The Amdahl chart's words in the plot: each in free room next to what it names.

Texts are placed in order (the limit, break-even, the measured star, the
candidates, a note), each in the free room nearest its point (:class:`FreeSpace`),
trying shorter wordings when the longest finds none. Candidates whose markers
nearly touch share one label, a line each, keyed by their marker's shape and
colour; a candidate label with no free room at all is left out (its marker stays)
rather than drawn over a curve.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pyqtgraph as pg

from gpuprof_gui.ui.advisor.advisor_labels import CELL_PX, CLEARANCE_PX, FreeSpace, Spot

LEADER_MIN_PX = 14.0
"""A text further than this from its marker gets a thin line to it."""
GROUP_LINES = 2.0
"""Candidates whose markers are closer than two text lines share one label, a line each."""
WRAP_MARGIN_PX = 2 * (CLEARANCE_PX + CELL_PX)
"""A text wider than the plot less this wraps (its last wording only)."""


@dataclass
class PlacedText:
    """A text and what it names: a point (x in log10 s, y = S), with a marker of ``radius`` px there."""

    item: pg.TextItem
    x: float
    y: float
    radius: float = 0.0
    leader: pg.PlotCurveItem | None = None
    text: str = ""  # its own words (a candidate's label may show its group's lines instead)
    mark: str = ""  # a candidate's marker as a coloured character, for a shared label
    shorter: list[str] = field(default_factory=list)  # other wordings, for when there is no room
    droppable: bool = False  # left out where no wording finds free room (a candidate's is, always)
    order: int = 1  # placed in this order: the limit's label (0), then the points' (1), then the rest
    group: list[PlacedText] = field(default_factory=list)  # the candidates this label speaks for

    def wordings(self) -> list[str]:
        """What it may say, longest first: a group's lines, its first line with a count, a name."""
        if not self.mark:
            return [self.text, *self.shorter]
        name = self.text.split(":")[0]
        more = f" (+{len(self.group) - 1} more)" if len(self.group) > 1 else ""
        lines = "<br>".join(f"{t.mark} {html.escape(t.text)}" for t in self.group)
        return [lines, f"{self.mark} {html.escape(self.text + more)}", f"{self.mark} {html.escape(name + more)}"]


@dataclass
class PlotMarks:
    """What texts keep off besides each other: curves, the limit (S) and break-even (log10 s) lines."""

    curves: list[pg.PlotDataItem]
    limit: float | None = None
    break_even: float | None = None


def set_words(item: pg.TextItem, words: str, max_width: float = math.inf) -> None:
    """Rich text (a candidate's coloured marker) or plain words, wrapped to ``max_width`` px if wider."""
    item.setTextWidth(-1)
    if words.startswith("<"):
        item.setHtml(words)
    else:
        item.setPlainText(words)
    if item.textItem.boundingRect().width() > max_width > 0:
        item.setTextWidth(max_width)


def size_of(item: pg.TextItem) -> tuple[float, float]:
    rect = item.textItem.boundingRect()  # pixels: a TextItem is drawn unscaled
    return rect.width(), rect.height()


def fit_wording(text: PlacedText, max_width: float, find: Callable[[float, float], Spot] | None = None) -> Spot | None:
    """Set the longest wording that is no wider than ``max_width`` (and, with ``find``, finds free room)."""
    options = text.wordings()
    spot = None
    for i, words in enumerate(options):
        last = i == len(options) - 1
        set_words(text.item, words, max_width if last else math.inf)
        w, h = size_of(text.item)
        if not last and w > max_width:
            continue
        if find is None:
            return None
        spot = find(w, h)
        if spot.free:
            break
    return spot


def place_texts(plot_item: pg.PlotItem, texts: list[PlacedText], marks: PlotMarks, y_max: float, line_px: float):
    """Each text in the free room nearest its point: off the curves, the lines, the markers, each other."""
    vb = plot_item.getViewBox()
    width, height = vb.width(), vb.height()
    if width < 20 or height < 20 or not texts:
        return
    max_width = width - WRAP_MARGIN_PX
    _make_room_over_limit(plot_item, texts, marks.limit, y_max, height, max_width)
    (x0, x1), (y0, y1) = vb.viewRange()

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - x0) / (x1 - x0) * width, (y1 - y) / (y1 - y0) * height

    space = FreeSpace(width, height)
    for curve in marks.curves:
        xs, ys = curve.getData()  # x already in log10 units (log mode)
        space.take_polyline((xs - x0) / (x1 - x0) * width, (y1 - ys) / (y1 - y0) * height)
    if marks.limit is not None:
        py = to_px(0, marks.limit)[1]
        space.take_rect(0, py, width, py)
    if marks.break_even is not None:
        px = to_px(marks.break_even, 0)[0]
        space.take_rect(px, 0, px, height)
    for text in texts:  # every marker first: no text may cover one
        if text.radius:
            ax, ay = to_px(text.x, text.y)
            space.take_rect(ax - text.radius, ay - text.radius, ax + text.radius, ay + text.radius)
    for text in sorted(_grouped(texts, to_px, line_px), key=lambda t: t.order):
        ax, ay = to_px(text.x, text.y)
        reach = text.radius + CLEARANCE_PX + CELL_PX if text.leader is not None else 0.0
        spot = fit_wording(text, max_width, partial(_find_near, space, ax, ay, reach))
        if spot is None or (not spot.free and (text.mark or text.droppable)):  # no room: the marker stays, alone
            text.item.hide()
            if text.leader is not None:
                text.leader.setData([], [])
            continue
        space.take(spot)
        text.item.setPos(x0 + spot.x / width * (x1 - x0), y1 - spot.y / height * (y1 - y0))
        if text.leader is not None:
            far = spot.distance(ax, ay) > max(LEADER_MIN_PX, text.radius + CLEARANCE_PX)
            nx, ny = spot.nearest_point(ax, ay)
            end_x, end_y = x0 + nx / width * (x1 - x0), y1 - ny / height * (y1 - y0)
            text.leader.setData([text.x, end_x] if far else [], [text.y, end_y] if far else [])
            if far:  # later texts keep off it too
                space.take_polyline([ax, nx], [ay, ny], pad=1.0)


def _find_near(space: FreeSpace, ax: float, ay: float, reach: float, w: float, h: float) -> Spot:
    return space.find(w, h, ax, ay, reach)


def _grouped(
    texts: list[PlacedText], to_px: Callable[[float, float], tuple[float, float]], line_px: float
) -> list[PlacedText]:
    """The texts to place: candidates closer than ``GROUP_LINES`` lines share one label, a line each."""
    heads: list[PlacedText] = []
    for text in texts:
        head = heads[-1] if heads and heads[-1].mark and text.mark else None
        if head is not None and math.dist(to_px(head.x, head.y), to_px(text.x, text.y)) < GROUP_LINES * line_px:
            head.group.append(text)
            text.group = []
        else:
            text.group = [text]
            heads.append(text)
    for text in texts:
        text.item.setVisible(bool(text.group))  # a text in another's label is not drawn itself
        if not text.group and text.leader is not None:
            text.leader.setData([], [])
    return heads


def _make_room_over_limit(
    plot_item: pg.PlotItem, texts: list[PlacedText], limit: float | None, y_max: float, height: float, max_width: float
) -> None:
    """Raise the y axis until the limit's label fits between its line and the top."""
    label = next((t for t in texts if t.text.startswith("Amdahl limit")), None)
    top = y_max
    if label is not None and limit is not None:
        fit_wording(label, max_width)
        need = size_of(label.item)[1] + 2 * CLEARANCE_PX + 3 * CELL_PX
        if need < height / 2:
            top = max(top, limit / (1 - need / height))
    if abs(plot_item.getViewBox().viewRange()[1][1] - top) > 1e-9:
        plot_item.setYRange(0, top, padding=0)
