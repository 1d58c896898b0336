"""The lab tab's Run on: a run on a GPU host through the real sshd, and its telemetry beside this computer's."""

from __future__ import annotations

from gpuprof_gui.gpu.telemetry_merge import MergedTelemetry
from gpuprof_gui.jobs.remote.remote_telemetry import RemoteTelemetry
from gpuprof_gui.ui.lab.lab_panel import LabPanel


def _wait(qtbot, panel, outcomes, timeout_ms=120_000):
    qtbot.waitUntil(lambda: bool(outcomes), timeout=timeout_ms)
    return outcomes[0]


def test_a_lab_run_on_a_host_from_the_tab(qtbot, sshd):
    panel = LabPanel()
    qtbot.addWidget(panel)
    panel.local_reason = "no GPU here"  # this computer cannot run it: the host can be chosen anyway
    panel.show()
    qtbot.waitUntil(lambda: bool(panel.candidates), timeout=60_000)
    assert not panel.run_button.isEnabled()
    panel.top_bar.host_button.set_host(sshd.alias, announce=True)
    assert panel.run_button.isEnabled() and not panel.banner.isVisible()
    assert sshd.alias in panel.status_label.text()
    # The live telemetry now follows the host too.
    assert panel.lab_telemetry.hosts == [sshd.alias]
    sampler = panel.lab_telemetry.sampler
    assert isinstance(sampler, MergedTelemetry)
    assert [label for label, _ in sampler.sources][-1] == sshd.alias
    assert isinstance(sampler.sources[-1][1], RemoteTelemetry)
    outcomes = []
    panel.run_finished.connect(outcomes.append)
    assert panel.start_run()
    assert not panel.top_bar.host_button.isEnabled()  # no other host while a run is on
    outcome = _wait(qtbot, panel, outcomes)
    assert outcome.status == "no_gpu" and outcome.message.startswith(f"on {sshd.alias}: "), outcome.message
    assert panel.top_bar.host_button.isEnabled()
    # Back to this computer: its own reason stands again, and only its telemetry is sampled.
    panel.top_bar.host_button.set_host("", announce=True)
    assert not panel.run_button.isEnabled()
    assert panel.lab_telemetry.hosts == []
    panel.shutdown()
