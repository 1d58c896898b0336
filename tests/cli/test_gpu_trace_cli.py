"""`gpuprof profile --gpu-trace` where no GPU tracing is possible (CI, a laptop): the run is made as
usual, a note says what is missing and how to get it, and nothing claims GPU figures. The run on a
real GPU is tests/gpu/test_traced_runs.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpuprof_gui.cli.profile import KEPT_BESIDE, _keep_output
from gpuprof_gui.core.gpu_trace import gpu_trace_beside, load_gpu_trace, save_gpu_trace
from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.jobs.outcome import RunOutcome
from gpuprof_gui.protocol import GPU_TELEMETRY_SUFFIX, GPU_TRACE_SUFFIX, STACKS_SUFFIX

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "data" / "gpu" / "gputrace_heat_h200.json"

pytestmark = pytest.mark.timeout(180)


def gpuprof(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=170
    )


def _cupti_importable() -> bool:
    try:
        import cupti  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(_cupti_importable(), reason="CUPTI is here: tests/gpu/ covers the traced run")
def test_a_gpu_trace_asked_for_where_none_can_be_made_still_profiles_and_says_why(tmp_path):
    script = tmp_path / "work.py"
    script.write_text("def work():\n    return sum(i * i for i in range(200_000))\n\nprint(work())\n")
    out = tmp_path / "kept" / "run.prof"
    (tmp_path / "kept").mkdir()
    stale = Path(str(out) + GPU_TRACE_SUFFIX)
    stale.write_text("{}")  # an older run's trace at the target must not be taken for this run's
    res = gpuprof("profile", "--gpu-trace", str(script), "--output", str(out), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["status"] == "finished"
    assert any(f["name"] == "work" for f in doc["hotspots"])
    said = " ".join(doc["notes"])
    assert "The GPU was not traced" in said and "pip install cupti-python" in said
    assert doc["gpu_trace_path"] is None and "gpu" not in doc
    assert not stale.exists(), "a stale GPU trace was left beside the new profile"


def test_gpu_trace_with_another_profiler_is_a_usage_error_said_plainly(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    res = gpuprof("profile", "--gpu-trace", "--profiler", "py-spy", str(script))
    assert res.returncode == ExitStatus.USAGE
    assert "--gpu-trace runs with cProfile" in res.stderr


def _outcome(path: str) -> RunOutcome:
    return RunOutcome("finished", True, 0, None, 1.0, "Finished.", path, "cprofile")


def test_a_kept_profile_takes_its_gpu_trace_and_telemetry_along(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    src = run / "profile.prof"
    src.write_bytes(b"profile")
    save_gpu_trace(load_gpu_trace(FIXTURE), str(src) + GPU_TRACE_SUFFIX)
    Path(str(src) + GPU_TELEMETRY_SUFFIX).write_text("{}")
    target = tmp_path / "kept" / "mine.prof"
    kept, problem = _keep_output(_outcome(str(src)), str(target))
    assert problem is None and kept == str(target)
    trace, why = gpu_trace_beside(target)
    assert why == "" and trace is not None and trace.count("kernels") == 60
    assert Path(str(target) + GPU_TELEMETRY_SUFFIX).read_text() == "{}"
    assert not Path(str(src) + GPU_TRACE_SUFFIX).exists()
    assert set(KEPT_BESIDE) == {STACKS_SUFFIX, GPU_TRACE_SUFFIX, GPU_TELEMETRY_SUFFIX}


def test_keeping_an_untraced_profile_removes_an_older_trace_at_the_target(tmp_path):
    src = tmp_path / "profile.prof"
    src.write_bytes(b"profile")
    target = tmp_path / "mine.prof"
    old = Path(str(target) + GPU_TRACE_SUFFIX)
    old.write_text("{}")
    _keep_output(_outcome(str(src)), str(target))
    assert not old.exists()


def test_a_damaged_trace_beside_a_profile_is_a_sentence_not_a_crash(tmp_path):
    prof = tmp_path / "p.prof"
    Path(str(prof) + GPU_TRACE_SUFFIX).write_text('{"format": "gpuprof-gpu-trace", "version": 1, "names": 3}')
    trace, why = gpu_trace_beside(prof)
    assert trace is None
    assert why.startswith("The run's GPU trace could not be read") and "not a list" in why
    assert gpu_trace_beside(tmp_path / "none.prof") == (None, "")


def test_the_telemetry_sampler_process_says_why_it_has_nothing_and_ends(tmp_path):
    """The sampler runs in a process of its own (Python 3.12's cProfile records every thread): without
    a GPU it ends at once and the run's note says why; with one it writes its trace when told."""
    from gpuprof_gui.gpu import nvml
    from gpuprof_gui.workers.gpu_trace_run import GpuTraceRun

    run = GpuTraceRun("s.py", [], str(tmp_path / "p.prof"))
    run._start_telemetry()
    assert run.sampler is not None
    run._stop_telemetry(run.sampler)
    written = Path(str(tmp_path / "p.prof") + GPU_TELEMETRY_SUFFIX)
    if nvml.device_handle(0) is None:
        assert not written.exists()
        assert run.notes and run.notes[0].startswith("No GPU telemetry beside the trace: no GPU telemetry")
    else:
        assert written.exists() and not run.notes


def test_cuda_calls_from_a_librarys_own_threads_are_said_to_blur_a_312_profile(tmp_path, monkeypatch):
    """PyTorch launches the backward pass from its own thread; from Python 3.12 cProfile records every
    thread, so the run says the CPU profile around those calls may be out (the GPU trace is not)."""
    from gpuprof_gui.workers import gpu_trace_run

    class Traced:
        frameless_calls = 500
        trace = load_gpu_trace(FIXTURE)

        def __exit__(self, *exc):
            return None

    def stopped(sees_threads: bool) -> list[str]:
        monkeypatch.setattr(gpu_trace_run, "CPROFILE_SEES_THREADS", sees_threads)
        run = gpu_trace_run.GpuTraceRun("s.py", [], str(tmp_path / "p.prof"))
        run.tracer = Traced()
        run.stop()
        return run.notes

    notes = stopped(True)
    assert notes[0].startswith("500 CUDA calls came from threads") and "py-spy" in notes[0]
    assert notes[-1].startswith("GPU trace: 60 kernel launches")
    assert not any("CUDA calls came from threads" in n for n in stopped(False))
