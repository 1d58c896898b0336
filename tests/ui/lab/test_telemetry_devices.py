"""The telemetry plots show every GPU of a snapshot at once: one colour and one named entry per GPU,
a host's several or a class's hosts merged; "Show" picks one; recorded multi-GPU traces replay."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication

from gpuprof_gui.gpu.trace_io import load_trace, save_trace
from gpuprof_gui.ui.lab.telemetry_curves import MAX_INTERVAL_MS, PLOT_CPU_SHARE, redraw_interval_ms
from gpuprof_gui.ui.lab.telemetry_devices import METRICS
from gpuprof_gui.ui.lab.telemetry_plots import PLOTS, curve_colours
from gpuprof_gui.ui.lab.telemetry_series import CAPACITY, SampleSeries
from gpuprof_gui.ui.lab.telemetry_view import ALL_GPUS, TelemetryView
from gpuprof_gui.ui.style.palette import LIGHT_UI, device_colour


class MultiSource:
    """A test double for TelemetrySampler or a merged source: ``n`` GPUs, one new 10 Hz row per
    snapshot (synthetic values: GPU i reads i + 1 times the row number)."""

    def __init__(self, n: int, hosts: list[str] | None = None) -> None:
        self.n, self.hosts, self.rows = n, hosts, 0

    def snapshot(self, since=None):
        t = np.array([self.rows / 10.0])
        self.rows += 1
        devices = []
        for i in range(self.n):
            dev = {"index": i, "name": f"synthetic {i}", "series": dict.fromkeys(METRICS, (t, t * (i + 1)))}
            if self.hosts:  # as MergedTelemetry writes them: every host's GPU 0
                dev.update(index=0, host=self.hosts[i], label=f"{self.hosts[i]} · GPU 0")
            devices.append(dev)
        return {"t0_monotonic": 0.0, "t0_wall": 0.0, "devices": devices, "bands": [], "cursor": self.rows}


def _view(qtbot, source, width=1024, height=768, pulls=50) -> TelemetryView:
    view = TelemetryView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    view.set_source(source, live=True)
    for _ in range(pulls):
        view.pull()
    QApplication.processEvents()
    return view


def _shown_curves(view: TelemetryView, plot: int) -> list:
    return [c for c in view.devices.layers[plot].curves if c.visible and not c.path.isEmpty()]


def test_eight_gpus_draw_eight_curves_per_metric_in_eight_colours(qtbot):
    view = _view(qtbot, MultiSource(8))
    for plot, (_title, _unit, metrics, _scale) in enumerate(PLOTS):
        curves = _shown_curves(view, plot)
        assert len(curves) == 8 * len(metrics), PLOTS[plot][0]
        solid = [c.pen.color().name() for c in curves if c.pen.style().name == "SolidLine"]
        assert sorted(solid) == sorted(device_colour(LIGHT_UI, i) for i in range(8))
    # Each GPU's own samples: GPU 7's power is 8 times GPU 0's.
    power = [view.devices.curves[(("", i), "power_w")].getData()[1][-1] for i in (0, 7)]
    assert power[1] == pytest.approx(8 * power[0])
    view.stop()


def test_the_legend_names_every_gpu_whole_and_never_covers_a_plot(qtbot):
    for width in (1024, 560):
        view = _view(qtbot, MultiSource(8), width=width)
        entries = view.legend.entries
        assert [e.label.full_text() for e in entries] == [f"GPU {i}: synthetic {i}" for i in range(8)]
        rects: list[QRect] = []
        for entry in entries:
            label = entry.label
            assert entry.isVisible() and label.width() > 0
            shown = label.text()
            assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width(), shown
            assert shown == label.full_text(), f"{shown!r} cut short at {width} px"
            rect = QRect(entry.mapTo(view, entry.rect().topLeft()), entry.size())
            assert not any(rect.intersects(r) for r in rects), "two names overlap"
            rects.append(rect)
        legend = QRect(view.legend.mapTo(view, view.legend.rect().topLeft()), view.legend.size())
        plots = QRect(view.plot_scroll.mapTo(view, view.plot_scroll.rect().topLeft()), view.plot_scroll.size())
        assert all(legend.contains(r) for r in rects) and not legend.intersects(plots)
        view.stop()


def test_one_hosts_gpus_of_one_model_are_named_by_number(qtbot):
    source = MultiSource(8)
    source.snapshot = _same_model(source.snapshot)
    view = _view(qtbot, source, width=560)
    entries = view.legend.entries
    assert [e.label.text() for e in entries] == [f"GPU {i}" for i in range(8)]  # whole, none cut short
    assert entries[3].toolTip() == "GPU 3: NVIDIA H100 80GB HBM3"
    assert view.legend.height() <= 3 * entries[0].sizeHint().height()  # a row or two, not eight
    view.stop()


def _same_model(snapshot):
    def renamed(since=None):
        snap = snapshot(since)
        for dev in snap["devices"]:
            dev["name"] = "NVIDIA H100 80GB HBM3"
        return snap

    return renamed


def test_a_long_name_is_cut_short_with_its_whole_name_in_the_tooltip(qtbot):
    source = MultiSource(2, hosts=["a-student-with-a-very-long-name@gpu-node-17.example.org", "bob@gpu2"])
    view = _view(qtbot, source, width=400)
    label = view.legend.entries[0].label
    # Cut in the middle: the host's start and "· GPU 0" (which GPU) both stay.
    assert "…" in label.text() and label.text().endswith("· GPU 0") and label.text().startswith("a-student")
    assert label.toolTip() == label.full_text()
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    view.stop()


def test_one_gpu_looks_as_it_always_did(qtbot):
    view = _view(qtbot, MultiSource(1))
    assert not view.legend.isVisible()
    assert [view.device_combo.itemText(i) for i in range(view.device_combo.count())] == ["GPU 0: synthetic 0"]
    blue, orange = curve_colours(LIGHT_UI)
    assert view.curves["gpu_util_pct"].pen.color().name() == blue
    assert view.curves["mem_util_pct"].pen.color().name() == orange
    assert f"color:{orange}" in view.plots[0].titleLabel.text  # the title names the curves by colour
    view.set_presentation(True)  # restyles an empty legend
    assert not view.legend.isVisible()
    view.set_presentation(False)
    view.stop()


def test_show_picks_one_gpu_and_all_again(qtbot):
    source = MultiSource(8)
    view = _view(qtbot, source)
    combo = view.device_combo
    assert combo.currentText() == ALL_GPUS and combo.count() == 9
    combo.setCurrentIndex(4)  # GPU 3
    assert combo.currentText() == "GPU 3: synthetic 3"
    assert not view.legend.isVisible()
    curves = _shown_curves(view, 1)
    assert len(curves) == 1 and curves[0] is view.devices.curves[(("", 3), "power_w")]
    assert curves[0].getData()[1][-1] == pytest.approx(4 * (source.rows - 1) / 10)  # GPU 3's own samples
    assert view.curves["gpu_util_pct"].pen.color().name() == curve_colours(LIGHT_UI)[0]
    view.pull()  # new samples keep the choice
    assert combo.currentText() == "GPU 3: synthetic 3" and len(_shown_curves(view, 1)) == 1
    combo.setCurrentIndex(0)
    assert len(_shown_curves(view, 1)) == 8 and view.legend.isVisible()
    assert "╍" in view.plots[0].titleLabel.text  # several GPUs: the title names the curves by line
    view.stop()


def test_merged_hosts_are_told_apart_by_their_labels(qtbot):
    view = _view(qtbot, MultiSource(2, hosts=["alice@gpu1", "bob@gpu2"]))
    names = [e.label.full_text() for e in view.legend.entries]
    assert names == ["alice@gpu1 · GPU 0", "bob@gpu2 · GPU 0"]  # both GPU 0, on two hosts: two curves
    items = [view.device_combo.itemText(i) for i in range(view.device_combo.count())]
    assert items == [ALL_GPUS, *names]
    assert len(_shown_curves(view, 1)) == 2
    view.stop()


def test_a_gpu_that_joins_later_gets_its_curves_and_entry(qtbot):
    source = MultiSource(1)
    view = _view(qtbot, source, pulls=5)
    assert view.device_combo.count() == 1
    source.n = 3
    for _ in range(3):  # a line needs two points
        view.pull()
    assert view.device_combo.count() == 4 and len(view.legend.entries) == 3
    assert len(_shown_curves(view, 1)) == 3
    view.stop()


def test_a_recorded_trace_of_two_gpus_replays(qtbot, tmp_path):
    t = np.arange(0.0, 30.0, 0.1)
    devices = [
        {"index": i, "name": f"synthetic {i}", "series": {m: (t, np.full_like(t, 10.0 * (i + 1))) for m in METRICS}}
        for i in range(2)
    ]
    band = {"label": "saxpy", "t_begin": 5.0, "t_end": 9.0, "wall_begin": None, "wall_end": None}
    data = {"synthetic": True, "note": "test input", "t0_wall": 1.0, "devices": devices, "bands": [band]}
    save_trace(data, tmp_path / "two.json")
    view = TelemetryView()
    qtbot.addWidget(view)
    view.resize(1024, 768)
    view.show()
    view.set_source(load_trace(tmp_path / "two.json"), live=False)
    assert [e.label.full_text() for e in view.legend.entries] == ["GPU 0: synthetic 0", "GPU 1: synthetic 1"]
    for plot in range(len(PLOTS)):
        assert len(_shown_curves(view, plot)) == 2 * len(PLOTS[plot][2])
    power = view.devices.curves[(("", 1), "power_w")].getData()
    assert power[0][-1] == pytest.approx(29.9) and power[1][-1] == pytest.approx(20.0)
    assert view.band_count() == 1 and len(view._band_rects) == len(PLOTS)  # the run spans every plot


def test_following_live_sets_the_time_axis_label_once(qtbot):
    """Defect: the time axis label was set again on every pull, re-rendering the axis (2 ms a tick)."""
    view = _view(qtbot, MultiSource(1), pulls=2)
    axis = view.plots[-1].getAxis("bottom")
    calls = []
    original = axis.setLabel
    axis.setLabel = lambda *a, **k: (calls.append(a), original(*a, **k))
    for _ in range(20):
        view.pull()
    assert len(calls) == 0
    assert axis.labelText == "seconds before now"
    view.stop()


def test_series_memory_grows_with_the_samples():
    """Defect: every series held 2 x 30,000 points from the start: 77 MB for eight GPUs' ten metrics."""
    series = SampleSeries()
    assert series.t.nbytes < 0.1 * 2 * CAPACITY * 8
    t = np.arange(3 * CAPACITY, dtype=float)
    for start in range(0, len(t), 997):
        series.extend(t[start : start + 997], t[start : start + 997])
    got, _v = series.arrays()
    assert len(got) == CAPACITY and got[-1] == t[-1] and np.all(np.diff(got) == 1.0)
    assert series.t.shape == (2 * CAPACITY,)


def test_costly_frames_come_less_often_but_at_least_once_a_second():
    assert redraw_interval_ms(0.004, 100) == 100  # one GPU: every sample as it comes
    assert redraw_interval_ms(0.012, 100) == pytest.approx(0.012 / PLOT_CPU_SHARE * 1000, abs=1)
    assert redraw_interval_ms(5.0, 100) == MAX_INTERVAL_MS
