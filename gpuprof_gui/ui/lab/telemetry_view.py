"""Scrolling GPU telemetry plots (pyqtgraph), live from a sampler or replayed from a trace.

The view pulls only the rows that are new since its last pull (the sampler's
cursor), appends them to fixed-size arrays, and redraws only when something
arrived; the x range follows the newest sample unless the user pans away.
Each candidate run is a labelled band across every plot. Every GPU of the
snapshot is drawn at once, one colour each and named in a row above the plots,
or one GPU chosen in "Show" (telemetry_devices).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gpuprof_gui.gpu.telemetry import DEFAULT_HZ, MAX_HZ
from gpuprof_gui.gpu.telemetry_merge import LOCAL_LABEL
from gpuprof_gui.ui.lab.telemetry_bands import BandRect, RunBands
from gpuprof_gui.ui.lab.telemetry_curves import Curve, TimedGraphics, redraw_interval_ms
from gpuprof_gui.ui.lab.telemetry_devices import METRICS, DeviceCurves, DeviceKey, device_key
from gpuprof_gui.ui.lab.telemetry_legend import DeviceLegend
from gpuprof_gui.ui.lab.telemetry_plots import (
    LAYOUT_MARGINS_PX,
    LEFT_AXIS_PX,
    PLOTS,
    build_plots,
    fit_titles,
    least_stack_height,
    restyle_plots,
    scrolling,
    set_two_y_ticks,
)
from gpuprof_gui.ui.lab.telemetry_series import TelemetrySource
from gpuprof_gui.ui.style.elided_label import ElidedLabel
from gpuprof_gui.ui.style.palette import (
    LIGHT_UI,
    current_theme_colours,
)
from gpuprof_gui.ui.style.theme import PRESENTATION_PEN_PX, set_view_font, style_plot

PULL_INTERVAL_MS = 100
"""Pull new samples at 10 Hz: the sampler's default rate; faster pulls would mostly find nothing.
Less often while a frame costs more than the plots' share of a core (_pace)."""
FRAME_SMOOTHING = 0.8
"""A frame's cost is averaged over the last ~5 frames: one slow paint does not halve the frame rate."""
FOLLOW_WINDOW_S = 60.0
"""Seconds shown while following the live edge."""
Y_HEADROOM = 1.25
"""The y range is set 25% above the highest value, so small rises don't move the axis."""
Y_SHRINK_BELOW = 0.4
"""...and shrinks only once everything shown is below 40% of it."""
NO_DATA = "No GPU telemetry yet: it is sampled while this tab shows a GPU, or replayed from a recorded run."
DEVICE_NAME_CHARS = 10
"""The GPU selector is at least this many characters wide; a longer name is elided in it."""
ALL_GPUS = "All GPUs"


