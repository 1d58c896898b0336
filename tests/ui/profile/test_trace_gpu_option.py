"""The run bar's "Trace GPU": shown for cProfile runs only, carried to the worker, remembered; a
profile opened with a GPU trace beside it brings the trace along."""

from __future__ import annotations

import cProfile
import shutil
from pathlib import Path

import pytest
from window_support import run_script

from gpuprof_gui.jobs.runner import RunSpec, worker_argv
from gpuprof_gui.protocol import GPU_TELEMETRY_SUFFIX, GPU_TRACE_SUFFIX
from gpuprof_gui.ui.shell import window_state
from gpuprof_gui.ui.shell.profile_loader import load_everything

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "gpu" / "gputrace_heat_h200.json"


def test_trace_gpu_is_offered_with_cprofile_only_and_reaches_the_worker(window):
    bar = window.run_bar
    bar.set_profiler("cprofile")
    assert bar.gpu_trace_check.isVisibleTo(window)
    bar.gpu_trace_check.setChecked(True)
    assert bar.gpu_trace
    bar.set_profiler("py-spy")
    assert not bar.gpu_trace_check.isVisibleTo(window) and not bar.gpu_trace
    bar.set_gpu_trace(True)  # asking for it picks cProfile
    assert bar.profiler == "cprofile" and bar.gpu_trace
    argv = worker_argv(RunSpec(script="s.py", gpu_trace=bar.gpu_trace), 3, "/tmp/out")
    assert "--gpu-trace" in argv and argv.index("--gpu-trace") < argv.index("--")
    assert "--gpu-trace" not in worker_argv(RunSpec(script="s.py"), 3, "/tmp/out")
    window_state.save(window)
    bar.gpu_trace_check.setChecked(False)
    window_state.restore(window)
    assert bar.gpu_trace_check.isChecked()


def test_a_traced_run_where_no_gpu_can_be_traced_still_shows_its_profile_and_says_why(window, qtbot, tmp_path):
    pytest.importorskip("numpy")
    try:
        import cupti  # type: ignore[import-not-found]  # noqa: F401

        pytest.skip("CUPTI is here: the traced run is tests/gpu/test_traced_runs.py")
    except ImportError:
        pass
    script = tmp_path / "busy.py"
    script.write_text("def busy():\n    return sum(i * i for i in range(300_000))\n\nbusy()\n")
    window.run_bar.set_gpu_trace(True)
    shown = []
    window.profile_shown.connect(shown.append)
    outcome = run_script(qtbot, window, script, wait_profile=True)
    assert outcome.ok
    assert any("The GPU was not traced" in n and "cupti-python" in n for n in outcome.notes)
    assert shown and shown[-1].gpu_trace is None
    assert any(f.name == "busy" for f in shown[-1].profile.functions)


def test_opening_a_profile_opens_the_gpu_trace_and_telemetry_beside_it(tmp_path):
    prof = tmp_path / "run.prof"
    cProfile.run("sum(range(1000))", str(prof))
    loaded = load_everything(str(prof), trusted=True)
    assert loaded.gpu_trace is None and loaded.gpu_telemetry_path == ""
    shutil.copy(FIXTURE, str(prof) + GPU_TRACE_SUFFIX)
    Path(str(prof) + GPU_TELEMETRY_SUFFIX).write_text("{}")
    loaded = load_everything(str(prof), trusted=True)
    assert loaded.gpu_trace is not None and loaded.gpu_trace.count("kernels") == 60
    assert loaded.gpu_telemetry_path == str(prof) + GPU_TELEMETRY_SUFFIX
    Path(str(prof) + GPU_TRACE_SUFFIX).write_text("not json")
    loaded = load_everything(str(prof), trusted=True)
    assert loaded.gpu_trace is None
    assert any(n.startswith("The run's GPU trace could not be read") for n in loaded.profile.notes)
