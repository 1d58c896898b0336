"""The profile model shared by every importer, view and command.

A :class:`Profile` holds one row per function (flat statistics), a call tree
stored as numpy columns in depth-first pre-order, and optional per-line data.
Times are seconds when ``unit == "s"`` and raw sample counts when
``unit == "samples"`` (folded stacks carry no clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ROOT = 0
"""Index of the synthetic root node ("all") of every :class:`CallTree`."""

FOLDED_VISIBLE_SHARE = 0.005
"""Folded calls under 0.5% of the run change no frame visibly: no note, no legend line."""


@dataclass(slots=True)
class FunctionRecord:
    """Flat statistics for one function (a code object, or a C function)."""

    name: str
    file: str  # "" for built-ins / native frames without a file
    line: int  # first line of the definition; 0 when unknown
    self_s: float = 0.0  # time spent in the function itself
    total_s: float = 0.0  # inclusive time, recursion counted once
    calls: int | None = None  # None where the profiler does not count calls
    # Scalene's breakdown, percent of the whole run (None where unknown).
    cpu_python_pct: float | None = None
    cpu_native_pct: float | None = None
    cpu_system_pct: float | None = None
    mem_peak_mb: float | None = None
    gpu_pct: float | None = None
    # The profiler's own figure for this function, percent of the run, kept only
    # where it differs from ours (self_s) by more than sampling noise; None otherwise.
    reported_pct: float | None = None
    gpu_mem_mb: float | None = None  # Scalene: peak GPU memory of the process while its lines ran

    @property
    def location(self) -> str:
        """``file:line`` or ``"<built-in>"`` when there is no file."""
        return f"{self.file}:{self.line}" if self.file else "<built-in>"


@dataclass(slots=True)
class LineRecord:
    """Per-line data (Scalene). Percentages are of the whole run."""

    cpu_python_pct: float = 0.0
    cpu_native_pct: float = 0.0
    cpu_system_pct: float = 0.0
    mem_peak_mb: float = 0.0
    gpu_pct: float = 0.0  # GPU utilisation while the line ran (Scalene), not a share of the run
    self_s: float = 0.0  # derived: total CPU share x wall time
    gpu_mem_mb: float = 0.0  # peak GPU memory of the process while the line ran (Scalene)

    @property
    def cpu_pct(self) -> float:
        return self.cpu_python_pct + self.cpu_native_pct + self.cpu_system_pct


@dataclass(slots=True)
class CallTree:
    """A call tree as parallel numpy columns, nodes in depth-first pre-order.

    Node 0 is the synthetic root ("all", ``func == -1``). The subtree of node
    ``i`` is the contiguous range ``[i, i + size[i])``; a node's children are
    the nodes ``j`` with ``parent[j] == i``, in drawing order.
    ``exact[i]`` is False where the node's time was *estimated* (cProfile
    only records caller->callee edges; deeper paths are split by sampled
    stacks where there are any, else in proportion, see
    :mod:`gpuprof_gui.core.importers.pstats_import`).

    Every tree conserves time: ``self_s[i] + sum(total_s[children]) ==
    total_s[i]``. ``folded_s[i]`` is the part of ``self_s[i]`` that is not the
    function's own work but calls the layout folded into the frame (a
    recursion cut short, calls too small to draw); ``samples[i]`` is how many
    sampled stacks back an estimated node's share (0: proportional guess).
    Both are optional (None) for trees that need neither.
    """

    parent: np.ndarray  # int32, -1 for the root
    func: np.ndarray  # int32 index into Profile.functions, -1 for the root
    total_s: np.ndarray  # float64 inclusive time on this path
    self_s: np.ndarray  # float64 exclusive time on this path
    exact: np.ndarray  # bool
    depth: np.ndarray  # int32, root is 0
    size: np.ndarray  # int32 number of nodes in the subtree, itself included
    folded_s: np.ndarray | None = None  # float64, part of self_s that is folded calls
    samples: np.ndarray | None = None  # int32, sampled stacks behind an estimated share

    def __len__(self) -> int:
        return int(self.parent.shape[0])

    def children(self, node: int) -> np.ndarray:
        """Indices of ``node``'s direct children, in pre-order."""
        lo, hi = node + 1, node + int(self.size[node])
        sub = np.arange(lo, hi)
        return sub[self.parent[lo:hi] == node]

    def folded_share(self) -> float:
        """Share of the root's time that is calls folded into frames (0 without any)."""
        if self.folded_s is None or len(self) == 0 or self.total_s[ROOT] <= 0:
            return 0.0
        return float(self.folded_s.sum() / self.total_s[ROOT])

    def conservation_gap(self) -> float:
        """Largest ``|total - self - children|`` of any node, as a share of the root (0 when conserved)."""
        n = len(self)
        if n == 0 or self.total_s[ROOT] <= 0:
            return 0.0
        kids = np.zeros(n, dtype=np.float64)
        np.add.at(kids, self.parent[1:], self.total_s[1:])
        return float(np.abs(self.total_s - self.self_s - kids).max() / self.total_s[ROOT])

    def path(self, node: int) -> list[int]:
        """Nodes from the root's first child down to ``node`` (root excluded)."""
        out = []
        while node > ROOT:
            out.append(node)
            node = int(self.parent[node])
        return out[::-1]


