"""Flat hotspot queries over a :class:`Profile` (the table and ``--json`` output)."""

from __future__ import annotations

from typing import Any

from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.selection import function_share


def hotspot_rows(profile: Profile) -> list[dict]:
    """One row per function, heaviest self time first; percentages of the run."""
    total_s = profile.total_s
    scale = 100.0 / total_s if total_s > 0 else 0.0
    rows: list[dict[str, Any]] = [
        {
            "func": idx,
            "name": rec.name,
            "file": rec.file,
            "line": rec.line,
            "calls": rec.calls,
            "self_s": rec.self_s,
            "total_s": rec.total_s,
            "self_pct": rec.self_s * scale,
            "total_pct": rec.total_s * scale,
            "reported_pct": rec.reported_pct,  # the profiler's own figure, where it differs
            "gpu_pct": rec.gpu_pct,  # sampled GPU utilisation while its lines ran (Scalene), None if not measured
            "gpu_mem_mb": rec.gpu_mem_mb,
        }
        for idx, rec in enumerate(profile.functions)
    ]
    # Ties (common with sampled data) fall back to inclusive time, then name,
    # so the order is stable between runs and platforms.
    rows.sort(key=lambda r: (-r["self_s"], -r["total_s"], r["name"], r["file"], r["line"]))
    return rows


def matching_functions(profile: Profile, text: str) -> list[int]:
    """Functions whose name or file contains ``text`` (case-insensitive)."""
    needle = text.strip().casefold()
    if not needle:
        return []
    return [
        idx
        for idx, rec in enumerate(profile.functions)
        if needle in rec.name.casefold() or needle in rec.file.casefold()
    ]


def search(profile: Profile, text: str) -> tuple[list[int], float]:
    """(matching function indices, share of the run in them): exact for one function,
    the union (nested matches once) for several (see :func:`~gpuprof_gui.core.selection.function_share`)."""
    funcs = matching_functions(profile, text)
    return funcs, function_share(profile, funcs).fraction if funcs else 0.0
