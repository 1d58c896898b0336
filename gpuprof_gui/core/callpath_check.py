"""Check a profile's call paths against another profile of the same program.

The question a flame graph answers is "under which caller did this
function's time go?". Given an anchor (say the program's ``main``), every
frame below it belongs to one *top-level caller*: the anchor's child on its
path. :func:`caller_shares` gives, per function, how its drawn time divides
among those callers; :func:`agreement` compares two such divisions (ours
against py-spy's real sampled stacks, for instance) as the share of each
function's time that sits under the same caller in both.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from gpuprof_gui.core.model import FunctionRecord, Profile

FunctionKey = tuple[str, int] | tuple[str, str]


def function_key(rec: FunctionRecord) -> FunctionKey:
    """How a Python function is known across profilers: its file and first line.

    Names differ between tools (``<genexpr>`` in cProfile,
    ``ingest.<locals>.<genexpr>`` in py-spy), places do not. C functions have
    no place; they match by name.
    """
    if rec.file and rec.line > 0:
        return (os.path.realpath(rec.file), rec.line)
    return ("", rec.name)


def caller_shares(profile: Profile, is_anchor: Callable[[FunctionRecord], bool]) -> dict[FunctionKey, dict]:
    """``{function: {top-level caller: time}}`` for the frames below the first anchor on each path.

    A function that recurses is counted once per path, at its outermost frame,
    as the hotspot table counts it.
    """
    tree = profile.tree
    funcs = profile.functions
    keys = [function_key(f) for f in funcs]
    out: dict[FunctionKey, dict] = {}
    # Pre-order walk with a stack of (depth, func, caller below the anchor).
    path_funcs: list[int] = []
    callers: list[FunctionKey | None] = []
    anchored: list[bool] = []
    for node in range(1, len(tree)):
        depth = int(tree.depth[node])
        del path_funcs[depth - 1 :], callers[depth - 1 :], anchored[depth - 1 :]
        func = int(tree.func[node])
        parent_anchored = anchored[-1] if anchored else False
        parent_is_anchor = bool(path_funcs) and path_funcs[-1] >= 0 and is_anchor(funcs[path_funcs[-1]])
        if parent_anchored:
            caller = callers[-1]
        elif parent_is_anchor:
            caller = keys[func]
        else:
            caller = None
        path_funcs.append(func)
        callers.append(caller)
        anchored.append(caller is not None)
        if caller is None or func < 0 or func in path_funcs[:-1]:
            continue
        per = out.setdefault(keys[func], {})
        per[caller] = per.get(caller, 0.0) + float(tree.total_s[node])
    return out


def agreement(ours: dict, reference: dict, weights: dict[FunctionKey, float]) -> dict[FunctionKey, float]:
    """Per function in ``weights``: the share of its time under the same caller in both (0..1).

    The overlap of the two normalised divisions: 1.0 when they agree exactly,
    0.0 when the function sits under entirely different callers.
    """
    result = {}
    for key in weights:
        a, b = ours.get(key, {}), reference.get(key, {})
        ta, tb = sum(a.values()), sum(b.values())
        if ta <= 0 or tb <= 0:
            result[key] = 0.0
            continue
        result[key] = sum(min(a.get(c, 0.0) / ta, b.get(c, 0.0) / tb) for c in set(a) | set(b))
    return result
