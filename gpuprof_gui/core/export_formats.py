"""Text exports of a :class:`Profile` for other tools: speedscope JSON, folded stacks, CSV.

Pure functions of the profile, returning ``str``; the ``export`` verb writes them.
Stacks come from the call tree in depth-first pre-order, so one pass with a
running stack (cut to the node's depth) gives every node's path without
walking up the tree.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator

from gpuprof_gui import __version__
from gpuprof_gui.core.hotspots import hotspot_rows
from gpuprof_gui.core.model import ROOT, Profile

SPEEDSCOPE_SCHEMA_URL = "https://www.speedscope.app/file-format-schema.json"
EXPORTER = f"gpuprof-gui@{__version__}"  # the spec's recommended "name@version"

FOLDED_SCALE_PER_S = 1_000_000
"""Folded stacks carry integer counts: seconds become microseconds, which
keeps cProfile's ~1 µs clock resolution and loses nothing a flame graph shows."""

CSV_COLUMNS = ("name", "file", "line", "calls", "self_s", "total_s", "self_pct", "total_pct")


def profile_title(profile: Profile, fallback: str = "gpuprof profile") -> str:
    """A short name for the profile: its file's base name, else ``fallback``."""
    return os.path.basename(profile.source_path) if profile.source_path else fallback


def node_stacks(profile: Profile) -> Iterator[tuple[int, list[int]]]:
    """``(node, [func ids from the outermost frame to the node])`` for every node but the root.

    The list is reused between iterations: copy it to keep it.
    """
    tree = profile.tree
    stack: list[int] = []
    for node, (depth, func) in enumerate(zip(tree.depth.tolist(), tree.func.tolist(), strict=True)):
        if node == ROOT:
            continue
        del stack[depth - 1 :]
        stack.append(func)
        yield node, stack


# -- speedscope ------------------------------------------------------------------------------


def speedscope_document(profile: Profile, name: str | None = None) -> dict:
    """The profile as one speedscope "sampled" profile (file format 0.6+).

    Every node with self time becomes one sample of its stack, weighted by
    that self time: for an aggregated tree this is exact, and speedscope's
    left-heavy and sandwich views sum the weights back up. Seconds-based
    profiles use the unit "seconds"; sample counts use "none".
    """
    frames = []
    for rec in profile.functions:
        frame: dict = {"name": rec.name}
        if rec.file:
            frame["file"] = rec.file
        if rec.line > 0:
            frame["line"] = rec.line
        frames.append(frame)
    self_s = profile.tree.self_s.tolist()
    samples, weights = [], []
    for node, stack in node_stacks(profile):
        weight = self_s[node]
        if weight > 0:
            samples.append(list(stack))
            weights.append(weight)
    title = name or profile_title(profile)
    return {
        "$schema": SPEEDSCOPE_SCHEMA_URL,
        "exporter": EXPORTER,
        "name": title,
        "activeProfileIndex": 0,
        "shared": {"frames": frames},
        "profiles": [
            {
                "type": "sampled",
                "name": title,
                "unit": "seconds" if profile.unit == "s" else "none",
                "startValue": 0,
                "endValue": sum(weights),
                "samples": samples,
                "weights": weights,
            }
        ],
    }


def speedscope_json(profile: Profile, name: str | None = None) -> str:
    return json.dumps(speedscope_document(profile, name), ensure_ascii=False, separators=(",", ":"))


# -- folded stacks -----------------------------------------------------------------------------


def folded_frame(name: str, file: str, line: int) -> str:
    """One frame as py-spy writes it (``func (file.py:12)``), which our folded importer reads back.

    ``;`` separates frames and a line break ends the stack, so both are replaced in names.
    """
    clean = " ".join(name.replace(";", ":").split()) or "?"
    if not file:
        return clean
    file = " ".join(file.replace(";", ":").split())
    return f"{clean} ({file}:{line})" if line > 0 else f"{clean} ({file})"


def folded_lines(profile: Profile) -> list[str]:
    """``a;b;c value`` lines: value is self time in µs (seconds profiles) or samples.

    Identical stacks (a name repeated under one parent) are merged; stacks
    whose value rounds to zero are left out, as flamegraph.pl would drop them.
    """
    labels = [folded_frame(f.name, f.file, f.line) for f in profile.functions]
    scale = FOLDED_SCALE_PER_S if profile.unit == "s" else 1
    self_s = profile.tree.self_s.tolist()
    merged: dict[str, float] = {}
    for node, stack in node_stacks(profile):
        value = self_s[node]
        if value > 0:
            key = ";".join(labels[f] for f in stack)
            merged[key] = merged.get(key, 0.0) + value * scale
    return [f"{stack} {round(value)}" for stack, value in merged.items() if round(value) > 0]


def folded_text(profile: Profile) -> str:
    lines = folded_lines(profile)
    return "\n".join(lines) + "\n" if lines else ""


# -- CSV -------------------------------------------------------------------------------------


def hotspot_csv(profile: Profile) -> str:
    """The hotspot table as RFC 4180 CSV (CRLF line ends, quoted where needed).

    Columns as :data:`CSV_COLUMNS`; for sample-count profiles the two time
    columns are named ``self_samples`` and ``total_samples`` instead, so a
    spreadsheet never shows a count as seconds. Floats keep full precision;
    a missing call count is an empty cell. A text cell (a function or file name)
    that a spreadsheet would read as a formula gets a leading ``'`` (:func:`csv_text`).
    """
    header = list(CSV_COLUMNS)
    if profile.unit != "s":
        header[4:6] = ["self_samples", "total_samples"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in hotspot_rows(profile):
        writer.writerow(
            [
                "" if row[k] is None else (repr(row[k]) if isinstance(row[k], float) else csv_text(row[k]))
                for k in CSV_COLUMNS
            ]
        )
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
(OWASP "CSV injection"): a function named ``=HYPERLINK(...)`` must stay text."""


def csv_text(value: object) -> object:
    """``value`` for a CSV cell: text starting like a formula gets a leading ``'``; numbers as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
