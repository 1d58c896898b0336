"""The lab's telemetry: a live NVML sampler while the tab is shown, or a recorded trace, plus run bands.

Records carry ``start_mono``/``end_mono`` (``time.monotonic()`` in the worker,
the same system clock as the sampler's ``t0``) and wall times; a recorded
trace keeps only its wall ``t0``, so replayed bands are placed by wall time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QWidget

from gpuprof_gui.core.lab_model import LabRecord
from gpuprof_gui.gpu.telemetry import TelemetrySampler
from gpuprof_gui.gpu.telemetry_merge import MergedTelemetry
from gpuprof_gui.gpu.trace_io import Trace, save_trace
from gpuprof_gui.ui.lab.telemetry_view import TelemetryView

NO_GPU = "No GPU telemetry on this computer. Load a recorded run to replay its trace."
HOSTS_CHECK_MS = 500
"""While a host's sampler is connecting, its state is shown beside the rate this often."""


def record_bands(records: Sequence[LabRecord], origin: float, wall: bool) -> list[dict]:
    """Run bands on a timeline starting at ``origin``: consecutive records of one candidate form one band."""
    bands: list[dict] = []
    for rec in records:
        start, end = (rec.start_wall, rec.end_wall) if wall else (rec.start_mono, rec.end_mono)
        if start is None or end is None:
            continue
        if bands and bands[-1]["label"] == rec.candidate:
            bands[-1]["t_end"] = end - origin
            continue
        bands.append({"label": rec.candidate, "t_begin": start - origin, "t_end": end - origin})
    return bands


