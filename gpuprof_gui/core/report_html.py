"""A profile report as ONE self-contained HTML file: opens from disk, loads nothing from the net.

Inline CSS, the flame graph as inline SVG (:mod:`gpuprof_gui.core.flame_svg`), the
hotspot table, the profile's metadata and notes, and, when given, the kernel-lab
results and the offload advisor's numbers. No scripts at all: the SVG's ``<title>``
tooltips work in every browser without one.
"""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime

from gpuprof_gui import __version__
from gpuprof_gui.core.advice_session import AdviceSession
from gpuprof_gui.core.advice_text import explain, times
from gpuprof_gui.core.export_formats import profile_title
from gpuprof_gui.core.flame import layout_for_profile
from gpuprof_gui.core.flame_svg import flame_svg
from gpuprof_gui.core.fmt import DASH, format_bytes, format_count, format_pct, format_time, short_path
from gpuprof_gui.core.hotspots import hotspot_rows
from gpuprof_gui.core.lab_model import LabRun
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.provenance import Provenance

DEFAULT_TOP_ROWS = 40  # hotspot rows in the report: the heavy ones, without a wall of noise below
FLAME_WIDTH_PX = 1200  # drawing width of the inline SVG; CSS scales it to the page
PATH_CHARS = 60  # locations are shortened from the left to this many characters

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#202020;
margin:24px auto;max-width:1240px;padding:0 16px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.sub{color:#606060;margin:0 0 16px}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
th{background:#f5f5f5;position:sticky;top:0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.bar{background-image:linear-gradient(#e5553f55,#e5553f55);background-repeat:no-repeat}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:0}dl.meta dt{color:#606060}
dl.meta dd{margin:0}.flame svg{width:100%;height:auto;border:1px solid #eee}
.note{background:#fff8e1;border-left:3px solid #f0a030;padding:4px 8px;margin:4px 0}
.bad{color:#b00020}.ok{color:#1b5e20}.step{margin:10px 0}.step b{display:inline-block;min-width:60px}
code{background:#f5f5f5;padding:0 3px}.small{font-size:12px;color:#606060}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return DASH
    return format_time(value) if unit == "s" else f"{format_count(round(value))} samples"


def _num(value: float | None, spec: str) -> str:
    return DASH if value is None or isinstance(value, str) else spec.format(value)


def _table(head: list[tuple[str, bool]], body: list[list[str]], css_class: str) -> str:
    """``head``: (title, numeric?) per column; ``body`` cells are already escaped HTML."""
    cols = [' class="n"' if numeric else "" for _, numeric in head]
    out = [f'<table class="{css_class}"><thead><tr>']
    out += [f"<th{c}>{_e(title)}</th>" for (title, _), c in zip(head, cols, strict=True)]
    out.append("</tr></thead><tbody>")
    for row in body:
        out.append(
            "<tr>"
            + "".join(
                cell if cell.startswith("<td") else f"<td{c}>{cell}</td>" for cell, c in zip(row, cols, strict=False)
            )
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _metadata(profile: Profile, n_frames: int, generated: str, provenance: Provenance | None) -> str:
    # Where the profile came from (script, arguments, start, host) first; the run time
    # is the run's own when the profile file does not carry it.
    facts = [
        (k, v)
        for k, v in (provenance.facts() if provenance is not None else [])
        if k not in ("Profiler", "Run time", "File")
    ]
    wall_s = profile.wall_s or (provenance.wall_s if provenance is not None else None)
    items = [
        *facts,
        ("Profiler", profile.profiler or (provenance.profiler if provenance else "") or DASH),
        ("Profiled time", _amount(profile.total_s, profile.unit)),
        ("Run time (wall)", format_time(wall_s) if wall_s else DASH),
        ("Functions", format_count(len(profile.functions))),
        ("Frames in the flame graph", format_count(n_frames)),
        ("Call stacks", "recorded" if profile.stacks_exact else "estimated below caller→callee pairs (cProfile)"),
        ("Source file", (provenance.path if provenance is not None else "") or profile.source_path or DASH),
        ("Report", f"gpuprof-gui {__version__}, {generated}"),
    ]
    return '<dl class="meta">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


def _subtitle(profile: Profile, provenance: Provenance | None) -> str:
    """``python train.py --size 3 · cprofile · 1.20 s profiled``: the command first, where it is known."""
    parts = [f"{profile.profiler}", f"{_amount(profile.total_s, profile.unit)} profiled"]
    if provenance is not None and provenance.script:
        parts.insert(0, " ".join(["python", os.path.basename(provenance.script), *provenance.args]))
    return " · ".join(parts)


def _hotspots(profile: Profile, top: int) -> str:
    rows = hotspot_rows(profile)
    head = [
        ("#", True),
        ("function", False),
        ("location", False),
        ("calls", True),
        ("self", True),
        ("self %", True),
        ("total", True),
        ("total %", True),
    ]
    body = []
    for rank, r in enumerate(rows[:top], start=1):
        where = short_path(f"{r['file']}:{r['line']}", PATH_CHARS) if r["file"] else "<built-in>"
        bar = min(max(r["self_pct"], 0.0), 100.0)
        body.append(
            [
                str(rank),
                _e(r["name"]),
                f'<span title="{_e(r["file"])}">{_e(where)}</span>',
                _e(format_count(r["calls"])),
                _e(_amount(r["self_s"], profile.unit)),
                f'<td class="n bar" style="background-size:{bar:.1f}% 100%">{_e(format_pct(r["self_pct"]))}</td>',
                _e(_amount(r["total_s"], profile.unit)),
                _e(format_pct(r["total_pct"])),
            ]
        )
    more = f'<p class="small">{len(rows) - top} lighter functions are not listed.</p>' if len(rows) > top else ""
    return _table(head, body, "hotspots") + more


def _lab(run: LabRun) -> str:
    dev = run.device
    facts = [dev.name or "unknown device"]
    if dev.compute_capability:
        facts.append(f"compute capability {dev.compute_capability}")
    if dev.memory_clock_mhz and dev.bus_width_bits:
        facts.append(f"{dev.peak_bandwidth_gbps:.0f} GB/s and {dev.peak_gflops():.0f} GFLOP/s FP32 theoretical")
    if dev.copy_gbps:
        facts.append(f"{dev.copy_gbps:.0f} GB/s measured copy")
    origin = ", ".join(x for x in (run.host, run.date) if x)
    out = [f"<p>{_e('; '.join(facts))}" + (f' <span class="small">({_e(origin)})</span>' if origin else "") + "</p>"]
    if run.synthetic:
        out.append('<p class="note">These lab results are synthetic (made up for a demonstration), not measured.</p>')
    head = [
        ("candidate", False),
        ("kind", False),
        ("size", True),
        ("status", False),
        ("median", True),
        ("p10–p90", True),
        ("GB/s", True),
        ("GFLOP/s", True),
        ("% of peak", True),
        ("× CPU", True),
        ("× CPU with copies", True),
        ("error", False),
    ]
    body = []
    for r in run.records:
        status = f'<span class="{"ok" if r.correct else "bad"}">{_e(r.status)}</span>'
        spread = f"{r.p10_ms:.4g}–{r.p90_ms:.4g} ms" if r.p10_ms is not None and r.p90_ms is not None else DASH
        body.append(
            [
                _e(r.candidate),
                _e(r.kind),
                _e(format_count(r.size)),
                status,
                _e(_num(r.median_ms, "{:.4g} ms")),
                _e(spread),
                _e(_num(r.gbps, "{:.1f}")),
                _e(_num(r.gflops, "{:.1f}")),
                _e(_num(r.pct_of_peak, "{:.0f}%")),
                _e(times(r.speedup_vs_cpu)),
                _e(times(r.speedup_vs_cpu_with_transfers)),
                _e(r.error or ""),
            ]
        )
    out.append(_table(head, body, "lab"))
    out += [f'<p class="note">{_e(n)}</p>' for n in run.notes]
    return "".join(out)


def _advice(session: AdviceSession) -> str:
    a = session.advice
    key = [
        ("Offloaded", ", ".join(a.functions) or DASH),
        ("Calls per run", format_count(a.calls)),
        ("Run time T", format_time(a.total_s)),
        ("Share p", f"{a.p:.3f}"),
        ("Amdahl limit 1/(1−p)", times(a.amdahl_limit)),
        (
            "Kernel speed-up s",
            times(a.kernel_speedup) + (f" ({a.candidate} @ {format_count(a.size)})" if a.candidate else ""),
        ),
        ("Copies per call", f"{format_time(a.transfer_s_per_call)} for {format_bytes(a.bytes_per_call)}"),
        ("GPU start-up", format_time(a.setup_s)),
        ("Predicted speed-up, no copies", times(a.predicted_speedup)),
        ("Predicted speed-up with copies and start-up", times(a.predicted_speedup_with_transfers)),
        ("Predicted run time", format_time(a.predicted_time_s)),
        ("Break-even kernel speed-up", times(a.break_even_kernel_speedup)),
        ("Break-even bytes per call", format_bytes(a.break_even_bytes_per_call)),
    ]
    if session.measured and session.measured.get("speedup"):
        m = session.measured
        key.append(
            (
                "Measured speed-up (real runs)",
                f"{times(m['speedup'])}: "
                f"{format_time(m.get('cpu_wall_s'))} on the CPU, {format_time(m.get('gpu_wall_s'))} with the GPU",
            )
        )
    if a.device:
        key.append(("Device", a.device))
    out = ['<dl class="meta">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in key) + "</dl>"]
    for step in explain(a):
        out.append(
            f'<div class="step"><b>{_e(step.value)}</b> {_e(step.title)} '
            f'<code>{_e(step.formula)}</code><br><span class="small">{_e(step.body)}</span></div>'
        )
    out += [f'<p class="note">{_e(n)}</p>' for n in a.notes]
    if a.needs_gpu:
        out.append(
            f'<p class="note">Needs a GPU ({_e(a.no_gpu_reason or "not measured")}): '
            + _e("; ".join(a.needs_gpu))
            + "</p>"
        )
    return "".join(out)


def report_html(
    profile: Profile,
    *,
    title: str | None = None,
    lab_run: LabRun | None = None,
    advice: AdviceSession | None = None,
    top: int = DEFAULT_TOP_ROWS,
    generated: str | None = None,
    provenance: Provenance | None = None,
) -> str:
    """The report document. ``generated`` (ISO date) defaults to now, in UTC.

    ``provenance`` names the report (unless ``title`` does) and heads it with where the
    profile came from: script, arguments, profiler, start and run time.
    """
    name = title or (provenance.name if provenance is not None else "") or profile_title(profile)
    when = generated or datetime.now(UTC).isoformat(timespec="seconds")
    layout = layout_for_profile(profile)
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e('Profile report: ' + name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Profile report: {_e(name)}</h1>",
        f'<p class="sub">{_e(_subtitle(profile, provenance))}</p>',
        _metadata(profile, layout.n_frames, when, provenance),
    ]
    if profile.notes:
        parts.append("<h2>Notes</h2>" + "".join(f'<p class="note">{_e(n)}</p>' for n in profile.notes))
    parts.append(
        '<h2>Flame graph</h2><div class="flame">'
        + flame_svg(profile, FLAME_WIDTH_PX, title=name, layout=layout, standalone=False)
        + "</div>"
    )
    parts.append("<h2>Hotspots</h2>" + _hotspots(profile, top))
    lab = lab_run if lab_run is not None else (advice.lab if advice is not None else None)
    if lab is not None:
        parts.append("<h2>Kernel lab</h2>" + _lab(lab))
    if advice is not None:
        parts.append("<h2>Offload advisor</h2>" + _advice(advice))
    parts.append("</body></html>\n")
    return "\n".join(parts)
