"""Where the kernel lab runs: this computer, or a GPU host reached through SSH (the top bar's Run on).

With a host chosen, the lab's worker runs there (:func:`gpuprof_gui.jobs.lab_runner.run_lab` with
``host``), the candidate file's folder is copied there for the run, and the live telemetry shows
that host's GPUs beside this computer's, each labelled with its host.
"""

from __future__ import annotations

from typing import Any


class LabHosts:
    """Follows the top bar's host button: the panel's availability, the telemetry's hosts, a status line."""

    def __init__(self, panel: Any) -> None:  # the LabPanel (which imports this module)
        self.panel = panel
        self.button = panel.top_bar.host_button
        self.button.host_changed.connect(self.host_changed)
        self.button.watch_changed.connect(lambda _hosts: self._follow_hosts(bool(self.button.watched)))
        self.button.list_gpus = self.run_host_gpus
        self.button.gpu_changed.connect(lambda _gpu: self.show_run_gpu())

    def run_host_gpus(self) -> list[tuple[int, str]]:
        """The run host's GPUs (number there, model), as its live telemetry knows them."""
        sampler, host = self.panel.lab_telemetry.sampler, self.button.host
        sources = getattr(sampler, "sources", None)
        if sources is not None:  # several: the run host's own source
            sampler = next((s for label, s in sources if (label or None) == host), None)
        elif host:
            sampler = None  # a local sampler does not know a host's GPUs
        devices = sampler.devices() if sampler is not None and hasattr(sampler, "devices") else []
        return [(int(d["index"]), str(d.get("name") or "GPU")) for d in devices]

    def show_run_gpu(self) -> None:
        """With a GPU picked, the telemetry shows that GPU of the run host (its bands are that GPU's runs)."""
        if self.button.gpu is not None:
            self.panel.telemetry.show_gpu(self.button.host, self.button.gpu)

    def _follow_hosts(self, wanted: bool) -> None:
        """The telemetry shows the run host's and the watched hosts' GPUs (restarted when they change)."""
        panel = self.panel
        before = list(panel.lab_telemetry.hosts)
        panel.lab_telemetry.set_hosts(self.button.telemetry_hosts())
        changed = panel.lab_telemetry.hosts != before
        if changed and panel.isVisible() and (wanted or not panel.lab_telemetry.replaying):
            panel._start_live_telemetry()  # the new hosts' GPUs, live

    def host_changed(self, host: str) -> None:
        panel = self.panel
        self._follow_hosts(bool(host))
        panel._show_availability()
        if host:
            panel.set_status(
                f"The lab runs on {host} through SSH: the candidate file's folder is copied there for each run, "
                "the results come back here; its GPUs' telemetry is shown on the right."
            )
        else:
            panel.set_status("The lab runs on this computer.")
