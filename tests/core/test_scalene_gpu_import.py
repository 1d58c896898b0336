"""Scalene's GPU figures: asked for unless CPU only; kept per line and per function only when Scalene
sampled a GPU. The profile is a real Scalene run of the app's worker made here (no GPU on this machine:
its JSON says ``"gpu": false``); the GPU keys a GPU machine writes are then set on a copy of it.
tests/gpu/test_scalene_gpu.py is the same on a real GPU."""

from __future__ import annotations

import copy
import json

import pytest

from gpuprof_gui.core.importers.scalene_import import import_scalene
from gpuprof_gui.core.serialize import profile_from_dict, profile_to_dict
from gpuprof_gui.jobs.runner import RunSpec, run_profile
from gpuprof_gui.workers.scalene_run import scalene_command

SCRIPT = """import time


def work(seconds):
    total = 0
    t = time.perf_counter()
    while time.perf_counter() - t < seconds:
        total += sum(range(2000))
    return total


t0 = time.perf_counter()
while time.perf_counter() - t0 < 0.6:
    sum(range(2000))
print(work(1.2))
"""
WORK_LOOP = 8  # the line of work's loop body that takes the samples
MODULE_LOOP = 14


def test_scalene_is_asked_for_the_gpu_unless_the_user_chose_cpu_only():
    full = scalene_command("out.json", "s.py", ["--n", "1"], cpu_only=False)
    cpu = scalene_command("out.json", "s.py", [], cpu_only=True)
    assert full[full.index("run") :] == ["run", "-o", "out.json", "--gpu", "--memory", "s.py", "---", "--n", "1"]
    assert "--gpu" not in cpu and "--cpu-only" in cpu


@pytest.fixture(scope="module")
def scalene_json(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("scalene")
    script = tmp / "busy.py"
    script.write_text(SCRIPT)
    outcome = run_profile(RunSpec(str(script), profiler="scalene", output_dir=str(tmp / "out"), timeout_s=240))
    assert outcome.ok, outcome.message
    with open(outcome.profile_path, encoding="utf-8") as fh:
        return json.load(fh)


def _lines(profile, line):
    (by_line,) = [v for k, v in profile.lines.items() if k.endswith("busy.py")]
    return by_line.get(line)


def _function(profile, name):
    (rec,) = [r for r in profile.functions if r.name == name and r.file.endswith("busy.py")]
    return rec


def test_without_a_gpu_nothing_claims_gpu_figures(scalene_json):
    assert scalene_json["gpu"] is False  # Scalene looked (GPU mode was on) and found none
    profile = import_scalene(scalene_json)
    assert all(r.gpu_pct is None and r.gpu_mem_mb is None for r in profile.functions)
    assert all(r.gpu_pct == 0 and r.gpu_mem_mb == 0 for by in profile.lines.values() for r in by.values())


def test_gpu_utilisation_and_memory_are_kept_per_line_and_per_function(scalene_json):
    raw = copy.deepcopy(scalene_json)
    raw["gpu"], raw["gpu_device"] = True, "GPU"
    (busy,) = [v for k, v in raw["files"].items() if k.endswith("busy.py")]
    for line in busy["lines"]:
        gpu = {WORK_LOOP: (60.0, 512.0), MODULE_LOOP: (20.0, 300.0)}.get(line["lineno"], (0.0, 0.0))
        line["n_gpu_percent"], line["n_gpu_peak_memory_mb"] = gpu
    for func in busy["functions"]:
        if func["line"] == "work":  # Scalene's own summary: the lines weighed by their sampled time
            func["n_gpu_percent"], func["n_gpu_peak_memory_mb"] = 55.0, 512.0
    profile = import_scalene(raw)
    assert (_lines(profile, WORK_LOOP).gpu_pct, _lines(profile, WORK_LOOP).gpu_mem_mb) == (60.0, 512.0)
    work = _function(profile, "work")
    assert (work.gpu_pct, work.gpu_mem_mb) == (55.0, 512.0)  # the summary's, not a sum of lines
    module = _function(profile, "<module>")  # not in Scalene's summary: the mean of its lines
    module_lines = [r for ln, r in _lines_of(profile).items() if ln >= MODULE_LOOP - 1 and r.cpu_pct > 0]
    weighed = sum(r.gpu_pct * r.cpu_pct for r in module_lines) / sum(r.cpu_pct for r in module_lines)
    assert module.gpu_pct == pytest.approx(weighed) and 0 < module.gpu_pct <= 20.0 and module.gpu_mem_mb == 300.0
    again = profile_from_dict(json.loads(json.dumps(profile_to_dict(profile))))  # a session keeps them
    assert _function(again, "work").gpu_mem_mb == 512.0 and _lines(again, WORK_LOOP).gpu_mem_mb == 512.0


def _lines_of(profile):
    (by_line,) = [v for k, v in profile.lines.items() if k.endswith("busy.py")]
    return by_line
