"""Folded stacks (``a;b;c 123``, from py-spy or flamegraph.pl) -> :class:`Profile`.

Each line is one distinct stack, outermost frame first, and its sample
count. py-spy writes frames as ``func (file.py:12)``; the line there is the
sampled line, not the definition, so a function is keyed by (name, file)
and its ``line`` is the earliest sampled line (good enough to jump to).
Other tools write a frame as its bare name: that function has no file (the
views say so; it is not a built-in). A line that is only a count is samples
taken while no Python frame ran (py-spy writes one at a process's start):
it names nothing to show and is left out.
"""

from __future__ import annotations

import math
import re

from gpuprof_gui.core.importers._stacks import tree_from_stacks
from gpuprof_gui.core.importers.errors import ProfileFormatError
from gpuprof_gui.core.model import FunctionRecord, Profile

_PYSPY_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_LINE = re.compile(r"^(?P<stack>.*\S)\s+(?P<count>\S+)$")
EMPTY_STACK = re.compile(r"^\d+(?:\.\d+)?$")
"""A line with a count and no frames."""


def parse_frame(frame: str) -> tuple[str, str, int]:
    """``"func (file.py:12)"`` -> (name, file, line); plain names keep file "" and line 0."""
    match = _PYSPY_FRAME.match(frame)
    if match and match.group("name"):
        return match.group("name"), match.group("file"), int(match.group("line") or 0)
    return frame, "", 0


def import_folded(text: str) -> Profile:
    """Build a Profile (unit "samples") from folded-stack text."""
    index: dict[tuple[str, str], int] = {}
    functions: list[FunctionRecord] = []
    stacks: list[tuple[list[int], float]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or EMPTY_STACK.match(line):
            continue
        stacks.append((_parse_line(line, lineno, index, functions), _count(line, lineno)))
    if not stacks:
        raise ProfileFormatError("The folded-stacks file holds no stacks.")
    if not any(w > 0 for _, w in stacks):
        raise ProfileFormatError("The folded-stacks file holds no samples (every count is zero).")
    tree, func_self, func_total = tree_from_stacks(stacks, len(functions))
    for idx, rec in enumerate(functions):
        rec.self_s = float(func_self[idx])
        rec.total_s = float(func_total[idx])
    return Profile(profiler="folded", functions=functions, tree=tree, unit="samples", stacks_exact=True)


def _count(line: str, lineno: int) -> float:
    match = _LINE.match(line)
    if match is None:
        raise ProfileFormatError(f"Line {lineno} of the folded stacks has no sample count: {line[:80]!r}.")
    try:
        count = float(match.group("count"))
    except ValueError:
        raise ProfileFormatError(
            f"Line {lineno} of the folded stacks does not end in a sample count: {line[:80]!r}."
        ) from None
    if not math.isfinite(count) or count < 0:
        raise ProfileFormatError(f"Line {lineno} of the folded stacks has an invalid sample count: {line[:80]!r}.")
    return count


def _parse_line(line: str, lineno: int, index: dict, functions: list[FunctionRecord]) -> list[int]:
    match = _LINE.match(line)
    if match is None:
        raise ProfileFormatError(f"Line {lineno} of the folded stacks has no sample count: {line[:80]!r}.")
    frames = match.group("stack").split(";")
    if any(not f.strip() for f in frames):
        raise ProfileFormatError(f"Line {lineno} of the folded stacks has an empty frame: {line[:80]!r}.")
    path = []
    for frame in frames:
        name, file, fline = parse_frame(frame.strip())
        key = (name, file)
        idx = index.get(key)
        if idx is None:
            idx = len(functions)
            index[key] = idx
            functions.append(FunctionRecord(name, file, fline))
        elif fline and (functions[idx].line == 0 or fline < functions[idx].line):
            functions[idx].line = fline
        path.append(idx)
    return path
