"""``gpuprof diff A B [--json] [--top N]``: what got slower or faster between two runs.

A and B are any files ``gpuprof open`` reads (profiles, sessions, advisor sessions),
opened through the one door (:mod:`gpuprof_gui.jobs.opening`); foreign cProfile dumps
are parsed in the convert worker. Functions are matched and compared as
:mod:`gpuprof_gui.core.diff` describes (seconds, or shares of each run when a
profile counts samples).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from gpuprof_gui.exit_codes import ExitStatus

if TYPE_CHECKING:
    from gpuprof_gui.core.model import Profile

VERB = "diff"

DEFAULT_TOP = 20  # table rows: a screenful, as `gpuprof open` prints
BAR_CELLS = 10  # half-width of the +/- bar column: shrunk grows left, grown right
MINUS = "−"  # U+2212, as core.fmt writes negative numbers


DESCRIPTION = (
    "Match the functions of two profiles (by name, file name and line, so runs from different folders "
    "or machines compare) and list the change of each function's self time, largest first. Profiles "
    "counting samples are compared as shares of their run. When B's GPU trace is beside it "
    "(as `gpuprof profile --gpu-trace` keeps it), a block says what moved to the GPU: "
    "per function the CPU time before and after, GPU kernels, copies and syncs (JSON key gpu). "
    f"Exit {ExitStatus.OK}: compared; "
    f"{ExitStatus.USAGE}: a file is missing, unreadable or holds no profile."
)


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        VERB, description=DESCRIPTION, help="compare two profiles: which functions got slower or faster"
    )
    p.add_argument(
        "a",
        metavar="A",
        help="the baseline profile (.prof, Scalene .json, folded stacks, gpuprof .json) "
        "or a session / advisor session holding one",
    )
    p.add_argument("b", metavar="B", help="the profile (or session) to compare with A")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    p.add_argument(
        "--top",
        type=_non_negative,
        metavar="N",
        help=f"show the N largest changes (table default {DEFAULT_TOP}, JSON default all)",
    )


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _signed(value: float, unit: str) -> str:
    """``+1.23 s`` / ``−45.6 ms``; shares as percentage points of the run: ``+12.3%``."""
    from gpuprof_gui.core.fmt import format_pct, format_time

    text = format_time(value) if unit == "s" else format_pct(value * 100.0)
    return text if text.startswith(MINUS) or value == 0 else "+" + text


def _amount(value: float, unit: str) -> str:
    from gpuprof_gui.core.fmt import format_pct, format_time

    return format_time(value) if unit == "s" else format_pct(value * 100.0)


def _bar(delta: float, largest: float) -> str:
    """``  ----|`` for a shrink, ``|+++   `` for a growth, scaled to the largest change."""
    cells = round(BAR_CELLS * abs(delta) / largest) if largest > 0 else 0
    left = (MINUS * cells if delta < 0 else "").rjust(BAR_CELLS)
    right = ("+" * cells if delta > 0 else "").ljust(BAR_CELLS)
    return f"{left}|{right}"


def format_diff_table(rows: list[dict], unit: str) -> str:
    """Aligned table of diff rows; the bar column grows left for shrunk, right for grown."""
    from gpuprof_gui.core.fmt import format_count, format_pct, short_path

    largest = max((abs(r["delta_s"]) for r in rows), default=0.0)
    head = (
        "change",
        "% of A",
        "self A",
        "self B",
        "calls A",
        "calls B",
        f"{'shrunk':>{BAR_CELLS}}|{'grown':<{BAR_CELLS}}",
        "function",
        "location",
    )
    right = (True, True, True, True, True, True, False, False, False)
    body = [
        (
            _signed(r["delta_s"], unit),
            format_pct(r["delta_pct"]),
            _amount(r["self_s_a"], unit),
            _amount(r["self_s_b"], unit),
            format_count(r["calls_a"]),
            format_count(r["calls_b"]),
            _bar(r["delta_s"], largest),
            r["name"] + ("" if r["status"] == "changed" else f" ({r['status']})"),
            short_path(f"{r['file']}:{r['line']}", 50) if r["file"] else "<built-in>",
        )
        for r in rows
    ]
    # Shares: the change is already in points of the run, so "% of A" would repeat it.
    keep = [i for i in range(len(head)) if not (unit == "share" and head[i] == "% of A")]
    shown_head, right_aligned = [head[i] for i in keep], [right[i] for i in keep]
    cells = [[row[i] for i in keep] for row in body]
    widths = [max(len(row[i]) for row in [shown_head, *cells]) for i in range(len(shown_head))]

    def line(row) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right_aligned, strict=True)
        ).rstrip()

    return "\n".join([line(shown_head), line(["-" * w for w in widths]), *map(line, cells)])


GPU_HEAD = ("function", "CPU before", "CPU after", "GPU kernels", "copies", "bytes", "sync")


def format_gpu_block(result: dict) -> str:
    """The before/after of a move to the GPU: a heading, the totals line, a table, the sentences."""
    from gpuprof_gui.core.diff_gpu_text import totals_line
    from gpuprof_gui.core.fmt import format_bytes, format_time

    device = f" ({result['device']})" if result.get("device") else ""
    out = [f"Moved to the GPU: B's GPU trace{device}", *filter(None, [totals_line(result)])]
    if result["functions"]:
        body = [
            (
                r["name"] + (" (moved)" if r["moved"] else ""),
                format_time(r["cpu_before_s"]),
                format_time(r["cpu_after_s"]),
                format_time(r["kernel_s"]),
                format_time(r["copy_s"]),
                format_bytes(r["copy_bytes"]),
                format_time(r["sync_s"]),
            )
            for r in result["functions"]
        ]
        widths = [max(len(row[i]) for row in [GPU_HEAD, *body]) for i in range(len(GPU_HEAD))]
        for row in [GPU_HEAD, tuple("-" * w for w in widths), *body]:
            cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
            out.append("  ".join(cells).rstrip())
    out += result["sentences"]
    return "\n".join(out)


def _total_text(total: float, unit: str) -> str:
    from gpuprof_gui.core.fmt import format_time

    return format_time(total) if unit == "s" else f"{total:,.0f} samples"


def _header(ns: argparse.Namespace, summary: dict) -> str:
    lines = [
        f"A: {ns.a}  total {_total_text(summary['total_s_a'], summary['unit_a'])}",
        f"B: {ns.b}  total {_total_text(summary['total_s_b'], summary['unit_b'])}",
    ]
    if summary["ratio"] is not None:
        change = f"{_signed(summary['delta_s'], 's')}, " if summary["unit_a"] == "s" else ""
        lines[-1] += f"  ({change}B/A {summary['ratio']:.2f}x)"
    return "\n".join(lines)


def _before_after(a: Profile, b: Profile, b_path: str) -> dict | None:
    """The move to the GPU when B's GPU trace is beside B (None without one; a damaged one is said)."""
    from gpuprof_gui.core.diff_gpu import before_after
    from gpuprof_gui.core.gpu_trace import gpu_trace_beside

    trace, problem = gpu_trace_beside(b_path)
    if problem:
        print(f"gpuprof diff: {problem}", file=sys.stderr)
    return before_after(a, b, trace) if trace is not None else None


