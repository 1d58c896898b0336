"""The offload advisor on a real GPU: its prediction for the bundled pair against the measurement.

Skipped cleanly without CuPy or a GPU (conftest); run by tools/gpu_suite.py,
which sets GPUPROF_GPU_ARTIFACTS so the recorded session is kept as a fixture.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.gpu

REPO = Path(__file__).resolve().parents[2]
GPU_KEYS = ("kernel_speedup", "transfer_s", "predicted_speedup", "predicted_speedup_with_transfers", "setup_s")


def _truth_module():
    spec = importlib.util.spec_from_file_location("advisor_truth", REPO / "benchmarks" / "advisor_truth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def truth(tmp_path_factory):
    outdir = os.environ.get("GPUPROF_GPU_ARTIFACTS") or str(tmp_path_factory.mktemp("advisor"))
    result = _truth_module().measure(outdir)
    with open(os.path.join(outdir, "advisor_truth.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
    return result


def test_prediction_is_within_20_percent_of_the_measured_speedup(truth):
    ratio = truth["prediction_over_measured"]
    assert truth["measured_speedup"] > 1.2, truth  # the pair must show a real gain to predict
    assert abs(ratio - 1.0) <= 0.20, truth


def test_every_gpu_figure_is_measured(truth):
    for key in GPU_KEYS:
        assert truth[key] is not None and truth[key] > 0, (key, truth)
    assert truth["device"], truth
    assert truth["predicted_speedup_with_transfers"] < truth["predicted_speedup"] <= truth["amdahl_limit"]


def test_saved_session_replays_without_a_gpu(truth):
    from gpuprof_gui.core.advice_session import load_session

    session = load_session(truth["session"])
    assert session.lab is not None and session.lab.device.name == truth["device"]
    assert session.profile is not None and session.measured["speedup"] == pytest.approx(truth["measured_speedup"])
    assert session.advice.predicted_speedup_with_transfers == pytest.approx(truth["predicted_speedup_with_transfers"])
