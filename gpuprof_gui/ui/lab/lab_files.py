"""The files the kernel lab reads: bundled candidate files, recorded runs with their traces; and the sizes field.

No Qt here: the panel shows what these return, and the reasons they give, in its status line.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path

from gpuprof_gui.assets import examples_dir, resource_path
from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.core.opening import Kind, OpenError, unopenable_reason, what_is
from gpuprof_gui.gpu.trace_io import Trace, TraceFormatError, load_trace
from gpuprof_gui.jobs.opening import open_lab_results

DEFAULT_KERNEL_FILE = "saxpy.py"  # the memory-bound baseline: the first thing to try
RESULTS_NAME = "lab_results.json"
TRACE_NAME = "telemetry.json"
"""A recorded run's folder holds these two (what the lab's runs and ``gui --lab-save`` write)."""
MAX_FOLDER_ENTRIES = 200
"""A folder dragged over the lab is looked into this far for results (each .json's head is read)."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def bundled_kernel_files() -> list[str]:
    """Paths of the bundled candidate files: the kernel examples, then the offload pair's candidates."""
    folder = examples_dir() / "kernels"
    files = sorted(str(p) for p in folder.glob("*.py") if not p.name.startswith("_"))
    return files + sorted(str(p) for p in (examples_dir() / "offload").glob("*_kernels.py"))


def bundled_kernel_file(name: str) -> Path | None:
    """The bundled candidate file called ``name`` (a recorded run names its file), or None."""
    return next((Path(p) for p in bundled_kernel_files() if os.path.basename(p) == name), None)


def parse_sizes(text: str) -> list[int]:
    """'1048576, 16777216' -> [1048576, 16777216]; ValueError with a plain message."""
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    sizes = []
    for part in parts:
        if not part.replace("_", "").isdigit() or int(part.replace("_", "")) <= 0:
            raise ValueError(f"'{part}' is not a positive whole number")
        sizes.append(int(part.replace("_", "")))
    return sizes


def candidate_file_text(file_path: str | None, run: lm.LabRun | None) -> str | None:
    """The candidate file's source: a recorded run's bundled file, else ``file_path``; None if unreadable."""
    path = file_path
    if run is not None and run.file:
        bundled = bundled_kernel_file(run.file)
        path = str(bundled) if bundled is not None else None
    try:
        with open(path or "", encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def line_naming(file_text: str, name: str) -> int | None:
    """The first line of ``file_text`` that names candidate ``name`` in quotes (as the lab's loader finds it).

    A recorded run keeps the lines of the file as it was then; the file shown is today's.
    """
    pattern = re.compile(rf"""(["']){re.escape(name)}\1""")
    return next((i + 1 for i, text in enumerate(file_text.splitlines()) if pattern.search(text)), None)


class RecordedRunError(Exception):
    """A recorded run or its trace could not be read; the message is one sentence for the status line."""


def recorded_run_files(path: str) -> tuple[str, str | None]:
    """The results file and its telemetry trace (None when there is none) for a results file or a folder.

    A folder gives its ``lab_results.json`` (else its one lab results file); a results file
    brings the ``telemetry.json`` beside it. RecordedRunError when a folder holds no results.
    """
    if os.path.isdir(path):
        named = os.path.join(path, RESULTS_NAME)
        results = named if os.path.isfile(named) else next(iter(_results_files_in(path)), None)
        if results is None:
            raise RecordedRunError(f"{path} holds no kernel-lab results ({RESULTS_NAME}).")
    else:
        results = path
    trace = os.path.join(os.path.dirname(os.path.abspath(results)), TRACE_NAME)
    return results, (trace if os.path.isfile(trace) and not os.path.samefile(trace, results) else None)


def _results_files_in(folder: str) -> list[str]:
    found = []
    for name in sorted(os.listdir(folder))[:MAX_FOLDER_ENTRIES]:
        path = os.path.join(folder, name)
        if name.endswith(".json") and name != TRACE_NAME and os.path.isfile(path):
            try:
                if what_is(path) is Kind.LAB_RESULTS:
                    found.append(path)
            except OpenError:
                continue
    return found


def holds_recorded_run(path: str) -> bool:
    """Is ``path`` kernel-lab results, or a folder holding them (what a drop on the lab may bring)?"""
    try:
        if os.path.isdir(path):
            return os.path.isfile(os.path.join(path, RESULTS_NAME)) or bool(_results_files_in(path))
        return what_is(path) is Kind.LAB_RESULTS
    except (OpenError, OSError):
        return False


@cache
def bundled_recordings() -> dict[str, str]:
    """Candidate file name -> the folder of its run recorded on a GPU, shipped for computers without one."""
    found: dict[str, str] = {}
    for results in sorted(resource_path("recorded").glob(f"*/{RESULTS_NAME}")):
        try:
            with open(results, encoding="utf-8") as fh:
                name = json.load(fh).get("file")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(name, str) and name not in found:
            found[name] = str(results.parent)
    return found


def bundled_recording(file_path: str | None) -> str | None:
    """The folder of the bundled recorded run of the candidate file at ``file_path``, if one was shipped."""
    if not file_path or bundled_kernel_file(os.path.basename(file_path)) is None:
        return None  # a user's own file of the same name is not the bundled one
    return bundled_recordings().get(os.path.basename(file_path))


def recorded_date(run: lm.LabRun) -> str:
    """The run's date for a person: "23 Nov 2026" (the recorded text itself when it is not a date)."""
    try:
        when = datetime.fromisoformat(run.date)
    except (TypeError, ValueError):
        return run.date or "an unknown date"
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"  # the same words whatever the locale


def read_recorded(results_path: str, trace_path: str | None = None) -> tuple[lm.LabRun, Trace | None]:
    """A recorded run and its telemetry trace (None without ``trace_path``); RecordedRunError says why not."""
    missing = unopenable_reason(trace_path) if trace_path else None
    if missing:
        raise RecordedRunError(missing)
    try:
        run = open_lab_results(results_path)  # the door: the checks and sentence of `gpuprof export --lab-results`
    except OpenError as exc:
        raise RecordedRunError(str(exc)) from exc
    trace = None
    if trace_path:
        try:
            trace = load_trace(trace_path)
        except TraceFormatError as exc:
            raise RecordedRunError(str(exc)) from exc
    return run, trace


def recorded_run_status(run: lm.LabRun, has_trace: bool, trace_source: str | None = None, bundled: bool = False) -> str:
    """The status line over a recorded run: synthetic or recorded, file, device, date, results, telemetry."""
    kind = "SYNTHETIC data (made up, not measured)" if run.synthetic else "a recorded run"
    kind = "the example run shipped with gpuprof" if bundled else kind
    device = run.device.name or "unknown device"
    telemetry = f", telemetry from {trace_source or 'the session'}" if has_trace else ", no telemetry trace"
    return (
        f"Showing {kind}: {run.file or 'lab'} on {device}, {recorded_date(run)} — {len(run.records)} results{telemetry}"
    )