class LabTelemetry:
    """Owns the sampler (or the replayed trace) behind a TelemetryView."""

    def __init__(self, view: TelemetryView) -> None:
        self.view = view
        self.sampler: Any = None  # a TelemetrySampler, or a MergedTelemetry of it and GPU hosts
        self.trace: Trace | None = None
        self.replaying = False  # a recording is on screen: no live sampling until the next run
        self.hosts: list[str] = []  # GPU hosts whose telemetry is shown beside this computer's
        self.remote_python: str | None = None  # the hosts' Python for the sampler (python3 there when None)
        self._hosts_timer = QTimer(view, interval=HOSTS_CHECK_MS)
        self._hosts_timer.timeout.connect(self._show_hosts_state)
        view.rate_changed.connect(self.restart_live)

    @property
    def on_wall_clock(self) -> bool:
        """Live from hosts: the runs' bands are placed by wall time (each host has its own monotonic clock)."""
        return isinstance(self.sampler, MergedTelemetry)

    def set_hosts(self, hosts: list[str]) -> None:
        """Show these GPU hosts' telemetry (beside this computer's) from the next ``start_live``."""
        if hosts != self.hosts:
            self.hosts = list(hosts)
            self.stop_live()

    @property
    def live(self) -> bool:
        return self.sampler is not None and self.sampler.available

    def start_live(self) -> None:
        """Sample the GPUs now (a stopped sampler cannot restart: each start makes a new one)."""
        self.trace, self.replaying = None, False
        if self.sampler is not None:
            return
        if self.hosts:
            self._start_with_hosts()
            return
        self.sampler = TelemetrySampler(hz=float(self.view.rate_spin.value()))
        if self.sampler.start():
            self.view.set_source(self.sampler, live=True)
            self.view.set_info(f"live, {self.sampler.hz:g} Hz")
        else:
            self.view.set_empty_text(NO_GPU)
            self.view.set_source(None)
            # Short: a QLabel's text sets its minimum width; the panel's banner says the rest.
            self.view.set_info("no live telemetry here (no GPU)")
            self.view.info_label.setToolTip(self.sampler.reason or "")

    def _start_with_hosts(self) -> None:
        from gpuprof_gui.jobs.remote.remote_telemetry import RemoteTelemetry

        hz = float(self.view.rate_spin.value())
        local = TelemetrySampler(hz=hz)
        sources: list[tuple[str | None, Any]] = [(None, local)] if local.start() else []
        for host in self.hosts:
            remote = RemoteTelemetry(host, hz, self.remote_python)
            remote.start()
            sources.append((host, remote))
        self.sampler = MergedTelemetry(sources)
        self.view.set_empty_text(f"Connecting to {', '.join(self.hosts)} for its GPUs' telemetry…")
        self.view.set_source(self.sampler, live=True)
        self._show_hosts_state()
        self._hosts_timer.start()

    def _show_hosts_state(self) -> None:
        """ "live, 10 Hz · lab1: connecting…" until every host is live or has said why not."""
        sampler = self.sampler
        if not isinstance(sampler, MergedTelemetry):
            self._hosts_timer.stop()
            return
        words, problems = [], []
        for label, source in sampler.sources:
            state = getattr(source, "state", "live")
            if label and state == "connecting":
                words.append(f"{label}: connecting…")
            elif label and state == "failed":
                words.append(f"{label}: no telemetry")
                problems.append(str(source.reason))
        self.view.set_info(", ".join([f"live, {sampler.hz:g} Hz", *words]))
        self.view.info_label.setToolTip("\n".join(problems))
        if problems and not sampler.available:
            self.view.set_empty_text("No GPU telemetry: " + "; ".join(problems))
        if not any(getattr(s, "state", "") == "connecting" for _, s in sampler.sources):
            self._hosts_timer.stop()

    def restart_live(self, _hz: float = 0.0) -> None:
        """A new sampling rate: a new live recording at that rate (a sampler's rate is fixed)."""
        if self.sampler is not None:
            self.stop_live()
            self.start_live()

    def stop_live(self) -> None:
        self._hosts_timer.stop()
        if self.sampler is not None:
            self.view.stop()
            self.sampler.stop()
            self.sampler = None

    def replay(self, trace: Trace | None) -> None:
        """Show a recorded trace (or nothing but bands, when there is none)."""
        self.stop_live()
        self.trace, self.replaying = trace, True
        self.view.set_empty_text("" if trace is not None else "This recorded run came without a telemetry trace.")
        self.view.set_source(trace, live=False)
        self.view.follow_box.setChecked(True)
        self.view.set_info("recorded" if trace is not None else "no trace: bands on the results' own clock")

    def show_records(self, records: list[LabRecord]) -> None:
        """Draw one band per candidate run on the timeline of what is shown."""
        # Hosts: bands by wall time even before a host answers (a recorded run's then fall far in the past).
        if not self.replaying and self.sampler is not None and (self.live or self.on_wall_clock):
            on_wall = self.on_wall_clock
            bands = record_bands(records, self.sampler.t0_wall if on_wall else self.sampler.t0, wall=on_wall)
        elif self.replaying and self.trace is not None:
            bands = record_bands(records, float(self.trace.meta.get("t0_wall") or 0.0), wall=True)
            span = self.trace.duration_s
            if bands and not any(b["t_end"] >= 0 and b["t_begin"] <= span for b in bands):
                self.view.set_info("recorded; the results fall outside this trace's time span")
        else:
            starts = [r.start_wall for r in records if r.start_wall is not None]
            bands = record_bands(records, min(starts), wall=True) if starts else []
        self.view.set_extra_bands(bands)

    def save_trace(self, parent: QWidget, records: Sequence[LabRecord] = ()) -> str | None:
        """Ask where, save the live history there; the path, or None. OSError is the caller's to show."""
        if not self.live:
            return None
        path, _ = QFileDialog.getSaveFileName(
            parent, "Save telemetry trace", "telemetry.json", "Telemetry traces (*.json)"
        )
        if path:
            self.save_trace_to(path, records)
        return path or None

    def save_trace_to(self, path: str, records: Sequence[LabRecord] = ()) -> None:
        """Write the live history with one band per candidate run, so the trace alone shows the runs.

        Without a live sampler there is no history: RuntimeError.
        """
        if self.sampler is None:
            raise RuntimeError("no live telemetry to save")
        data = self.sampler.trace_dict()
        if self.on_wall_clock:
            bands = record_bands(records, float(data["t0_wall"]), wall=True)
        else:
            bands = record_bands(records, self.sampler.t0, wall=False)
        walls = record_bands(records, 0.0, wall=True)
        # Both lists come from the same records; one without wall times would shift the pairs, so
        # strict=False keeps what the two lists share.
        for band, wall in zip(bands, walls, strict=False):
            band["wall_begin"], band["wall_end"] = wall["t_begin"], wall["t_end"]
        data["bands"] = list(data.get("bands") or []) + bands
        save_trace(data, path)
