"""The offload prediction checked item by item against a traced GPU run: exact arithmetic on a
hand-built run (profile + trace), and the robustness cases (no kernels, a name not found, other calls)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from advice_check_support import advice, gpu_profile, gpu_trace

from gpuprof_gui.core.advice_check import check_advice
from gpuprof_gui.core.advisor import Advice
from gpuprof_gui.core.gpu_trace import load_gpu_trace


def test_each_item_predicted_and_measured_exactly():
    check = check_advice(advice(), gpu_profile(), gpu_trace(), "gpu.py run")
    kernel, copies, startup, cpu, other = (check.item(k) for k in ("kernel", "copies", "startup", "cpu", "other"))
    # kernel: p·T/s = 0.6 × 20 / 300 = 40 ms; measured 4 calls × 2 × 10 ms = 80 ms, 8 launches
    assert kernel.predicted_s == pytest.approx(0.04) and kernel.measured_s == pytest.approx(0.08)
    assert kernel.ratio == pytest.approx(2.0) and kernel.detail["count"] == 8
    # copies: 4 × 4.5 ms, 8 MB both predicted and measured (4 × (0.5 + 4) ms)
    assert copies.predicted_s == pytest.approx(0.018) and copies.measured_s == pytest.approx(0.018)
    assert copies.detail["bytes"] == 8_000_000 and copies.detail["predicted_bytes"] == pytest.approx(8e6)
    assert copies.detail["count"] == 8
    # start-up: CuPy import 0.4 s + set-up calls + first wait 50 ms less the later 1 ms
    assert startup.detail["import_s"] == pytest.approx(0.4) and startup.detail["imported"] == ["cupy"]
    assert startup.detail["cuda_setup_s"] == pytest.approx(0.101)  # cudaGetDeviceCount 1 ms, cudaMalloc 100 ms
    assert startup.detail["first_launch_s"] == pytest.approx(0.049)
    assert startup.measured_s == pytest.approx(0.55) and startup.predicted_s == 0.3
    # CPU part: (1 − 0.6) × 20 = 8 s; measured 10 − 2 (diffuse) − 0.4 (import) = 7.6 s
    assert cpu.predicted_s == pytest.approx(8.0) and cpu.measured_s == pytest.approx(7.6)
    # not in the model: 2 − 0.08 − 0.018 − 0.1 − 0.049
    assert other.predicted_s == 0.0 and other.measured_s == pytest.approx(2.0 - 0.08 - 0.018 - 0.15)
    assert check.total.predicted_s == pytest.approx(advice().predicted_time_s)
    assert check.total.measured_s == pytest.approx(10.0)
    assert sum(i.measured_s for i in check.items) == pytest.approx(10.0)


def test_sentences_name_the_assumption_that_was_off_and_the_worst_item():
    check = check_advice(advice(), gpu_profile(), gpu_trace())
    assert check.worst == "other"  # 1.75 s that the model does not count
    assert check.verdict.startswith("Biggest contributor to the error: time the model does not count, 1.75 s more")
    assert "Kernels took 2.00× the predicted time: 20.0 ms per call (2 kernels), not the 10.0 ms" in (
        check.item("kernel").sentence
    )
    assert check.item("copies").sentence.startswith("Copies as predicted")
    assert "GPU start-up took 1.83× the lab's 300 ms: importing cupy 400 ms" in check.item("startup").sentence
    assert "(other code than diffuse" not in " ".join(check.notes)
    assert any("1 kernel (5.00 ms) came from other code than diffuse and is not counted" in n for n in check.notes)


def test_copies_at_another_bandwidth_say_so():
    slow = advice(transfer_s_per_call=0.0015, transfer_gbps=2e6 / 0.0015 / 1e9)
    copies = check_advice(slow, gpu_profile(), gpu_trace()).item("copies")
    assert copies.ratio == pytest.approx(3.0)
    assert copies.sentence == (
        "Copies took 3.00× the predicted time: they ran at 0.44 GB/s (host memory in pageable, out pageable), "
        "not the 1.33 GB/s measured in the lab (pageable)."
    )


def test_a_run_with_no_kernels_from_the_offloaded_functions_says_so():
    check = check_advice(advice(), gpu_profile(), gpu_trace(with_kernels=False))
    kernel = check.item("kernel")
    assert kernel.measured_s is None and kernel.ratio is None
    assert kernel.sentence.startswith("No kernel in the trace was launched from diffuse")


def test_a_name_missing_from_the_gpu_run_is_said_and_nothing_is_invented():
    check = check_advice(advice(), gpu_profile(name="smooth"), gpu_trace())
    assert any(n.startswith("diffuse is not in the GPU run's profile") for n in check.notes)
    assert check.item("cpu").measured_s is None and check.item("other").measured_s is None


def test_a_run_with_other_calls_compares_per_call_and_says_so():
    check = check_advice(advice(calls=12), gpu_profile(calls=4), gpu_trace(calls=4))
    assert any("called diffuse 4 times, the advised profile 12" in n for n in check.notes)
    # the prediction scaled to the GPU run's 4 calls: the same figures as above
    assert check.item("kernel").predicted_s == pytest.approx(0.04 * 4 / 12)
    assert check.item("copies").predicted_s == pytest.approx(0.018 * 4 / 12 * 3)


def test_json_and_text_carry_every_item():
    check = check_advice(advice(), gpu_profile(), gpu_trace(), "gpu.py run")
    doc = check.to_dict()
    assert [i["item"] for i in doc["items"]] == ["kernel", "copies", "startup", "cpu", "other"]
    assert doc["total"]["measured_s"] == pytest.approx(10.0) and doc["worst"] == "other"
    text = "\n".join(check.lines())
    for label in ("Kernels", "Copies", "GPU start-up", "CPU part", "Whole program"):
        assert label in text


def test_a_run_on_another_gpu_is_called_a_cross_machine_check():
    notes = check_advice(advice(device="NVIDIA H100 80GB HBM3"), gpu_profile(), gpu_trace()).notes
    assert any(n.startswith("A cross-machine check: the lab measured on NVIDIA H100 80GB HBM3") for n in notes)
    assert not any("cross-machine" in n for n in check_advice(advice(), gpu_profile(), gpu_trace()).notes)


# -- the real H200 trace of heat_gpu.py (--steps 3 --grid 1024) against the H100 advice of heat_cpu.py.
# A CROSS-MACHINE check with a trace alone (no profile of that run): another GPU and another size, so
# the ratios say nothing about the advisor; what is checked is the arithmetic on real CUPTI records.
DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_real_h200_trace_against_the_h100_advice_cross_machine():
    advice_h100 = Advice.from_dict(json.loads((DATA / "advisor" / "session_heat_h100.json").read_text())["advice"])
    trace = load_gpu_trace(DATA / "gpu" / "gputrace_heat_h200.json")
    check = check_advice(advice_h100, None, trace, "gputrace_heat_h200.json")
    m = check.measured
    assert m.calls == 3 and m.kernels == 60 and m.kernel_names == {"jacobi": 60}  # 3 steps × 20 sweeps
    assert m.kernel_s == pytest.approx(229_470e-9)
    assert m.copies == 6 and m.copy_bytes == 6 * 1024 * 1024 * 4  # a 1024² float32 field in and out, 3 times
    assert m.copy_s == pytest.approx(1_781_447e-9)
    assert m.copy_host == {"H2D": ["pinned"], "D2H": ["pageable"]}  # CuPy stages host→device through pinned memory
    assert m.cuda_setup_s == pytest.approx(0.126229799)  # the first cudaMalloc creates the context: 124 ms
    assert m.first_launch_s == pytest.approx(0.072585062)  # the jacobi kernel's compile/load before its first launch
    assert check.item("cpu").measured_s is None and check.total.measured_s is None
    # the prediction taken per call for the 3 calls the trace holds
    assert check.item("kernel").predicted_s == pytest.approx(advice_h100.time_budget_s()["kernel_s"] * 3 / 12)
    copies = check.item("copies").sentence
    assert "they moved 8.00 MiB per call, not the 32.0 MiB assumed" in copies
    notes = " ".join(check.notes)
    assert "A cross-machine check: the lab measured on NVIDIA H100 80GB HBM3, the GPU run ran on NVIDIA H200" in notes
    assert "A trace without its profile" in notes and "3 calls of diffuse are counted in the trace" in notes


def test_time_charged_beyond_the_profiled_functions_is_said_not_hidden():
    # the same run with diffuse profiled at 0.1 s: less than its 80 ms of kernels + 150 ms of start-up
    profile = gpu_profile()
    profile.functions[2].total_s = 0.1
    other = check_advice(advice(), profile, gpu_trace()).item("other")
    assert other.measured_s == pytest.approx(0.1 - 0.08 - 0.018 - 0.15)
    assert other.sentence.startswith("The profile gives diffuse 100 ms, 148 ms less than the kernels, copies")


# -- the real pair on one H200: the advice for heat_cpu.py (profile + kernel lab) against a traced run of
# heat_gpu.py at the same default size, both recorded by the app on the same machine.
RUN_H200 = DATA / "gpu" / "run_heat_gpu_h200" / "profile.prof"


def test_the_h200_advice_checked_against_the_traced_h200_run():
    from gpuprof_gui.core.advice_session import load_session
    from gpuprof_gui.core.gpu_trace import gpu_trace_beside
    from gpuprof_gui.core.importers import load_profile

    advice_h200 = load_session(str(DATA / "advisor" / "session_heat_h200.json")).advice
    trace, problem = gpu_trace_beside(RUN_H200)
    assert trace is not None and not problem
    check = check_advice(advice_h200, load_profile(str(RUN_H200), trusted=True), trace, "run_heat_gpu_h200")
    m = check.measured
    assert m.calls == 12 == advice_h200.calls and m.kernels == 240 and m.copies == 24
    assert m.copy_bytes == 12 * 2 * 2048 * 2048 * 4  # a 2048² float32 field in and out per call
    assert m.imported == ["cupy"] and m.import_s == pytest.approx(0.799, abs=5e-4)
    kernel, copies, startup = (check.item(k) for k in ("kernel", "copies", "startup"))
    assert kernel.ratio == pytest.approx(0.79, abs=0.005)  # 243 µs per call against the lab's 309 µs
    assert copies.ratio == pytest.approx(0.92, abs=0.005) and copies.sentence.startswith("Copies as predicted")
    # importing CuPy (799 ms) and the kernel's compile (249 ms) in the program's first call
    assert startup.ratio == pytest.approx(1.76, abs=0.005)
    assert check.worst == "startup" and check.verdict.startswith("Biggest contributor to the error: the GPU start-up")
    assert check.total.ratio == pytest.approx(1.18, abs=0.005)  # 2.93 s measured against 2.48 s predicted
    assert not [n for n in check.notes if "cross-machine" in n or "times, the advised" in n]
