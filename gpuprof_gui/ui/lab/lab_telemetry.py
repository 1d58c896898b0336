"""The lab's telemetry: a live NVML sampler while the tab is shown, or a recorded trace, plus run bands.

Records carry ``start_mono``/``end_mono`` (``time.monotonic()`` in the worker,
the same system clock as the sampler's ``t0``) and wall times; a recorded
trace keeps only its wall ``t0``, so replayed bands are placed by wall time.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QFileDialog, QWidget

from gpuprof_gui.core.lab_model import LabRecord
from gpuprof_gui.gpu.telemetry import TelemetrySampler
from gpuprof_gui.gpu.trace_io import Trace, save_trace
from gpuprof_gui.ui.lab.telemetry_view import TelemetryView

NO_GPU = "No GPU telemetry on this computer. Load a recorded run to replay its trace."


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
        self.sampler: TelemetrySampler | None = None
        self.trace: Trace | None = None
        self.replaying = False  # a recording is on screen: no live sampling until the next run
        view.rate_changed.connect(self.restart_live)

    @property
    def live(self) -> bool:
        return self.sampler is not None and self.sampler.available

    def start_live(self) -> None:
        """Sample the GPUs now (a stopped sampler cannot restart: each start makes a new one)."""
        self.trace, self.replaying = None, False
        if self.sampler is not None:
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

    def restart_live(self, _hz: float = 0.0) -> None:
        """A new sampling rate: a new live recording at that rate (a sampler's rate is fixed)."""
        if self.sampler is not None:
            self.stop_live()
            self.start_live()

    def stop_live(self) -> None:
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
        if not self.replaying and self.live and self.sampler is not None:
            bands = record_bands(records, self.sampler.t0, wall=False)
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
        bands = record_bands(records, self.sampler.t0, wall=False)
        walls = record_bands(records, 0.0, wall=True)
        # Both lists come from the same records; one without wall times would shift the pairs, so
        # strict=False keeps what the two lists share.
        for band, wall in zip(bands, walls, strict=False):
            band["wall_begin"], band["wall_end"] = wall["t_begin"], wall["t_end"]
        data["bands"] = list(data.get("bands") or []) + bands
        save_trace(data, path)