def run(ns: argparse.Namespace) -> int:
    from gpuprof_gui.core.diff import SHARE_NOTE, diff_functions, diff_summary
    from gpuprof_gui.core.opening import OpenError
    from gpuprof_gui.jobs.opening import open_profile

    profiles: list[Profile] = []
    for path in (ns.a, ns.b):
        try:
            # Profiles of every kind, and the profile inside a session or advisor session.
            profile = open_profile(path).profile
        except OpenError as exc:
            print(f"gpuprof diff: {exc}", file=sys.stderr)
            return ExitStatus.USAGE
        assert profile is not None  # open_profile raises for a file without one
        profiles.append(profile)
    a, b = profiles
    gpu = _before_after(a, b, ns.b)
    summary = diff_summary(a, b)
    unit = summary["unit"]
    rows = diff_functions(a, b)
    top = ns.top if ns.json else (DEFAULT_TOP if ns.top is None else ns.top)
    shown = rows if top is None else rows[:top]
    if ns.json:
        doc = {
            "a": {
                "path": os.path.abspath(ns.a),
                "total_s": summary["total_s_a"],
                "unit": a.unit,
                "profiler": a.profiler,
            },
            "b": {
                "path": os.path.abspath(ns.b),
                "total_s": summary["total_s_b"],
                "unit": b.unit,
                "profiler": b.profiler,
            },
            "unit": unit,
            "delta_s": summary["delta_s"] if unit == "s" else None,
            "ratio": summary["ratio"],
            "notes": [SHARE_NOTE] if unit == "share" else [],
            "n_functions": len(rows),
            "functions": shown,
            "gpu": gpu,
        }
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return ExitStatus.OK
    out = [_header(ns, summary)]
    if unit == "share":
        out.append(SHARE_NOTE)
    out += ["", format_diff_table(shown, unit)]
    if len(shown) < len(rows):
        out.append(f"({len(rows) - len(shown)} smaller changes not shown; --top N shows more)")
    if gpu is not None:
        out += ["", format_gpu_block(gpu)]
    sys.stdout.write("\n".join(out) + "\n")
    return ExitStatus.OK
