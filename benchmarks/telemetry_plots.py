"""CPU cost of the window's live telemetry plots at 10 Hz, against a naive pyqtgraph loop.

Prints one JSON object:
  plots_cpu_pct       process CPU time / wall time while the main window (1600x1000, Kernel lab tab)
                      follows a 10 Hz source with its own timers (its sampler thread included when
                      live); the window otherwise idle;
  view_cpu_pct        the same for the TelemetryView alone at --width x --height;
  naive_cpu_pct       the same for a naive loop: 4 curves, whole history re-set every tick, grid on,
                      2-px pens (the issue's reference measured 24%);
  ratio               plots / naive, measured side by side in this run;
  redraw_ms_median    time of one pull + paint; max_fps = 1000 / that;
  devices             the view alone at --width x --height following a synthetic source of 1 and of 8 GPUs
                      ("8 unpaced": redrawn every 100 ms whatever a frame costs, see redraw_interval_ms)
                      (sine waves, 10 Hz, two minutes of history already: the 60 s window full), measured
                      side by side in this run: cpu % and redraw ms for each. Synthetic numbers only
                      ever feed this benchmark.
Source: a live TelemetrySampler when NVML finds a GPU, otherwise the recorded trace
tests/data/gpu/telemetry_h100.json replayed at recorded speed ("source" says which).
Target: plots_cpu_pct <= 10 (one core = 100).

Run: QT_QPA_PLATFORM=offscreen python benchmarks/telemetry_plots.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

RECORDED_TRACE = os.path.join(REPO, "tests", "data", "gpu", "telemetry_h100.json")
TICK_S = 0.1  # 10 Hz: the sampler's default rate


def make_source():
    from gpuprof_gui.gpu.telemetry import TelemetrySampler
    from gpuprof_gui.gpu.trace_io import TraceReplay, load_trace

    sampler = TelemetrySampler(hz=10)
    if sampler.start():
        return sampler, f"live NVML: {sampler.devices()[0]['name']}", sampler.stop
    trace = load_trace(RECORDED_TRACE)
    name = trace.devices[0].get("name", "GPU")
    return TraceReplay(trace), f"replay of a recorded trace ({name})", lambda: None


class SineSource:
    """A synthetic stand-in for TelemetrySampler: ``n`` GPUs, sine waves at 10 Hz, rows up to now."""

    def __init__(self, n: int, history_s: float = 120.0) -> None:
        self.n = n
        self.t0 = time.monotonic() - history_s

    def snapshot(self, since=None):
        import numpy as np

        from gpuprof_gui.ui.lab.telemetry_devices import METRICS

        first = 0 if since is None else since
        last = int((time.monotonic() - self.t0) / TICK_S)
        t = np.arange(first, last) * TICK_S
        devices = []
        for i in range(self.n):
            wave = 0.5 + 0.5 * np.sin(t / (5.0 + i) + i)
            series = {m: (t, wave * (100.0 + 50.0 * k)) for k, m in enumerate(METRICS)}
            devices.append({"index": i, "name": f"synthetic {i}", "series": series})
        return {"t0_monotonic": self.t0, "t0_wall": 0.0, "devices": devices, "bands": [], "cursor": last}


def pump(app, seconds: float, tick) -> tuple[float, float]:
    """Run the Qt event loop for ``seconds`` with a 10 Hz QTimer calling ``tick``; (cpu %, wall s).

    A QTimer, as in the window: the loop sleeps between ticks, so what is
    measured is the plots' cost, not a polling loop's.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer(interval=int(TICK_S * 1000))
    timer.timeout.connect(tick)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    timer.start()
    loop.exec()
    timer.stop()
    wall = time.perf_counter() - wall0
    return 100.0 * (time.process_time() - cpu0) / wall, wall


def measure_view(app, source, seconds: float, size: tuple[int, int], paced: bool = True) -> dict:
    """The TelemetryView alone, following live on its own 10 Hz timer; each pull + repaint timed."""
    from gpuprof_gui.ui.lab.telemetry_view import TelemetryView

    view = TelemetryView()
    view.resize(*size)
    view.paced = paced
    view.show()
    view.set_source(source, live=True)
    durations = []
    pull = view.pull

    def timed_pull() -> None:
        # The paint comes after, from the event loop (as in the window): a forced repaint() here
        # would be followed by that one too, two paints a tick. paint_s: the last paint's time.
        t, redraws = time.perf_counter(), view.redraws
        pull()
        if view.redraws != redraws:  # a pull that found nothing new draws nothing
            durations.append((time.perf_counter() - t + view.graphics.paint_s) * 1e3)

    view._timer.timeout.disconnect()
    view._timer.timeout.connect(timed_pull)
    cpu, wall = pump(app, seconds, lambda: None)
    view.stop()
    view.close()
    return {
        "cpu_pct": cpu,
        "wall_s": wall,
        # None: nothing new came (a replay that has reached its end)
        "redraw_ms_median": statistics.median(durations) if durations else None,
        "redraw_ms_p95": sorted(durations)[int(0.95 * (len(durations) - 1))] if durations else None,
        "redraws": len(durations),
        "fps": len(durations) / wall,
    }


