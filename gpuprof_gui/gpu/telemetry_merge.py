"""Several telemetry sources seen as one: every GPU of every host, on one time axis, labelled.

A teacher follows the class's GPU hosts at once; a workstation has several GPUs. The plots
read one snapshot; :class:`MergedTelemetry` makes it from its sources' snapshots (a local
:class:`~gpuprof_gui.gpu.telemetry.TelemetrySampler`, remote hosts' mirrors, anything with
``snapshot(since)``, ``t0_wall``, ``hz``). Each GPU gets a position of its own as its
``index`` (two hosts both have a GPU 0), keeps its own as ``host_index``, and is named by
``label`` (``"alice@lab1 · GPU 0"``) and ``host``. Times are put on this object's clock
through each source's wall-clock start, so samples taken at the same moment line up.
"""

from __future__ import annotations

import time
from typing import Any

LOCAL_LABEL = "this computer"


class MergedTelemetry:
    """``snapshot(since)`` of all ``sources``, given as ``(host label or None for this computer, source)``."""

    def __init__(self, sources: list[tuple[str | None, Any]]) -> None:
        self.sources = list(sources)
        self.t0 = time.monotonic()
        self.t0_wall = time.time()
        # The earliest start of a source: a remote one only learns its host's start later, after this.
        earliest = min((float(s.t0_wall) for _, s in self.sources if s.t0_wall), default=self.t0_wall)
        if earliest < self.t0_wall:
            self.t0 -= self.t0_wall - earliest
            self.t0_wall = earliest
        self._positions: dict[tuple[int, int], int] = {}  # (source, its GPU index) -> merged index

    @property
    def hz(self) -> float:
        return max((float(s.hz) for _, s in self.sources), default=0.0)

    @property
    def available(self) -> bool:
        return any(s.available for _, s in self.sources)

    @property
    def reason(self) -> str | None:
        """Why sources show nothing, one sentence per source that says so."""
        reasons = [f"{label or LOCAL_LABEL}: {s.reason}" for label, s in self.sources if s.reason]
        return "; ".join(reasons) or None

    def start(self) -> bool:
        started = [source.start() for _, source in self.sources]  # every one, not only up to the first
        return any(started)

    def stop(self) -> None:
        for _, source in self.sources:
            source.stop()

    def _position(self, source: int, index: int) -> int:
        key = (source, index)
        if key not in self._positions:
            self._positions[key] = len(self._positions)
        return self._positions[key]

    def snapshot(self, since: Any = None) -> dict[str, Any]:
        """The sources' snapshots as one; ``since`` is this object's previous ``cursor`` (or None)."""
        parts = since.get("parts") if isinstance(since, dict) else None
        devices: list[dict[str, Any]] = []
        bands: list[dict[str, Any]] = []
        cursors = []
        labelled = len(self.sources) > 1 or any(label for label, _ in self.sources)
        for number, (label, source) in enumerate(self.sources):
            snap = source.snapshot(parts[number] if parts and number < len(parts) else None)
            cursors.append(snap.get("cursor"))
            shift = float(snap.get("t0_wall") or self.t0_wall) - self.t0_wall
            for dev in snap.get("devices", []):
                own = int(dev.get("index", 0))
                series = {m: (t + shift, v) for m, (t, v) in dev.get("series", {}).items()}
                merged = {**dev, "index": self._position(number, own), "host_index": own, "series": series}
                if labelled:
                    merged["host"] = label or LOCAL_LABEL
                    merged["label"] = f"{label or LOCAL_LABEL} · GPU {own}"
                devices.append(merged)
            for band in snap.get("bands", []):
                end = band.get("t_end")
                bands.append(
                    {**band, "t_begin": band["t_begin"] + shift, "t_end": None if end is None else end + shift}
                )
        devices.sort(key=lambda d: d["index"])
        return {
            "t0_monotonic": self.t0,
            "t0_wall": self.t0_wall,
            "devices": devices,
            "bands": bands,
            "cursor": {"parts": cursors},
        }

    def trace_dict(self) -> dict[str, Any]:
        """One trace of every source's GPUs (see trace_io), each GPU naming its host."""
        snap = self.snapshot()
        hosts = [label or LOCAL_LABEL for label, _ in self.sources]
        drivers = list(dict.fromkeys(str(d) for _, s in self.sources if (d := getattr(s, "driver_version", None))))
        # A host whose clock is behind this one's puts its first samples before 0: a trace starts at 0.
        starts = [float(t[0]) for d in snap["devices"] for t, _v in d["series"].values() if len(t)]
        starts += [b["t_begin"] for b in snap["bands"]]
        early = min(0.0, *starts) if starts else 0.0
        devices = [{**d, "series": {m: (t - early, v) for m, (t, v) in d["series"].items()}} for d in snap["devices"]]
        bands = [
            {**b, "t_begin": b["t_begin"] - early, "t_end": None if b["t_end"] is None else b["t_end"] - early}
            for b in snap["bands"]
        ]
        return {
            "synthetic": False,
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.t0_wall + early)),
            "host": ", ".join(hosts),
            "driver_version": ", ".join(drivers) or None,
            "sample_hz": self.hz,
            "t0_wall": self.t0_wall + early,
            "t0_monotonic": self.t0 + early,
            "devices": devices,
            "bands": bands,
        }