class TelemetryView(QWidget):
    """Stacked, x-linked telemetry plots of every GPU (or one chosen), with run bands."""

    rate_changed = Signal(float)
    """The user chose another sampling rate (Hz) for live telemetry."""
    redrawn = Signal()
    """The curves were updated with new samples (for tests and benchmarks)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source: TelemetrySource | None = None
        self._cursor: Any = None
        self._combo_keys: list[DeviceKey | None] = []  # what each entry of "Show" shows (None: all)
        self._bands: list[dict[str, Any]] = []
        self._extra_bands: list[dict[str, Any]] = []  # placed by the caller (lab records), kept across sources
        self._latest_t = 0.0
        self.redraws = 0
        self._setting_range = False
        self._drawn_offset = 0.0  # x origin the curves and bands were last drawn with
        self._x_range_set: tuple[float, float] | None = None
        self._x_label: tuple[str, str | None] = ("time", "s")  # build_plots' time axis
        # Cosmetic 1-px pens: Qt's raster engine strokes wider pens ~10x slower,
        # which alone cost more than the 10%-of-a-core budget at 10 Hz.
        self.pen_width = 1
        self._timer = QTimer(self, interval=PULL_INTERVAL_MS)
        self._frame_s = 0.0  # CPU seconds a frame takes (pull + paint), smoothed
        self.paced = True  # False: every PULL_INTERVAL_MS whatever it costs (benchmarks)
        self._timer.timeout.connect(self.pull)

        self.device_combo = QComboBox()
        # A GPU's long name must not widen the lab past a small screen: the list shows it whole.
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.setMinimumContentsLength(DEVICE_NAME_CHARS)
        self.device_combo.currentIndexChanged.connect(self._on_device_changed)
        self.follow_box = QCheckBox("Follow live")
        self.follow_box.setChecked(True)
        self.follow_box.toggled.connect(self._on_follow_toggled)
        self.info_label = ElidedLabel("")  # takes the room that is left; the tooltip says it all
        self.rate_spin = QSpinBox()
        self.rate_spin.setRange(1, int(MAX_HZ))
        self.rate_spin.setValue(int(DEFAULT_HZ))
        self.rate_spin.setSuffix(" Hz")
        self.rate_spin.setToolTip("Live sampling rate (NVML). Changing it starts a new recording.")
        self.rate_spin.editingFinished.connect(self._on_rate_edited)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.device_combo, 3)
        top.addWidget(self.follow_box)
        top.addWidget(self.rate_spin)
        top.addWidget(self.info_label, 1)

        self.graphics = TimedGraphics()
        self.graphics.setBackground(LIGHT_UI.plot_background)
        self._few_ticks = False  # presentation: two y ticks, as 20 pt labels overlap on a short plot
        self.plots = build_plots(self.graphics)
        self.devices = DeviceCurves(self.plots)
        self._host_gpu: dict[DeviceKey, tuple[str | None, int]] = {}  # each GPU's host and number there
        self.bands = RunBands(self.plots)
        self.legend = DeviceLegend()
        self._colours, self._presentation = LIGHT_UI, False
        self.graphics.installEventFilter(self)  # titles are fitted to its width before it lays the plots out
        for plot in self.plots:
            # Only a mouse pan/zoom stops following (not the view's own range changes).
            plot.getViewBox().sigRangeChangedManually.connect(self._on_user_range)
            plot.getViewBox().sigResized.connect(self._on_plot_resized)
        top_view = self.plots[0].getViewBox()
        top_view.sigResized.connect(self._place_band_labels)  # names are fitted to pixels
        top_view.sigXRangeChanged.connect(self._place_band_labels)

        self.empty_label = QLabel(NO_DATA)  # in place of six empty plots, while there is nothing to plot
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setMinimumWidth(1)  # wraps to the width it gets: asks for none
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.legend)
        self.plot_scroll = scrolling(self.graphics)
        self.graphics.setMinimumHeight(least_stack_height(False))
        box.addWidget(self.plot_scroll, 1)
        box.addWidget(self.empty_label, 1)
        self._show_empty()

    # -- sources ---------------------------------------------------------------------------
    def set_source(self, source: TelemetrySource | None, live: bool = True) -> None:
        """Show ``source`` (a TelemetrySampler, or a loaded Trace for replay)."""
        self._timer.stop()
        self._source = source
        self._cursor = None
        self._host_gpu.clear()
        self.devices.clear()
        self._bands = []
        self._latest_t = 0.0
        self._sync_devices()
        if source is None:
            self._redraw()
            return
        self.follow_box.setChecked(live)
        self.pull()
        self._frame_s = 0.0  # that pull took the whole history so far: no measure of a frame
        self._timer.setInterval(PULL_INTERVAL_MS)
        if live:
            self._timer.start()
        else:
            self._apply_x_range()

    def stop(self) -> None:
        self._timer.stop()

    def pull(self) -> None:
        """Fetch what is new since the last pull; redraw only if something came."""
        if self._source is None:
            return
        start = time.perf_counter()
        snap = self._source.snapshot(self._cursor)
        self._cursor = snap.get("cursor")
        changed, latest, added = self.devices.extend(snap.get("devices", []))
        self._latest_t = max(self._latest_t, latest)
        if added:  # a GPU (or a host) came, or was renamed
            for dev in snap.get("devices", []):  # the host's own number of each GPU (merged sources renumber)
                self._host_gpu[device_key(dev)] = (dev.get("host"), int(dev.get("host_index", dev.get("index", 0))))
            self._sync_devices()
            changed.update(METRICS)
        bands = snap.get("bands", [])
        if bands != self._bands:
            self._bands = [dict(b) for b in bands]
            self._draw_bands()
            changed.update(METRICS)
        if changed:
            self._redraw(changed)
            self._pace(time.perf_counter() - start + self.graphics.paint_s)

    def _pace(self, frame_s: float) -> None:
        """Pull less often while a frame costs more than the plots' share of a core (redraw_interval_ms)."""
        self._frame_s = FRAME_SMOOTHING * self._frame_s + (1.0 - FRAME_SMOOTHING) * frame_s
        interval = redraw_interval_ms(self._frame_s, PULL_INTERVAL_MS) if self.paced else PULL_INTERVAL_MS
        if abs(interval - self._timer.interval()) > 0.1 * self._timer.interval():
            self._timer.setInterval(interval)

    # -- drawing ---------------------------------------------------------------------------
    def _redraw(self, changed: set[str] | None = None) -> None:
        """Bring the curves of ``changed`` metrics up to date (all, drawn anew, when None); follow the live edge.

        Following live, x is "seconds before the newest sample" over a fixed range: the
        view range, axes and run bands then stay put and only the curves move (their
        layer's position, see telemetry_curves). A range that scrolled every tick
        re-rendered every axis and re-ran pyqtgraph's per-item range bookkeeping.
        """
        offset = self._x_offset()
        rebuild = changed is None or bool(offset) != bool(self._drawn_offset)  # live <-> absolute: other spans
        lo_t = self._latest_t - FOLLOW_WINDOW_S - 1.0 if offset else -np.inf
        for plot, (_title, _unit, metrics, _scale) in zip(self.plots, PLOTS, strict=True):
            if not rebuild and changed is not None and not changed.intersection(metrics):
                continue  # e.g. utilisation: the driver's samples come once a second
            self._fit_y(plot, max(self.devices.draw(metric, lo_t, rebuild) for metric in metrics))
        self.devices.place(offset)
        moved = offset != self._drawn_offset
        self._drawn_offset = offset
        if offset or moved:
            self.bands.place(offset, self._latest_t)
        self._apply_x_range()
        self._show_empty()
        self.redraws += 1
        self.redrawn.emit()

    def has_data(self) -> bool:
        """Whether there is anything to plot: samples, or run bands on their own clock."""
        return bool(self._extra_bands or self._bands) or self.devices.has_samples()

    def _show_empty(self) -> None:
        """A sentence in place of the plots while they would only show empty 0–1 axes."""
        empty = not self.has_data()
        self.empty_label.setVisible(empty)
        self.plot_scroll.setVisible(not empty)

    def set_empty_text(self, text: str) -> None:
        """What the view says while it has nothing to plot (why, and what to do)."""
        self.empty_label.setText(text or NO_DATA)

    def _x_offset(self) -> float:
        """The time shown as x = 0: the newest sample while following live, else t0 (absolute)."""
        return self._latest_t if self._following_live() else 0.0

    def _following_live(self) -> bool:
        return self._timer.isActive() and self.follow_box.isChecked()

    def _fit_y(self, plot, top: float) -> None:
        """Grow the y range in steps, shrink it only when the data fell well below it.

        A range that follows every sample re-renders the axis on every tick; a
        stepped one keeps the axis picture cached (a third of a redraw's cost).
        """
        current = plot.viewRange()[1][1]
        if top <= 0:
            top = 1.0
        if top > current or top < Y_SHRINK_BELOW * current:
            plot.setYRange(0.0, top * Y_HEADROOM, padding=0)
            self._set_y_ticks(plot)
            self.bands.fit_heights(self.plots.index(plot))
            if plot is self.plots[0]:
                self._place_band_labels()

    def _on_plot_resized(self, *_args: object) -> None:
        """Whether a plot has room for two y tick labels depends on its height (set_two_y_ticks)."""
        if self._few_ticks:
            for plot in self.plots:
                set_two_y_ticks(plot)

    def _set_y_ticks(self, plot: pg.PlotItem) -> None:
        """On a projector, two y ticks (see set_two_y_ticks); at the desk, pyqtgraph's own."""
        if self._few_ticks:
            set_two_y_ticks(plot)

    def _draw_bands(self) -> None:
        # Bands from the caller (the lab's records) describe the same runs a saved
        # trace's own bands do: draw one set, never both.
        self.bands.draw(self._extra_bands or self._bands, self._drawn_offset, self._latest_t)

    def _place_band_labels(self, *_args: object) -> None:
        self.bands.place_labels(self._drawn_offset, self._latest_t)

    @property
    def _band_items(self) -> list[tuple[int, Any]]:
        return self.bands.items

    @property
    def _band_rects(self) -> list[BandRect]:
        return self.bands.rects

    def set_extra_bands(self, bands: list[dict[str, Any]]) -> None:
        """Bands besides the source's own, on this view's timeline (s since the source's t0).

        Each is ``{"label", "t_begin", "t_end"}``; a ``label_pos`` (from older traces) is not used:
        the view places the names itself, for the pixels it has.
        """
        self._extra_bands = [dict(b) for b in bands]
        self._draw_bands()
        self._apply_x_range()
        self._show_empty()

    def band_count(self) -> int:
        return len(self._extra_bands or self._bands)

    def _apply_x_range(self, *_args) -> None:
        if not self.follow_box.isChecked():
            return
        if self._following_live():
            left, right = -FOLLOW_WINDOW_S, 0.0
            axis: tuple[str, str | None] = ("seconds before now", None)
        else:
            right = max([self._latest_t] + [float(b["t_end"]) for b in self._extra_bands if b.get("t_end") is not None])
            left = 0.0
            axis = ("time", "s")
        if axis != self._x_label:  # a label set again re-renders the axis (2 ms a tick)
            self._x_label = axis
            self.plots[-1].setLabel("bottom", axis[0], units=axis[1])
        if (left, right) == self._x_range_set:
            return  # unchanged: leave the axes' cached pictures alone
        self._x_range_set = (left, right)
        self._setting_range = True
        try:
            self.plots[0].setXRange(left, max(right, left + 1.0), padding=0.01)
        finally:
            self._setting_range = False

    def _on_follow_toggled(self, on: bool) -> None:
        """Leaving live-follow keeps the same stretch of time on screen, in absolute seconds."""
        if not on and self._drawn_offset:
            (x0, x1), shift = self.plots[0].viewRange()[0], self._drawn_offset
            self._redraw()
            self._setting_range = True
            try:
                self.plots[0].setXRange(x0 + shift, x1 + shift, padding=0)
            finally:
                self._setting_range = False
        else:
            self._redraw()
        self._x_range_set = None

    def _on_user_range(self, *_args) -> None:
        if not self._setting_range and self._timer.isActive():
            self.follow_box.setChecked(False)  # the user panned or zoomed: stop following

    @property
    def curves(self) -> dict[str, Curve]:
        """The first GPU shown's curve per metric (the only one's, when one GPU is shown)."""
        return self.devices.first_curves()

    def _sync_devices(self) -> None:
        """Show's list: All GPUs (when there are several) and each GPU; the legend and titles follow."""
        keys, labels = self.devices.keys, self.devices.labels
        shown = self.devices.shown_key if self.devices.shown_key in labels else None
        self._combo_keys = ([None] if len(keys) > 1 else []) + list(keys)
        combo = self.device_combo
        combo.blockSignals(True)
        combo.clear()
        for i, key in enumerate(self._combo_keys):
            text = ALL_GPUS if key is None else labels[key]
            combo.addItem(text)
            combo.setItemData(i, text, Qt.ItemDataRole.ToolTipRole)  # the box may cut a long name short
        combo.setCurrentIndex(self._combo_keys.index(shown) if shown in self._combo_keys else 0)
        combo.blockSignals(False)
        self._show_devices(shown)

    def _show_devices(self, key: DeviceKey | None) -> None:
        self.devices.show(key)
        self.legend.set_entries(self.devices.legend_entries())
        self._fit_titles()

    def show_gpu(self, host: str | None, gpu: int) -> bool:
        """Show only GPU ``gpu`` of ``host`` (None: this computer), the one a lab run uses; False if not there."""
        for key, (dev_host, dev_gpu) in self._host_gpu.items():
            same_host = (dev_host or None) in ({host} if host else {None, LOCAL_LABEL})
            if dev_gpu == gpu and same_host and key in self._combo_keys:
                self.device_combo.setCurrentIndex(self._combo_keys.index(key))
                return True
        return False

    def _on_device_changed(self, index: int) -> None:
        if 0 <= index < len(self._combo_keys):
            self._show_devices(self._combo_keys[index])
            self._redraw()

    def _on_rate_edited(self) -> None:
        self.rate_changed.emit(float(self.rate_spin.value()))

    def set_info(self, text: str) -> None:
        self.info_label.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.graphics and event.type() == QEvent.Type.Resize:
            self._fit_titles()
        return super().eventFilter(watched, event)

    def _fit_titles(self) -> None:
        """Titles that fit the plots' width: a title sets its plot's minimum width, and one wider
        than the view pushed every plot's right edge out of sight."""
        width = self.graphics.width() - LEFT_AXIS_PX[self._presentation] - LAYOUT_MARGINS_PX
        fit_titles(self.plots, width, self._colours, self._presentation, self.devices.several())
        # The plot stack grew while a longer title needed it; Qt never shrinks it back by itself.
        self.graphics.ci.setGeometry(self.graphics.range)

    def set_presentation(self, on: bool) -> None:
        """Theme colours; on a projector, larger titles and ticks and thicker curves.

        Thicker curves cost CPU (see pen_width): a projector shows one talk, not a
        long unattended recording, and 1 px lines vanish on a washed-out image.
        """
        colours = current_theme_colours(on)
        set_view_font(self, on)
        style_plot(self.graphics, self.plots, colours, on)
        self.pen_width = PRESENTATION_PEN_PX if on else 1
        restyle_plots(self.plots, on)
        self.devices.restyle(colours, self.pen_width)
        self.legend.set_entries(self.devices.legend_entries())
        self._colours, self._presentation = colours, bool(on)
        self.graphics.setMinimumHeight(least_stack_height(on))
        self._fit_titles()
        self._few_ticks = bool(on)
        for plot in self.plots:
            plot.getAxis("left").setTicks(None)
            self._set_y_ticks(plot)
        self.bands.style(colours)
        self._draw_bands()
