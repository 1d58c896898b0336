"""Flame graph layout and hit testing as numpy columns (no Qt).

Every kept node of a :class:`~gpuprof_gui.core.model.CallTree` gets an x
extent in root-time units: children are laid left to right, in pre-order,
starting at their parent's start. Frames are grouped in one row per depth,
sorted by start and non-overlapping, so both drawing and hit testing are a
``np.searchsorted`` away. Zooming only changes the view range the caller
asks about; the layout is built once per profile.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gpuprof_gui.core.fmt import format_count, format_pct, format_time
from gpuprof_gui.core.model import FOLDED_VISIBLE_SHARE, ROOT, CallTree, Profile
from gpuprof_gui.core.selection import Share, function_share, has_function_totals

MIN_FRACTION = 1e-5
"""Frames narrower than this share of the run are dropped at build time.

flamegraph.pl drops frames under 0.1 px of a 1200 px image (~8e-5 of the
run); we keep ten times finer because this view zooms. A 1e-5 frame is
0.02 px at full view on a 1920 px screen and needs a 50x zoom to reach one
pixel; anything smaller is timer noise for a run of a few seconds
(cProfile's clock resolution is ~1 us)."""

N_COLOUR_BUCKETS = 12
"""Distinct frame colours. Enough to tell neighbouring modules apart, few
enough that each gets one ``drawRects`` call and stays distinguishable."""


@dataclass(slots=True)
class FlameRow:
    """The kept frames of one depth, sorted by ``start`` (parallel columns)."""

    start: np.ndarray  # float64, root-time units
    width: np.ndarray  # float64, > 0
    end: np.ndarray  # float64, start + width (kept for searchsorted on ends)
    node: np.ndarray  # int32 tree node id
    func: np.ndarray  # int32 function id
    bucket: np.ndarray  # int16 colour bucket, stable per file/module
    exact: np.ndarray  # bool, False where the time is an estimate that no sampled stacks back (hatched)
    folded: np.ndarray | None = None  # float64 width of calls folded into the frame (at its right end)

    def __len__(self) -> int:
        return int(self.start.shape[0])


@dataclass(slots=True)
class FlameLayout:
    """Rows of frames per depth plus per-node extents for every tree node."""

    rows: list[FlameRow]  # index = depth; rows[0] holds the root
    total: float  # root width, the full x range
    node_start: np.ndarray  # float64 per tree node (dropped nodes too)
    node_width: np.ndarray  # float64 per tree node, 0 where dropped
    node_depth: np.ndarray  # int32 per tree node
    kept: np.ndarray  # bool per tree node

    @property
    def max_depth(self) -> int:
        """Deepest depth with at least one kept frame (-1 when empty)."""
        return len(self.rows) - 1

    @property
    def n_frames(self) -> int:
        return sum(len(r) for r in self.rows)

    def visible_span(self, depth: int, x0: float, x1: float) -> tuple[int, int]:
        """Index range ``[lo, hi)`` of row ``depth`` overlapping ``(x0, x1)``."""
        if not 0 <= depth < len(self.rows):
            return 0, 0
        row = self.rows[depth]
        # Rows don't overlap, so ends are sorted as well as starts.
        lo = int(np.searchsorted(row.end, x0, side="right"))
        hi = int(np.searchsorted(row.start, x1, side="left"))
        return lo, max(lo, hi)

    def node_at(self, depth: int, x: float) -> int:
        """Tree node whose frame ``[start, end)`` at ``depth`` contains ``x``, else -1."""
        if not 0 <= depth < len(self.rows):
            return -1
        row = self.rows[depth]
        i = int(np.searchsorted(row.start, x, side="right")) - 1
        if i < 0 or x >= row.end[i]:
            return -1
        return int(row.node[i])

    def node_extent(self, node: int) -> tuple[float, float, int]:
        """``(start, width, depth)`` of ``node``; width 0 where it was dropped."""
        return float(self.node_start[node]), float(self.node_width[node]), int(self.node_depth[node])


def colour_bucket_of(key: str) -> int:
    """Stable colour bucket for a file/module name (same input, same colour, every run)."""
    # crc32, not hash(): str hashing is salted per process.
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % N_COLOUR_BUCKETS


def _function_buckets(func: np.ndarray, funcs_file_of: Callable[[int], str] | None) -> np.ndarray:
    uniq, inverse = np.unique(func, return_inverse=True)
    if funcs_file_of is None:
        per_func = np.array([colour_bucket_of(str(f)) for f in uniq.tolist()], dtype=np.int16)
    else:
        cache: dict[str, int] = {}
        per_func = np.empty(uniq.shape[0], dtype=np.int16)
        for k, f in enumerate(uniq.tolist()):
            key = funcs_file_of(f) if f >= 0 else ""
            b = cache.get(key)
            if b is None:
                b = cache[key] = colour_bucket_of(key)
            per_func[k] = b
    return per_func[inverse.reshape(-1)]


def build_layout(
    tree: CallTree,
    funcs_file_of: Callable[[int], str] | None = None,
    min_fraction: float = MIN_FRACTION,
) -> FlameLayout:
    """Lay out ``tree`` level by level with numpy (no per-node Python loop).

    ``funcs_file_of(func_id) -> str`` gives the file/module that picks a
    frame's colour; without it colours follow the function id.
    """
    n = len(tree)
    start = np.zeros(n, dtype=np.float64)
    width = np.clip(tree.total_s.astype(np.float64, copy=True), 0.0, None)
    kept = np.zeros(n, dtype=bool)
    if n == 0:
        return FlameLayout([], 0.0, start, width, np.zeros(0, np.int32), kept)
    total = float(width[ROOT])
    threshold = total * min_fraction
    kept[ROOT] = total > 0.0

    # Nodes of one depth, in index order, come grouped by parent and in
    # sibling order (pre-order), so an exclusive cumsum restarted at each
    # group's first member gives every child's offset inside its parent.
    order = np.argsort(tree.depth, kind="stable")
    bounds = np.searchsorted(tree.depth[order], np.arange(int(tree.depth.max()) + 2))
    parent = tree.parent
    for d in range(1, bounds.shape[0] - 1):
        idx = order[bounds[d] : bounds[d + 1]]
        if idx.shape[0] == 0:
            break
        par = parent[idx]
        w = width[idx]
        csum = np.cumsum(w)
        excl = csum - w
        first = np.ones(idx.shape[0], dtype=bool)
        first[1:] = par[1:] != par[:-1]
        group_id = np.cumsum(first) - 1
        offset = excl - excl[first][group_id]
        s = start[par] + offset
        # Estimated (proportional) times and rounding can make children sum
        # past their parent; clip so a row never overlaps itself, which
        # searchsorted hit testing relies on.
        w = np.clip(np.minimum(w, start[par] + width[par] - s), 0.0, None)
        start[idx] = s
        width[idx] = w
        kept[idx] = kept[par] & (w > 0.0) & (w >= threshold)

    width[~kept] = 0.0
    buckets = _function_buckets(tree.func, funcs_file_of)
    rows: list[FlameRow] = []
    for d in range(bounds.shape[0] - 1):
        idx = order[bounds[d] : bounds[d + 1]]
        idx = idx[kept[idx]]
        if idx.shape[0] == 0:
            break  # a row with no kept frame has no kept frame below it
        idx = idx[np.argsort(start[idx], kind="stable")]
        s = start[idx]
        w = width[idx]
        rows.append(
            FlameRow(
                start=s,
                width=w,
                end=s + w,
                node=idx.astype(np.int32),
                func=tree.func[idx],
                bucket=buckets[idx],
                exact=(
                    tree.exact[idx]
                    if tree.samples is None
                    else tree.exact[idx] | (tree.samples[idx] >= WELL_BACKED_SAMPLES)
                ),
                folded=None if tree.folded_s is None else np.minimum(np.clip(tree.folded_s[idx], 0.0, None), w),
            )
        )
    return FlameLayout(rows, total, start, width, tree.depth, kept)


def layout_for_profile(profile: Profile, min_fraction: float = MIN_FRACTION) -> FlameLayout:
    """:func:`build_layout` coloured per function (safe off the GUI thread).

    The key is file and name, not line, so a function keeps its colour across
    runs and edits; colouring by file alone painted a one-file script in one colour.
    """
    keys = [f"{f.file}:{f.name}" for f in profile.functions]
    return build_layout(profile.tree, keys.__getitem__, min_fraction)


def match_mask(profile: Profile, text: str) -> np.ndarray:
    """Bool per function: case-insensitive substring of its name or file."""
    needle = text.strip().casefold()
    if not needle:
        return np.zeros(len(profile.functions), dtype=bool)
    return np.fromiter(
        (needle in f.name.casefold() or needle in f.file.casefold() for f in profile.functions),
        dtype=bool,
        count=len(profile.functions),
    )


@dataclass(slots=True)
class SearchResult:
    """What a search matched: per-node mask and the share of the run it covers."""

    node_mask: np.ndarray  # bool per tree node
    n_functions: int
    n_nodes: int
    share: float  # 0..1 of the run: exact for one function, the union (nested once) for several
    how: Share | None = None  # the share with how it was found (its note says where it is estimated)

    def summary(self) -> str:
        """``"1 match, 57.0% of run"``; several matches on an estimated tree say how the union was found."""
        noun = "match" if self.n_functions == 1 else "matches"
        share = self.how.text() if self.how is not None else f"{format_pct(100.0 * self.share)} of run"
        return f"{format_count(self.n_functions)} {noun}, {share}"


def search(profile: Profile, text: str) -> SearchResult:
    """Nodes whose function matches ``text`` and their share of the run.

    The share is :func:`~gpuprof_gui.core.selection.function_share` of the
    matching functions, not the matching nodes' width: one function's exact
    cumulative time, where an estimated tree can be far off.
    """
    tree = profile.tree
    fmask = match_mask(profile, text)
    n = len(tree)
    node_mask = np.zeros(n, dtype=bool)
    if n and fmask.any():
        has_func = tree.func >= 0
        node_mask[has_func] = fmask[tree.func[has_func]]
    how = function_share(profile, np.nonzero(fmask)[0].tolist())
    return SearchResult(node_mask, int(fmask.sum()), int(node_mask.sum()), how.fraction, how)


def match_share(tree: CallTree, node_mask: np.ndarray) -> float:
    """Share of the root's time under matching nodes, each nested match counted once (the tree's figure)."""
    n = len(tree)
    if n == 0 or not node_mask.any():
        return 0.0
    total = float(tree.total_s[ROOT])
    if total <= 0.0:
        return 0.0
    # A node is nested when it lies in a matching node's subtree range
    # (i, i + size[i]); mark those ranges with a difference array.
    hits = np.nonzero(node_mask)[0]
    diff = np.zeros(n + 1, dtype=np.int32)
    np.add.at(diff, hits + 1, 1)
    np.add.at(diff, hits + tree.size[hits], -1)
    covered = np.cumsum(diff[:n]) > 0
    top = node_mask & ~covered
    share = float(np.clip(tree.total_s[top], 0.0, None).sum()) / total
    return min(share, 1.0)


ESTIMATED_NOTE = "estimated: proportional attribution (cProfile records only caller→callee pairs)"
SAMPLED_NOTE = "this path's share of the exact time: from {n} sampled stacks"
FOLDED_TOOLTIP_MIN_FRACTION = 1e-4
"""Folded time under 0.01% of the run is not worth a tooltip line."""

WELL_BACKED_SAMPLES = 10
"""An estimated frame whose split rests on this many real sampled stacks is
drawn plain, not hatched: at 10 samples the share's sampling error is about
1/sqrt(10) ~ 30% of the frame, against the proportional guess that can put
all of it under the wrong caller. Its tooltip still says how many."""


def hatch_legend(profile: Profile, dotted: bool = True) -> str:
    """What hatched (and dotted) frames mean for this profile ("" when nothing needs saying).

    ``dotted``: the drawing marks folded calls with dots (the window and its
    PNG do; the SVG export does not, so its legend leaves them out).
    """
    tree = profile.tree
    folded = ""
    if dotted and tree.folded_share() >= FOLDED_VISIBLE_SHARE:
        folded = "; dotted = calls folded into the frame (recursion cut short, or too small to draw)"
    if profile.stacks_exact:
        return folded[2:]
    if tree.samples is not None and int(tree.samples.max(initial=0)) > 0:
        return (
            f"call paths split by sampled stacks; hatched = fewer than {WELL_BACKED_SAMPLES} samples, "
            f"split in proportion (cProfile records only caller→callee pairs){folded}"
        )
    return f"hatched = estimated by proportional attribution (cProfile records only caller→callee pairs){folded}"


def _format_amount(value: float, unit: str) -> str:
    return format_time(value) if unit == "s" else f"{format_count(round(value))} samples"


def frame_tooltip_text(profile: Profile, node: int) -> str:
    """Hover text for one frame: name, file:line, self, total, calls, share, the function's exact share, estimate."""
    tree = profile.tree
    func = int(tree.func[node])
    total = float(tree.total_s[node])
    run = profile.total_s
    share = 100.0 * total / run if run > 0 else 0.0
    lines = [profile.function_label(func)]
    if func >= 0:
        rec = profile.functions[func]
        lines.append(rec.location)
    lines.append(f"total {_format_amount(total, profile.unit)} ({format_pct(share)} of run)")
    lines.append(f"self {_format_amount(float(tree.self_s[node]), profile.unit)}")
    folded = float(tree.folded_s[node]) if tree.folded_s is not None else 0.0
    if folded > 0 and run > 0 and folded >= FOLDED_TOOLTIP_MIN_FRACTION * run:
        lines.append(
            f"  of which {_format_amount(folded, profile.unit)} in calls drawn inside this frame "
            "(recursion folded, or calls too small to draw)"
        )
    if func >= 0 and profile.functions[func].calls is not None:
        lines.append(f"calls {format_count(profile.functions[func].calls)} (all paths)")
    if func >= 0 and has_function_totals(profile):
        # The frame is one path; the function's exact total over all of them is what the table shows.
        lines.append(f"all paths: {function_share(profile, [func]).text()}")
    if not tree.exact[node]:
        samples = int(tree.samples[node]) if tree.samples is not None else 0
        lines.append(SAMPLED_NOTE.format(n=format_count(samples)) if samples > 0 else ESTIMATED_NOTE)
    return "\n".join(lines)
