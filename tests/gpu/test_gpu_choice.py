"""Picking a GPU: the worker sees only that one, numbered as NVML numbers them; a missing one is a sentence.

Against the fake pynvml (no GPU needed); the lab on a picked GPU of a real machine is in
tests/gpu/test_lab_gpu.py (``--gpu``) and, on a 2-GPU machine, checked against cupyx on GPU 1.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from fake_pynvml_support import FakeGpu, make_fake_pynvml

from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.gpu import nvml
from gpuprof_gui.jobs import lab_runner
from gpuprof_gui.jobs.gpu_choice import gpu_missing_reason, visible_gpu_env
from gpuprof_gui.jobs.lab_runner import LabRunSpec, run_lab


@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", make_fake_pynvml([FakeGpu(), FakeGpu(name="NVIDIA A100-SXM4-80GB")]))
    nvml.reset_for_tests()
    yield
    nvml.reset_for_tests()


def test_the_worker_sees_the_picked_gpu_alone_in_nvml_order():
    assert visible_gpu_env(None) == {}
    assert visible_gpu_env(1) == {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": "1"}


def test_a_gpu_the_machine_lacks_is_named_with_what_it_has(two_gpus):
    assert gpu_missing_reason(1) is None
    assert (
        gpu_missing_reason(2) == "there is no GPU 2 here: this computer has 2 GPUs, 0 to 1 (gpuprof devices lists them)"
    )


def test_the_lab_refuses_a_missing_gpu_before_starting_a_worker(two_gpus, monkeypatch, tmp_path):
    monkeypatch.setattr(lab_runner, "cupy_missing_reason", lambda: None)
    monkeypatch.setattr(lab_runner, "supervise", lambda *a, **k: pytest.fail("no worker for a GPU that is not there"))
    outcome = run_lab(LabRunSpec("saxpy.py", gpu=5, output_dir=str(tmp_path)))
    assert outcome.status == "error" and outcome.message.startswith("There is no GPU 5 here: this computer has 2 GPUs")


def test_two_lab_runs_on_two_gpus_proceed_at_once_each_in_its_own_worker(two_gpus, monkeypatch, tmp_path):
    """Each run's workers get their own GPU, and neither waits for the other."""
    monkeypatch.setattr(lab_runner, "cupy_missing_reason", lambda: None)
    monkeypatch.setattr(
        lab_runner,
        "describe_file",
        lambda path, **_where: {"problem": {"default_sizes": [64]}, "candidates": [{"name": "c", "kind": "cupy"}]},
    )
    inside: list[tuple[str, float, float]] = []
    both_running = threading.Barrier(2, timeout=30)

    def worker(argv_for_fd, tracker, *, env, **_kw):
        start = time.monotonic()
        both_running.wait()  # a run that waited for the other would time out here
        inside.append((env["CUDA_VISIBLE_DEVICES"], start, time.monotonic()))
        tracker.feed({"type": "result", "status": "ok"})
        return tracker.finish(0)

    monkeypatch.setattr(lab_runner, "supervise", worker)
    outcomes = {}

    def run(gpu: int) -> None:
        outcomes[gpu] = run_lab(LabRunSpec("saxpy.py", gpu=gpu, output_dir=str(tmp_path / str(gpu))))

    threads = [threading.Thread(target=run, args=(gpu,)) for gpu in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(gpu for gpu, _s, _e in inside) == ["0", "1"]
    assert {gpu: o.run.gpu for gpu, o in outcomes.items()} == {0: 0, 1: 1}  # saved with the results


def test_cli_gpu_must_be_a_gpu_number():
    done = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "kernels", "x.py", "--gpu", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitStatus.USAGE and "is not a GPU number" in done.stderr
