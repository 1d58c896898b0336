"""Words for the advice: the command-line report and the teaching view's guided steps.

Both read the same :class:`Advice`, so the terminal and the classroom say the same thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.fmt import DASH, format_bytes, format_time


def times(x: float | None) -> str:
    """A speed-up: ``4.57×``, ``812×``, ``∞`` (unbounded), ``—`` (unknown)."""
    if x is None:
        return DASH
    if math.isinf(x):
        return "∞"
    if x >= 100:
        return f"{x:,.0f}×"
    return f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def pct(fraction: float | None) -> str:
    return DASH if fraction is None else f"{100 * fraction:.1f}%"


@dataclass
class Step:
    """One step of the explanation: a symbol, its value, the formula and what it means here."""

    key: str  # "p", "limit", "s", "transfers", "prediction", "break_even"
    title: str
    value: str
    formula: str
    body: str


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _what(advice: Advice) -> str:
    names = advice.functions
    if not names:
        return "the selection"
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def explain(advice: Advice) -> list[Step]:
    """The guided explanation on the user's own numbers, in teaching order."""
    a, what = advice, _what(advice)
    T, p = a.total_s, a.p  # noqa: N806 - T and p as in the formulas shown beside them
    steps = [
        Step(
            "p",
            "How much of the run is the hotspot?",
            pct(p),
            "p = time in hotspot / run time",
            f"The program ran {format_time(T)}; {what} took {format_time(p * T)} of it, so p = "
            f"{p:.3f}. Nested calls are counted once" + (f" ({a.p_note})." if a.p_note else "."),
        ),
        Step(
            "limit",
            "The most the GPU can give",
            times(a.amdahl_limit),
            "limit = 1 / (1 − p)",
            f"Even if {what} took no time at all, the other {format_time((1 - p) * T)} "
            f"({pct(1 - p)}) stays on the CPU: the program can be at most "
            f"{times(a.amdahl_limit)} faster. That is Amdahl's law.",
        ),
    ]
    if a.kernel_speedup is None:
        steps.append(
            Step(
                "s",
                "How much faster is the kernel?",
                DASH,
                "s = CPU time / GPU kernel time",
                "Not measured here: "
                + _sentence(a.no_gpu_reason or "run the kernel lab on a GPU")
                + " The kernel speed-up, the transfer time and the GPU start-up are measured "
                "on a GPU by the kernel lab; p and the limit above need none.",
            )
        )
        return steps
    s = a.kernel_speedup
    steps.append(
        Step(
            "s",
            "How much faster is the kernel?",
            times(s),
            "s = CPU time / GPU kernel time",
            f"The kernel lab ran '{a.candidate}' on {a.device or 'the GPU'}: it is {times(s)} "
            f"faster than the NumPy version at size {a.size}. Alone, that predicts "
            f"S = 1 / ((1 − p) + p / s) = {times(a.predicted_speedup)}.",
        )
    )
    if a.transfer_s is not None:
        per_call = (
            f"{format_bytes(a.bytes_per_call)} per call at {a.transfer_gbps:.1f} GB/s = "
            f"{format_time(a.transfer_s_per_call)}"
            if a.bytes_per_call and a.transfer_gbps
            else f"{format_time(a.transfer_s_per_call)} per call"
        )
        setup = (
            f" Starting the GPU (importing CuPy, creating the context, loading the kernel) costs "
            f"{format_time(a.setup_s)} once."
            if a.setup_s
            else ""
        )
        steps.append(
            Step(
                "transfers",
                "What do the copies cost?",
                format_time(a.transfer_s),
                "transfers = calls × bytes per call / bandwidth",
                f"The data crosses PCIe on every call: {per_call}, × {a.calls:,} calls = "
                f"{format_time(a.transfer_s)}.{setup}",
            )
        )
        steps.append(
            Step(
                "prediction",
                "Predicted whole-program speed-up",
                times(a.predicted_speedup_with_transfers),
                "S = 1 / ((1 − p) + p / s + (transfers + start-up) / T)",
                f"Run time {format_time(T)} → {format_time(a.predicted_time_s)}: "
                f"{format_time((1 - p) * T)} stays on the CPU, the kernel takes "
                f"{format_time(p * T / s)}, copies {format_time(a.transfer_s)}"
                + (f", start-up {format_time(a.setup_s)}" if a.setup_s else "")
                + ".",
            )
        )
        steps.append(_break_even_step(a))
    return steps


