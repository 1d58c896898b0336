"""Sampled real stacks of a cProfile run, as evidence for splitting its exact times among call paths.

The profile worker records the script's stacks with py-spy beside the dump
(``<dump>.stacks``, py-spy's raw format with each function's first line).
Here they become a trie over the cProfile table's function ids, each sample
weighed by the exact time it stands for; :mod:`pstats_import` walks that trie
while it builds the call tree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

from gpuprof_gui.core.importers.folded_import import parse_frame


def parse_sampled_stacks(text: str) -> list[tuple[list[tuple[str, str, int]], float]]:
    """py-spy's raw output (``--format raw --function``) as ``[(frames, count)]``.

    Lines that are not ``stack count`` are skipped: this is evidence for the
    split, not the profile itself, and a damaged line must not lose the run.
    """
    return [([parse_frame(f) for f in frames], n) for frames, n in raw_stacks(text)]


def raw_stacks(text: str) -> Iterator[tuple[list[str], float]]:
    """``(frame strings outermost first, count)`` per valid line of py-spy's raw output."""
    for raw in text.splitlines():
        stack, _, count = raw.strip().rpartition(" ")
        try:
            n = float(count)
        except ValueError:
            continue
        if stack and math.isfinite(n) and n > 0:
            yield stack.split(";"), n


class SampleTrie:
    """Sampled real stacks of the same run, as a trie over our function ids.

    ``count[t]`` is how many samples pass through trie node ``t``;
    ``first_pair[(f, g)]`` sums ``count`` over the nodes where the call
    ``f -> g`` appears for the first time on the path (``f == -1``: the
    root), which is how cProfile counts an edge's time (once per outermost
    call). A stack frame the cProfile table does not know (the worker's own
    frames, code that ran before profiling started) is left out of the path.
    """

    def __init__(self) -> None:
        self.kids: list[dict[int, int]] = [{}]
        self.count: list[float] = [0.0]  # calibrated weight (see build)
        self.raw: list[int] = [0]  # plain sample counts, for "from N samples"
        self.first_pair: dict[tuple[int, int], float] = {}
        self.sampled: set[int] = set()  # functions seen in any sample
        self.first_func: dict[int, float] = {}  # samples at each function's outermost frame
        self.n_samples = 0

    @classmethod
    def build(cls, stacks, index: dict[tuple, int], leaf_times) -> SampleTrie | None:
        """The trie of ``stacks``, each sample weighed by the exact time it stands for.

        A sample whose innermost Python frame is ``h`` stands for
        ``leaf_time[h] / (samples ending in h)`` seconds: cProfile's exact time
        of ``h`` outside its Python callees, shared by those samples. Weighed
        so, 90 samples split a dispatcher's time between a caller of 12 long
        calls and one of 60,000 short ones the way the exact totals require,
        where plain counts are off by their sampling noise.
        """
        by_place: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for key, g in index.items():
            file, line, name = key
            by_place.setdefault((str(file), int(line)), []).append((str(name), g))
        memo: dict[tuple[str, str, int], int] = {}
        paths: list[tuple[list[int], float]] = []
        leaf_samples: dict[int, float] = {}
        for frames, count in stacks:
            if count <= 0:
                continue
            path = []
            for frame in frames:
                matched = memo.get(frame)
                if matched is None:
                    matched = memo[frame] = match_frame(frame, by_place)
                if matched >= 0:
                    path.append(matched)
            if path:
                paths.append((path, count))
                leaf_samples[path[-1]] = leaf_samples.get(path[-1], 0.0) + count
        leaf_time = leaf_times(paths)
        trie = cls()
        for path, count in paths:
            leaf = path[-1]
            weight = count * leaf_time[leaf] / leaf_samples[leaf]
            trie._add(path, weight if weight > 0 else count * _UNTIMED_SAMPLE_WEIGHT, count)
            trie.sampled.update(path)
        return trie if trie.n_samples else None

    def _add(self, path: list[int], count: float, raw: float) -> None:
        node, prev = 0, -1
        seen: set[tuple[int, int]] = set()
        for g in set(path):
            self.first_func[g] = self.first_func.get(g, 0.0) + count
        self.count[0] += count
        self.raw[0] += round(raw)
        self.n_samples += round(raw)
        for g in path:
            child = self.kids[node].get(g)
            if child is None:
                child = len(self.count)
                self.kids[node][g] = child
                self.kids.append({})
                self.count.append(0.0)
                self.raw.append(0)
            self.count[child] += count
            self.raw[child] += round(raw)
            pair = (prev, g)
            if pair not in seen:
                seen.add(pair)
                self.first_pair[pair] = self.first_pair.get(pair, 0.0) + count
            node, prev = child, g


_UNTIMED_SAMPLE_WEIGHT = 1e-12
"""A sample ending in a function cProfile timed at zero still marks its path, barely."""


def leaf_times(paths, functions, callees, fn_ct, self_tt) -> list[float]:
    """Per function: its exact time outside its Python callees (what samples ending in it show).

    Samplers do not see C frames, so a sample ending in ``h`` may be inside a
    C function ``h`` called (``sum``, ``sleep``): that time counts for ``h``.
    Python code a C function ran for ``h`` (``sum(genexpr)``) shows in the
    samples as ``h -> genexpr`` with no such cProfile edge; it is taken off
    ``h`` by the share of the callee's samples seen there.
    """
    is_c = [not f.file for f in functions]
    edge = {(f, g): t for f, lst in enumerate(callees) for g, t in lst}
    via_c: dict[tuple[int, int], float] = {}
    first: dict[int, float] = {}
    for path, count in paths:
        for g in set(path):
            first[g] = first.get(g, 0.0) + count
        seen = set()
        for h, g in itertools.pairwise(path):
            if (h, g) not in edge and (h, g) not in seen:
                seen.add((h, g))
                via_c[(h, g)] = via_c.get((h, g), 0.0) + count
    through_c = [0.0] * len(functions)
    for (h, g), n in via_c.items():
        callers_c = [edge[(b, g)] for b, _ in callees[h] if is_c[b] and (b, g) in edge]
        if callers_c and first.get(g):
            through_c[h] += max(callers_c) * n / first[g]
    out = []
    for h, lst in enumerate(callees):
        inside = math.fsum(t for g, t in lst if not is_c[g]) + through_c[h]
        out.append(max(fn_ct[h] - inside, self_tt[h], 0.0))
    return out


def match_frame(frame: tuple[str, str, int], by_place) -> int:
    """Our function id for a sampled ``(name, file, first line)``, or -1.

    Samplers name methods by their qualified name (``Class.meth``) where
    cProfile keeps ``co_name`` (``meth``); the place decides, the name only
    breaks ties between code objects that start on one line (lambdas).
    """
    name, file, line = frame
    candidates = by_place.get((file, line))
    if not candidates:
        return -1
    if len(candidates) == 1:
        return candidates[0][1]
    short = name.rsplit(".", 1)[-1]
    for cand, g in candidates:
        if cand in (name, short):
            return g
    return candidates[0][1]
