"""A profile ready for the views: the profile, its flame layout and hotspot rows, made in one place.

Before, this was assembled by hand wherever a profile reached the window (the
background loader, a replayed session, an advisor session); :func:`prepare` is
now the one way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from gpuprof_gui.core.flame import FlameLayout, layout_for_profile
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


def prepare(
    profile: Profile, path: str = "", started: float | None = None, provenance: Provenance | None = None
) -> LoadedProfile:
    """Lay out ``profile`` for the views; ``started`` (perf_counter) counts an import done before."""
    t0 = time.perf_counter() if started is None else started
    layout = layout_for_profile(profile)
    rows = hotspot_rows(profile)
    return LoadedProfile(profile, layout, rows, path, time.perf_counter() - t0, provenance)