def _break_even_step(a: Advice) -> Step:
    limit_s, limit_b = a.break_even_transfer_s_per_call, a.break_even_bytes_per_call
    s_min = a.break_even_kernel_speedup
    if limit_s is None:
        body = (
            "There is no gain to protect: with these copies and start-up the offload cannot make "
            "the program faster, whatever the kernel does."
        )
        value = "no gain"
    else:
        body = (
            f"Copies could grow to {format_time(limit_s)} per call"
            + (f" (about {format_bytes(limit_b)})" if limit_b else "")
            + " before they eat the whole gain."
        )
        value = format_time(limit_s) + " / call"
    if s_min is not None:
        body += f" With today's copies the kernel must be at least {times(s_min)} faster than NumPy to gain anything."
    elif a.overhead_fraction is not None:
        body += (
            " The copies alone take longer than the hotspot does on the CPU: keep the data on the GPU "
            "between calls, or move fewer bytes."
        )
    return Step(
        "break_even",
        "When do transfers eat the gain?",
        value,
        "break-even: p·T·(1 − 1/s) − start-up = calls × copy time",
        body,
    )


def report_lines(advice: Advice, script: str) -> list[str]:
    """The terminal report: each number with its formula; what needs a GPU at the end."""
    a = advice
    lines = [f"Offload advisor: {script}, offloading {_what(a)} ({a.calls:,} calls)", ""]
    for step in explain(a):
        lines.append(f"  {step.title}")
        lines.append(f"    {step.formula:<58} {step.value}")
        lines.extend(f"    {line}" for line in _wrap(step.body, 92))
        lines.append("")
    if a.candidates and len(a.candidates) > 1:
        lines.append("  Candidates (kernel speed-up → whole-program speed-up without copies):")
        for cand in a.candidates:
            from gpuprof_gui.core.advisor import amdahl_speedup

            lines.append(
                f"    {cand['name']:<28} s = {times(cand['kernel_speedup']):>9}   "
                f"S = {times(amdahl_speedup(a.p, cand['kernel_speedup']))}"
            )
        lines.append("")
    for note in a.notes:
        lines.append(f"  Note: {note}")
    if a.needs_gpu:
        lines.append("  Needs a GPU" + (f" ({a.no_gpu_reason.rstrip('.')})" if a.no_gpu_reason else "") + ":")
        lines.extend(f"    - {item}" for item in a.needs_gpu)
    return lines


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def _figure_text(fig: dict | None) -> str:
    if not fig:
        return ""
    value = fig.get("value")
    if value is None:
        return DASH
    return f"{value:,.0f} {fig['unit']}" if value >= 100 else f"{value:.1f} {fig['unit']}"


def capacity_lines(capacity: dict) -> list[str]:
    """The side-by-side capacity table as text, each figure followed by its formula."""
    from gpuprof_gui.core.capacity import capacity_rows

    cpu, gpu, link = capacity.get("cpu"), capacity.get("gpu"), capacity.get("link")
    names = [f"CPU: {(cpu or {}).get('name') or DASH}", f"GPU: {(gpu or {}).get('name') or DASH}"]
    lines = ["  Device capacity (" + "; ".join(names) + ")"]
    for row in capacity_rows(cpu, gpu, link):
        cells = [(side, row[side]) for side in ("cpu", "gpu", "link") if row[side]]
        values = "   ".join(f"{side.upper()} {_figure_text(fig)}" for side, fig in cells)
        ratio = f"   (GPU/CPU {row['ratio']:,.0f}×)" if row["ratio"] else ""
        lines.append(f"    {row['quantity']:<40} {values}{ratio}")
        lines.extend(f"      {side.upper()}: {fig['formula']}" for side, fig in cells)
    return lines
