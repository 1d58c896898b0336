"""The lab tab's Run on: a run on a GPU host through the real sshd, and its telemetry beside this computer's."""

from __future__ import annotations

import sys
from pathlib import Path

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


def _fake_nvml_python(tmp_path, gpus: int) -> str:
    fake = Path(__file__).resolve().parent / "fake_nvml"
    wrapper = tmp_path / f"python-{gpus}-gpus"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={fake} GPUPROF_FAKE_GPUS={gpus} exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def test_the_telemetry_shows_every_watched_hosts_gpus_labelled(qtbot, sshd, tmp_path):
    """A teacher's view: the run host and a watched host, each GPU a curve named by its host."""
    panel = LabPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.lab_telemetry.remote_python = _fake_nvml_python(tmp_path, 2)  # the "hosts" have 2 fake GPUs each
    panel.show()
    second = f"{sshd.user}@127.0.0.1:{sshd.port}"  # the same server under another name: a second host
    button = panel.top_bar.host_button
    button.set_host(sshd.alias, announce=True)
    button.set_watched([second], announce=True)
    assert panel.lab_telemetry.hosts == [sshd.alias, second]
    view = panel.telemetry
    qtbot.waitUntil(lambda: len(view.legend.entries) >= 4, timeout=90_000)
    names = [entry.label.full_text() for entry in view.legend.entries]
    assert [n for n in names if sshd.alias in n] and [n for n in names if second in n], names
    assert all(n.endswith(("GPU 0", "GPU 1")) for n in names if "@" in n or sshd.alias in n), names
    qtbot.waitUntil(lambda: "connecting" not in view.info_label.toolTip() + view.info_label.text(), timeout=30_000)
    # Unwatching the second host leaves only the run host's GPUs.
    button.set_watched([], announce=True)
    assert panel.lab_telemetry.hosts == [sshd.alias]
    qtbot.waitUntil(lambda: len(view.legend.entries) == 2, timeout=90_000)
    panel.shutdown()


def test_a_watched_host_without_telemetry_says_why_beside_the_rate(qtbot, sshd):
    panel = LabPanel()
    qtbot.addWidget(panel)
    panel.lab_telemetry.remote_python = sys.executable  # no NVML there
    panel.show()
    panel.top_bar.host_button.set_watched([sshd.alias], announce=True)
    view = panel.telemetry
    qtbot.waitUntil(lambda: f"{sshd.alias}: no telemetry" in view.info_label.text(), timeout=90_000)
    assert "no GPU telemetry" in view.info_label.toolTip()
    panel.shutdown()


def test_a_recorded_runs_bands_stay_off_the_hosts_live_timeline(qtbot, sshd, tmp_path):
    """This computer has no GPU, so the tab shows the bundled recorded run; choosing a host starts live
    telemetry there, and that old run's bands must not be drawn over the first seconds of it."""
    panel = LabPanel()
    qtbot.addWidget(panel)
    panel.local_reason = "no GPU here"
    panel.lab_telemetry.remote_python = _fake_nvml_python(tmp_path, 1)
    panel.show()
    qtbot.waitUntil(lambda: bool(panel.records), timeout=60_000)  # the bundled recording
    panel.top_bar.host_button.set_host(sshd.alias, announce=True)
    panel._update_bands()
    bands = panel.telemetry._extra_bands
    assert bands and all(b["t_end"] < -3600 for b in bands), bands[:2]  # weeks ago, not "now"
    panel.shutdown()
