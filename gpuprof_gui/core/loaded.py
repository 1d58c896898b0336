"""A profile ready for the views: the profile, its flame layout and hotspot rows, made in one place.

Before, this was assembled by hand wherever a profile reached the window (the
background loader, a replayed session, an advisor session); :func:`prepare` is
now the one way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from gpuprof_gui.core.flame import FlameLayout, layout_for_profile
from gpuprof_gui.core.gpu_columns import GpuColumns, gpu_columns
from gpuprof_gui.core.gpu_trace import GpuTrace
from gpuprof_gui.core.hotspots import hotspot_rows
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.provenance import Provenance


@dataclass(slots=True)
class LoadedProfile:
    """Everything the views need, computed off the GUI thread where it can be."""

    profile: Profile
    layout: FlameLayout
    rows: list[dict]
    path: str  # the file it was read from ("" for one from a session)
    load_s: float  # seconds spent importing and laying out
    provenance: Provenance | None = None  # where it came from, as the door found it
    gpu_trace: GpuTrace | None = None  # the run's GPU trace, when it was traced on the GPU
    gpu_telemetry_path: str = ""  # the GPU telemetry sampled during that run ("" when none)
    gpu: GpuColumns | None = None  # the trace joined to the profile's functions and lines


def prepare(
    profile: Profile,
    path: str = "",
    started: float | None = None,
    provenance: Provenance | None = None,
    gpu_trace: GpuTrace | None = None,
    gpu_telemetry_path: str = "",
) -> LoadedProfile:
    """Lay out ``profile`` for the views; ``started`` (perf_counter) counts an import done before."""
    t0 = time.perf_counter() if started is None else started
    layout = layout_for_profile(profile)
    rows = hotspot_rows(profile)
    loaded = LoadedProfile(profile, layout, rows, path, 0.0, provenance, gpu_trace, gpu_telemetry_path)
    loaded.gpu = gpu_columns(profile, gpu_trace) if gpu_trace is not None else None
    loaded.load_s = time.perf_counter() - t0
    return loaded
