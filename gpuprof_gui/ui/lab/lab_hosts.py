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
