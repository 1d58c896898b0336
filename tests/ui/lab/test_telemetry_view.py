"""The telemetry plots follow a live source, keep fixed memory, and stop following only on a user's pan."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from gpuprof_gui.ui.lab.telemetry_curves import REBUILD_SLACK_S
from gpuprof_gui.ui.lab.telemetry_series import CAPACITY
from gpuprof_gui.ui.lab.telemetry_series import SampleSeries as _Series
from gpuprof_gui.ui.lab.telemetry_view import TelemetryView

METRICS = (
    "gpu_util_pct",
    "mem_util_pct",
    "power_w",
    "sm_clock_mhz",
    "mem_clock_mhz",
    "memory_used_mib",
    "temperature_c",
    "pcie_rx_mbps",
    "pcie_tx_mbps",
)


class GrowingSource:
    """A test double for TelemetrySampler: one new 10 Hz row per snapshot (synthetic values)."""

    def __init__(self) -> None:
        self.n = 0

    def snapshot(self, since=None):
        t = np.array([self.n / 10.0])
        self.n += 1
        return {
            "devices": [{"index": 0, "name": "synthetic", "series": dict.fromkeys(METRICS, (t, t * 10.0))}],
            "bands": [],
            "cursor": self.n,
        }


def test_live_view_keeps_following_the_newest_sample(qtbot):
    view = TelemetryView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    source = GrowingSource()
    view.set_source(source, live=True)
    for _ in range(900):  # 90 s of samples: more than the 60 s followed
        view.pull()
    assert view.follow_box.isChecked(), "setting data must not count as the user panning"
    # Following live, x is seconds before the newest sample over a fixed window.
    x0, x1 = view.plots[0].viewRange()[0]
    assert x0 == pytest.approx(-60, abs=1.5) and x1 == pytest.approx(0, abs=1.5)
    t, v = view.curves["power_w"].getData()
    assert t[-1] == pytest.approx(0.0) and v[-1] == pytest.approx(900.0)  # set_source pulled once too
    # Only the visible minute (and the slack a path grows by before it is rebuilt) is drawn, not the history.
    assert t[0] >= -62 - REBUILD_SLACK_S
    # The y range covers the data (power reached 899 W) instead of staying at pyqtgraph's default.
    assert view.plots[1].viewRange()[1][1] >= 899
    # A new sample moves the data, not the view (the axes keep their cached pictures).
    view.pull()
    assert view.plots[0].viewRange()[0] == pytest.approx([x0, x1])
    assert view.curves["power_w"].getData()[1][-1] == pytest.approx(901.0)
    view.stop()


def test_user_pan_stops_following(qtbot):
    view = TelemetryView()
    qtbot.addWidget(view)
    view.show()
    view.set_source(GrowingSource(), live=True)
    for _ in range(50):
        view.pull()
    view.plots[0].getViewBox().sigRangeChangedManually.emit([True, False])
    assert not view.follow_box.isChecked()
    view.stop()


def test_leaving_live_follow_keeps_the_same_stretch_of_time(qtbot):
    view = TelemetryView()
    qtbot.addWidget(view)
    view.show()
    view.set_source(GrowingSource(), live=True)
    for _ in range(900):
        view.pull()
    view.set_extra_bands([{"label": "run", "t_begin": 80.0, "t_end": 85.0}])
    rect = view._band_rects[0][1].rect()
    assert rect.x() == pytest.approx(80.0 - 90.0) and rect.width() == pytest.approx(5.0)
    view.follow_box.setChecked(False)
    x0, x1 = view.plots[0].viewRange()[0]
    assert x0 == pytest.approx(30.0, abs=1.5) and x1 == pytest.approx(90.0, abs=1.5)  # absolute now
    assert view.curves["power_w"].getData()[0][-1] == pytest.approx(90.0)
    assert view._band_rects[0][1].rect().x() == pytest.approx(80.0)
    view.stop()


def test_series_memory_is_fixed():
    series = _Series(capacity=100)
    for start in range(0, 1000, 7):
        t = np.arange(start, start + 7, dtype=float)
        series.extend(t, t)
    t, _v = series.arrays()
    assert len(t) == 100 and t[-1] == 1000  # the newest 100 of 0..1000
    assert np.all(np.diff(t) == 1.0)  # ordered, nothing lost inside the window
    assert series.t.shape == (200,)  # never grew
    assert CAPACITY == 600 * 50