def measure_window(app, seconds: float) -> dict:
    """The real window: the lab tab's own TelemetryView following live (or a replay at recorded speed)."""
    import tempfile

    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from gpuprof_gui.gpu.trace_io import TraceReplay, load_trace
    from gpuprof_gui.ui.shell.main_window import MainWindow

    tmp = tempfile.mkdtemp(prefix="gpuprof-bench-")
    win = MainWindow(QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
    win.resize(1600, 1000)
    win.tabs.setCurrentWidget(win.lab)
    win.show()
    view = win.lab.telemetry
    if win.lab.lab_telemetry.live:
        what = "the window's own live sampler"
    else:
        view.set_source(TraceReplay(load_trace(RECORDED_TRACE)), live=True)
        what = "a recorded trace replayed live"
    redraws0 = view.redraws
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    loop.exec()
    wall = time.perf_counter() - wall0
    cpu = 100.0 * (time.process_time() - cpu0) / wall
    size = [view.width(), view.height()]
    redraws = view.redraws - redraws0
    win.close()
    win.deleteLater()
    return {"cpu_pct": cpu, "wall_s": wall, "redraws": redraws, "view_px": size, "source": what}


def measure_naive(app, source, seconds: float, size: tuple[int, int]) -> dict:
    """What one writes first: every tick, fetch everything and setData the whole history of 4 curves."""
    import numpy as np
    import pyqtgraph as pg

    win = pg.GraphicsLayoutWidget()
    win.resize(*size)
    win.show()
    metrics = ("gpu_util_pct", "power_w", "sm_clock_mhz", "memory_used_mib")
    curves = {}
    for row, metric in enumerate(metrics):
        plot = win.addPlot(row=row, col=0)
        plot.showGrid(x=True, y=True)
        curves[metric] = plot.plot(pen=pg.mkPen("b", width=2))

    def tick() -> None:
        series = source.snapshot()["devices"][0]["series"]
        for metric, curve in curves.items():
            t, v = series[metric]
            curve.setData(np.asarray(t), np.asarray(v))
        win.viewport().repaint()

    cpu, wall = pump(app, seconds, tick)
    win.close()
    return {"cpu_pct": cpu, "wall_s": wall}


def _summary(devices: dict[str, list[dict]]) -> dict[str, dict]:
    """Per number of GPUs: mean cpu % and frames a second, median and worst p95 redraw time over its runs."""
    return {
        n: {
            "view_cpu_pct": round(statistics.mean(r["cpu_pct"] for r in runs), 2),
            "fps": round(statistics.mean(r["fps"] for r in runs), 1),
            "redraw_ms_median": round(statistics.median(r["redraw_ms_median"] for r in runs), 2),
            "redraw_ms_p95": round(max(r["redraw_ms_p95"] for r in runs), 2),
        }
        for n, runs in devices.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--width", type=int, default=900)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--devices-only", action="store_true", help="only the 1- vs 8-GPU comparison")
    args = parser.parse_args()
    from PySide6 import __version__ as qt_version
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    size = (args.width, args.height)
    devices: dict[str, list[dict]] = {}
    # Interleaved, so a change of machine load hits all alike. "8 unpaced": every 100 ms whatever it costs.
    for n, paced in ((1, True), (8, True), (8, False), (1, True), (8, True), (8, False)):
        run = measure_view(app, SineSource(n), args.seconds / 6, size, paced)
        devices.setdefault(f"{n}" if paced else f"{n} unpaced", []).append(run)
    if args.devices_only:
        print(json.dumps({"devices": _summary(devices), "view_px": list(size), "tick_hz": 1 / TICK_S}))
        return
    window = measure_window(app, args.seconds)
    source, what, stop = make_source()
    try:
        # Side by side: the view alone, the naive loop, the view again (averaged).
        first = measure_view(app, source, args.seconds / 2, size)
        naive = measure_naive(app, source, args.seconds, size)
        second = measure_view(app, source, args.seconds / 2, size)
    finally:
        stop()
    view_pct = (first["cpu_pct"] + second["cpu_pct"]) / 2
    medians = [run["redraw_ms_median"] for run in (first, second) if run["redraw_ms_median"] is not None]
    redraw = statistics.median(medians) if medians else float("nan")
    p95 = max([run["redraw_ms_p95"] for run in (first, second) if run["redraw_ms_p95"] is not None], default=None)
    print(
        json.dumps(
            {
                "plots_cpu_pct": round(window["cpu_pct"], 2),
                "window_redraws": window["redraws"],
                "window_view_px": window["view_px"],
                "window_source": window["source"],
                "view_cpu_pct": round(view_pct, 2),
                "naive_cpu_pct": round(naive["cpu_pct"], 2),
                "ratio_view_to_naive": round(view_pct / naive["cpu_pct"], 3) if naive["cpu_pct"] else None,
                "redraw_ms_median": round(redraw, 2),
                "max_fps": round(1000.0 / redraw, 1),
                "redraw_ms_p95": None if p95 is None else round(p95, 2),
                "target_plots_cpu_pct": 10.0,
                "devices": _summary(devices),
                "source": what,
                "tick_hz": 1 / TICK_S,
                "view_px": list(size),
                "qt": qt_version,
                "python": platform.python_version(),
                "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
                "date": time.strftime("%Y-%m-%d"),
            }
        )
    )


if __name__ == "__main__":
    main()
