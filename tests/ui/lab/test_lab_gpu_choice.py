"""The lab on the GPU the user picks: Run on ▸ GPU lists the run host's GPUs, the run uses it, the plots show it.

This computer's GPUs are a fake pynvml's two (tests/gpu/fake_pynvml_support.py) read by the real
sampler; the run is the recorded one replayed by a test double (no CUDA here).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "gpu"))
from fake_pynvml_support import FakeGpu, make_fake_pynvml

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.gpu import nvml
from gpuprof_gui.ui.lab.lab_host_button import GPU_MENU, LabHostButton

RECORDED = Path(__file__).resolve().parents[3] / "resources" / "recorded" / "saxpy_h100" / "lab_results.json"


@pytest.fixture
def two_gpus(monkeypatch):
    gpus = [FakeGpu(), FakeGpu(name="NVIDIA A100-SXM4-80GB")]
    monkeypatch.setitem(sys.modules, "pynvml", make_fake_pynvml(gpus))
    nvml.reset_for_tests()
    yield
    nvml.reset_for_tests()


def _gpu_menu(button: LabHostButton):
    button.menu().aboutToShow.emit()
    (menu,) = [a.menu() for a in button.menu().actions() if a.menu() and a.text() == GPU_MENU]
    return {a.text(): a for a in menu.actions()}


class _Recorder:
    """TEST DOUBLE for run_lab: keeps the spec, answers with the recorded run at once."""

    def __init__(self) -> None:
        self.specs = []

    def __call__(self, spec, on_record=None, cancel=None, on_stderr=None):
        from gpuprof_gui.jobs.lab_runner import LabOutcome

        self.specs.append(spec)
        return LabOutcome("finished", "done", lm.load_run(str(RECORDED)))


def test_the_picked_gpu_is_the_one_the_run_uses_and_the_plots_show(two_gpus, panel, qtbot):
    if not RECORDED.is_file():
        pytest.skip("no recorded lab run bundled")
    panel.unavailable_reason = None  # as on a machine with CuPy: live telemetry, no recorded run shown
    panel.show()
    qtbot.waitUntil(lambda: panel.lab_telemetry.live, timeout=10_000)
    button = panel.top_bar.host_button
    entries = _gpu_menu(button)
    assert list(entries) == ["The default GPU (GPU 0)", "GPU 0: NVIDIA H100 80GB HBM3", "GPU 1: NVIDIA A100-SXM4-80GB"]
    entries["GPU 1: NVIDIA A100-SXM4-80GB"].trigger()
    assert button.gpu == 1 and button.text().endswith("GPU 1")
    assert _gpu_menu(button)["GPU 1: NVIDIA A100-SXM4-80GB"].isChecked()
    qtbot.waitUntil(lambda: panel.telemetry.device_combo.count() == 3, timeout=10_000)  # All GPUs, 0, 1
    recorder = _Recorder()
    panel.controller.run_fn = recorder
    qtbot.waitUntil(lambda: bool(panel.candidates), timeout=60_000)  # the default file, read in a worker
    with qtbot.waitSignal(panel.run_finished, timeout=10_000):
        assert panel.start_run()
    assert recorder.specs[-1].gpu == 1
    assert panel.telemetry.device_combo.currentText() == "GPU 1: NVIDIA A100-SXM4-80GB"  # its runs, its curves


def test_another_host_forgets_the_gpu_picked(qtbot):
    button = LabHostButton()
    qtbot.addWidget(button)
    button.set_gpu(1)
    picks = []
    button.gpu_changed.connect(picks.append)
    button.set_host("alice@lab1", announce=True)
    assert button.gpu is None and picks == [None]  # GPU numbers are a host's own
    assert not button.text().endswith("GPU 1")
