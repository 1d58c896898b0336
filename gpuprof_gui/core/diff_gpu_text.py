"""The before/after of a move to the GPU in plain sentences, and its totals line (the window, the CLI).

Reads the dict :func:`gpuprof_gui.core.diff_gpu.before_after` makes; pure text.
"""

from __future__ import annotations

from typing import Any

from gpuprof_gui.core.fmt import format_bytes, format_pct, format_time

MOVED_SENTENCES = 3
"""Moved functions given a sentence each (the largest by CPU time before); the table lists them all."""


def _gpu_parts(row: dict[str, Any]) -> str:
    parts = [f"{format_time(row['kernel_s'])} of GPU kernels"]
    if row["copies"]:
        parts.append(f"{format_time(row['copy_s'])} of copies ({format_bytes(row['copy_bytes'])})")
    if row.get("memset_s"):
        parts.append(f"{format_time(row['memset_s'])} of memsets")
    return " plus ".join(parts)


def moved_sentence(row: dict[str, Any]) -> str:
    """``diffuse: 4.10 s on the CPU became 90.0 ms of GPU kernels plus 350 ms of copies (1.17 GiB);
    it now takes 520 ms on the CPU (launching and waiting).``"""
    name, after = row["name"], row["cpu_after_s"]
    if row["cpu_before_s"] is None:
        head = f"{name} (new in the GPU run): {_gpu_parts(row)}"
    else:
        head = f"{name}: {format_time(row['cpu_before_s'])} on the CPU became {_gpu_parts(row)}"
    tail = "" if after is None else f"; it now takes {format_time(after)} of CPU time (launching and waiting)"
    return head + tail + "."


def run_sentence(totals: dict[str, Any]) -> str:
    before, after, speedup = totals["run_before_s"], totals["run_after_s"], totals["speedup"]
    text = f"The run took {format_time(before)} on the CPU and {format_time(after)} with the GPU"
    if speedup is None:
        return text + "."
    if speedup >= 1:
        return text + f": {speedup:.2f}× faster."
    return text + f": {1 / speedup:.2f}× slower." if speedup > 0 else text + "."


def still_cpu_sentence(totals: dict[str, Any]) -> str:
    share = totals["cpu_share_after"]
    if share is None:
        return ""
    text = f"{format_pct(100.0 * share)} of the GPU run is still CPU work"
    named = [f"{f['name']} {format_time(f['s'])}" for f in totals["still_cpu"]]
    return text + (": " + ", ".join(named) + "." if named else ".")


def sentences(result: dict[str, Any]) -> list[str]:
    """What moved, what the run gained, what stays on the CPU: one sentence each."""
    totals = result["totals"]
    moved = [r for r in result["functions"] if r["moved"]][:MOVED_SENTENCES]
    out = [moved_sentence(r) for r in moved]
    if not moved:
        out.append("The GPU run's trace holds no kernels, copies or memsets issued from Python.")
    out.append(run_sentence(totals))
    still = still_cpu_sentence(totals)
    if still:
        out.append(still)
    if totals["sync_s"] > 0:
        out.append(f"The CPU waited {format_time(totals['sync_s'])} in all for the GPU to catch up (syncs).")
    return out


def totals_line(result: dict[str, Any]) -> str:
    """One line: before → after, what moved and what it became, the CPU share left."""
    t = result["totals"]
    if not t:
        return ""  # no figures: the sentences say why
    share = "—" if t["cpu_share_after"] is None else format_pct(100.0 * t["cpu_share_after"])
    return (
        f"Run {format_time(t['run_before_s'])} → {format_time(t['run_after_s'])}; "
        f"moved {format_time(t['moved_before_s'])} of CPU time → GPU kernels {format_time(t['kernel_s'])}, "
        f"copies {format_time(t['copy_s'])} ({format_bytes(t['copy_bytes'])}, {t['copies']}), "
        f"sync {format_time(t['sync_s'])}; still on the CPU {format_time(t['cpu_after_s'])} ({share} of B)"
    )
