"""The lab on each GPU of the machine in turn: its timings match cupyx on that GPU, its load shows on that GPU.

On a 2-GPU machine this is issue 15's check on GPU 1; on one GPU it checks GPU 0 through the same path
(the worker sees the picked GPU alone, in PCI-bus order). Skipped cleanly without CuPy or a GPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.gpu import nvml
from gpuprof_gui.gpu.telemetry import TelemetrySampler
from gpuprof_gui.jobs.gpu_choice import visible_gpu_env
from gpuprof_gui.jobs.lab_runner import LabRunSpec, run_lab

pytestmark = pytest.mark.gpu

REPO = Path(__file__).resolve().parents[2]
MATMUL = REPO / "resources" / "examples" / "kernels" / "matmul.py"
SIZE, CANDIDATE = 4096, "raw_tiled32"  # several ms a run: launch overhead under 1% of cupyx's time
TOLERANCE = 0.03

CUPYX = """
import json, sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + "/benchmarks")
import cupy as cp
from lab_truth import cupyx_gpu_median_ms
print(json.dumps({"ms": cupyx_gpu_median_ms(cp, "matmul.py", sys.argv[2], int(sys.argv[3])),
                  "device": cp.cuda.runtime.getDeviceProperties(0)["name"].decode()}))
"""


def _gpus() -> int:
    ok, _ = nvml.nvml_available()
    return nvml.device_count() if ok else 0


@pytest.mark.parametrize("gpu", range(max(1, _gpus())))
def test_the_lab_on_a_picked_gpu_matches_cupyx_there_and_loads_that_gpu(gpu, tmp_path):
    sampler = TelemetrySampler(10)
    assert sampler.start(), sampler.reason
    try:
        outcome = run_lab(
            LabRunSpec(str(MATMUL), sizes=[SIZE], candidates=[CANDIDATE], gpu=gpu, output_dir=str(tmp_path))
        )
        time.sleep(1.5)  # the driver's utilisation samples come up to a second late
        snap = sampler.snapshot()
    finally:
        sampler.stop()
    assert outcome.status == "finished", outcome.message
    (rec,) = outcome.run.records
    assert rec.correct and outcome.run.gpu == gpu
    reference = subprocess.run(
        [sys.executable, "-c", CUPYX, str(REPO), CANDIDATE, str(SIZE)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ) | visible_gpu_env(gpu),
        check=True,
    )
    cupyx = json.loads(reference.stdout.strip().splitlines()[-1])
    assert cupyx["device"] == outcome.run.device.name == snap["devices"][gpu]["name"]
    assert abs(rec.median_ms / cupyx["ms"] - 1) <= TOLERANCE, (rec.median_ms, cupyx["ms"])
    busy = {dev["index"]: float(np.nanmax(dev["series"]["gpu_util_pct"][1], initial=0)) for dev in snap["devices"]}
    assert busy[gpu] >= 50, busy  # the run's GPU was loaded...
    if os.environ.get("GPUPROF_GPUS_IDLE"):  # ...and, on a machine nobody else uses, no other one
        assert all(load < 20 for index, load in busy.items() if index != gpu), busy
    path = os.environ.get("GPUPROF_RECORD_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        Path(path, f"lab_gpu{gpu}_vs_cupyx.json").write_text(
            json.dumps(
                {
                    "gpu": gpu,
                    "device": cupyx["device"],
                    "lab_ms": rec.median_ms,
                    "cupyx_ms": cupyx["ms"],
                    "busy_pct": busy,
                    "date": outcome.run.date,
                },
                indent=1,
            )
        )
