"""The telemetry a GPU host sent through SSH (recorded on an H200) replays in the lab tab, named by its host."""

from __future__ import annotations

from pathlib import Path

from gpuprof_gui.gpu.trace_io import load_trace
from gpuprof_gui.ui.lab.lab_telemetry import LabTelemetry
from gpuprof_gui.ui.lab.telemetry_view import TelemetryView

TRACE = Path(__file__).resolve().parents[2] / "data" / "remote" / "remote_telemetry_h200.json"


def test_a_hosts_recorded_telemetry_replays(qtbot):
    view = TelemetryView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    lab = LabTelemetry(view)
    lab.replay(load_trace(TRACE))
    assert "NVIDIA H200" in view.device_combo.currentText()
    assert view.devices.has_samples()
    assert view.info_label.text() == "recorded"
    view.stop()


TWO_SOURCES = TRACE.parent / "telemetry_two_sources_h200.json"


def test_a_saved_trace_of_this_computer_and_a_host_replays_with_both_labels(qtbot):
    """Saved by the lab tab on the H200 while it ran saxpy on 'gpuhost' (the same machine through SSH)."""
    view = TelemetryView()
    qtbot.addWidget(view)
    view.resize(1000, 800)
    view.show()
    trace = load_trace(TWO_SOURCES)
    LabTelemetry(view).replay(trace)
    names = [entry.label.full_text() for entry in view.legend.entries]
    assert names == ["this computer · GPU 0", "gpuhost · GPU 0"]
    assert [b["label"] for b in trace.bands][:2] == ["elementwise", "raw_naive"]
    # The same GPU seen twice, through two paths: both saw the lab's kernels load it.
    here, there = (d["series"]["gpu_util_pct"] for d in trace.devices)
    assert max(here[1]) >= 95 and max(there[1]) >= 95
    view.stop()