class TreeBuilder:
    """Appends nodes in depth-first pre-order and produces a :class:`CallTree`.

    ``add`` must be called for a parent before any of its descendants and a
    subtree must be complete before its next sibling starts (plain DFS).
    """

    def __init__(self, root_total_s: float = 0.0) -> None:
        self._parent = [-1]
        self._func = [-1]
        self._total = [root_total_s]
        self._self = [0.0]
        self._exact = [True]
        self._depth = [0]
        self._folded: list[float] | None = None
        self._samples: list[int] | None = None

    def __len__(self) -> int:
        return len(self._parent)

    def add(
        self, parent: int, func: int, total_s: float, self_s: float, exact: bool = True, folded_s: float = 0.0
    ) -> int:
        if folded_s and self._folded is None:
            self._track()
        if self._folded is not None:
            self._folded.append(folded_s)
            self._samples.append(0)  # type: ignore[union-attr]
        self._parent.append(parent)
        self._func.append(func)
        self._total.append(total_s)
        self._self.append(self_s)
        self._exact.append(exact)
        self._depth.append(self._depth[parent] + 1)
        return len(self._parent) - 1

    def total_of(self, node: int) -> float:
        return self._total[node]

    def set_root_total(self, total_s: float) -> None:
        self._total[0] = total_s

    def set_self(self, node: int, self_s: float, folded_s: float = 0.0) -> None:
        """Set a node's self time once its children are known (conservation)."""
        self._self[node] = self_s
        if folded_s:
            self._track()
            self._folded[node] = folded_s  # type: ignore[index]

    def fold_into(self, node: int, seconds: float) -> None:
        """Add ``seconds`` of calls not drawn to ``node``'s own time, as folded."""
        self._track()
        self._self[node] += seconds
        self._folded[node] += seconds  # type: ignore[index]

    def set_samples(self, node: int, samples: int) -> None:
        self._track()
        self._samples[node] = samples  # type: ignore[index]

    def _track(self) -> None:
        if self._folded is None:
            self._folded = [0.0] * len(self._parent)
            self._samples = [0] * len(self._parent)

    def build(self) -> CallTree:
        parent = np.asarray(self._parent, dtype=np.int32)
        n = parent.shape[0]
        depth = np.asarray(self._depth, dtype=np.int32)
        return CallTree(
            parent=parent,
            func=np.asarray(self._func, dtype=np.int32),
            total_s=np.asarray(self._total, dtype=np.float64),
            self_s=np.asarray(self._self, dtype=np.float64),
            exact=np.asarray(self._exact, dtype=bool),
            depth=depth,
            size=subtree_sizes(parent, depth) if n else np.zeros(0, np.int32),
            folded_s=None if self._folded is None else np.asarray(self._folded, dtype=np.float64),
            samples=None if self._samples is None else np.asarray(self._samples, dtype=np.int32),
        )


def subtree_sizes(parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Subtree size of every node, vectorised level by level (deepest first)."""
    size = np.ones(parent.shape[0], dtype=np.int64)
    for d in range(int(depth.max(initial=0)), 0, -1):
        idx = np.nonzero(depth == d)[0]
        np.add.at(size, parent[idx], size[idx])
    return size.astype(np.int32)


@dataclass(slots=True)
class Profile:
    """One profile, whatever produced it."""

    profiler: str  # "cprofile" | "scalene" | "folded"
    functions: list[FunctionRecord]
    tree: CallTree
    lines: dict[str, dict[int, LineRecord]] = field(default_factory=dict)
    unit: str = "s"  # "s" or "samples"
    stacks_exact: bool = True  # False: deeper tree paths are estimates (cProfile)
    wall_s: float | None = None  # wall time of the run, when known
    source_path: str | None = None  # the raw profile file this came from
    notes: list[str] = field(default_factory=list)  # user-facing caveats

    @property
    def total_s(self) -> float:
        """The run's profiled time: the root's inclusive time."""
        return float(self.tree.total_s[ROOT]) if len(self.tree) else 0.0

    def function_label(self, func: int) -> str:
        return "all" if func < 0 else self.functions[func].name
