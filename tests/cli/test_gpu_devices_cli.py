"""`gpuprof devices` reports each GPU's measured device-to-device copy bandwidth (the practical ceiling)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _devices_json(*extra: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    res = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "devices", "--json", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.gpu
def test_every_gpu_has_a_measured_copy_bandwidth_below_its_theoretical_peak():
    doc = _devices_json()
    assert doc["devices"] and doc["reason"] is None
    for dev in doc["devices"]:
        copy, peak = dev["measured_copy_gbps"], dev["peak_memory_gbps"]["value"]
        assert copy["unit"] == "GB/s" and "measured" in copy["formula"]
        # A copy reaches most of the memory's theoretical bandwidth, never more than it.
        assert 0.5 * peak < copy["value"] <= 1.02 * peak, (copy, peak)


def test_no_measure_and_no_gpu_give_facts_without_a_measurement():
    doc = _devices_json("--no-measure")
    for dev in doc["devices"]:
        assert dev["measured_copy_gbps"] is None
    if not doc["devices"]:
        assert doc["reason"]  # a plain sentence saying why there are none
