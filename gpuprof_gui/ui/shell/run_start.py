"""What the Run button starts: the RunSpec from the run bar, and the status line that says where it runs."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from gpuprof_gui.jobs.runner import RunSpec

if TYPE_CHECKING:
    from gpuprof_gui.ui.profile.run_bar import RunBar


def run_spec(bar: RunBar, script: str, args: list[str], out_dir: str) -> RunSpec:
    """The run bar's choices for ``script``; on a host, its python3 (the local Python choice does not apply)."""
    host = bar.host_button.host
    return RunSpec(
        script=script,
        args=args,
        profiler=bar.profiler,
        pyspy_native=bar.native,
        gpu_trace=bar.gpu_trace,
        cwd=os.path.dirname(script) if os.path.isdir(os.path.dirname(script)) else None,
        timeout_s=bar.timeout_s,
        output_dir=out_dir,
        python=None if host else bar.python_button.python_for_run(),
        host=host,
    )


def running_text(bar: RunBar, script: str, spec: RunSpec) -> str:
    """The status line while it runs: the script, the profiler, and where (a host, or another Python)."""
    if spec.host:
        under = f" on {spec.host} (SSH)"
    else:
        python = bar.python_button.interpreter()
        under = "" if python.is_app else f" in {python.path} ({python.reason})"
    return f"Running {os.path.basename(script)} under {bar.profiler_combo.currentText()}{under}…"
