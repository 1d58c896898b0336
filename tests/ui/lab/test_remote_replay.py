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
