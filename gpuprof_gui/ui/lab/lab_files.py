"""The files the kernel lab reads: bundled candidate files, recorded runs with their traces; and the sizes field.

No Qt here: the panel shows what these return, and the reasons they give, in its status line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gpuprof_gui.assets import examples_dir
from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.core.opening import OpenError, unopenable_reason
from gpuprof_gui.gpu.trace_io import Trace, TraceFormatError, load_trace
from gpuprof_gui.jobs.opening import open_lab_results

DEFAULT_KERNEL_FILE = "saxpy.py"  # the memory-bound baseline: the first thing to try


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


class RecordedRunError(Exception):
    """A recorded run or its trace could not be read; the message is one sentence for the status line."""


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


def recorded_run_status(run: lm.LabRun, has_trace: bool, trace_source: str | None = None) -> str:
    """The status line over a recorded run: synthetic or recorded, file, device, date, results, telemetry."""
    kind = "SYNTHETIC data (made up, not measured)" if run.synthetic else "a recorded run"
    device = run.device.name or "unknown device"
    telemetry = f", telemetry from {trace_source or 'the session'}" if has_trace else ", no telemetry trace"
    return (
        f"Showing {kind}: {run.file or 'lab'} on {device}, {run.date or 'date unknown'} — "
        f"{len(run.records)} results{telemetry}"
    )
