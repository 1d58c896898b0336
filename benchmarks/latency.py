"""How fast the window shows things: result → painted flame graph, and cold start → first paint.

Prints one JSON object:
  result_to_paint_s  profiler exit (the run's worker has ended) → flame graph painted with
                     the new profile, for a real cProfile run of a script with --functions
                     distinct functions (default 5,000). Median of --repeat runs. Target ≤ 0.5 s.
  startup_s          a fresh interpreter started → main window painted for the first time
                     (imports, QApplication, all widgets). Median of --repeat starts. Target ≤ 1.5 s.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/latency.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

BRANCHING = 8
"""Functions call 8 others: a 5,000-function tree about 4 levels deep, like real code."""


def write_many_functions_script(path: str, n_functions: int) -> None:
    """A script whose call tree has ``n_functions`` distinct Python functions, each doing a little work."""
    lines = ["import math", ""]
    for i in range(n_functions - 1, -1, -1):
        kids = [k for k in range(i * BRANCHING + 1, i * BRANCHING + BRANCHING + 1) if k < n_functions]
        body = ["    s = 0.0", f"    for j in range({20 + i % 50}):", "        s += math.sqrt(j)"]
        body += [f"    s += f{k}()" for k in kids]
        lines += [f"def f{i}():", *body, "    return s", ""]
    lines += ['if __name__ == "__main__":', "    print(f0())"]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def measure_result_to_paint(script: str, repeat: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gpuprof_gui.ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings_dir = tempfile.mkdtemp(prefix="gpuprof-bench-")
    os.environ["GPUPROF_RUNS_DIR"] = os.path.join(settings_dir, "runs")
    window = MainWindow(QSettings(os.path.join(settings_dir, "s.ini"), QSettings.Format.IniFormat))
    window.resize(1920, 1080)
    window.show()
    app.processEvents()
    samples, stamps = [], {}

    def on_finished(_outcome) -> None:
        stamps["exit"] = time.perf_counter()

    def on_shown(_loaded) -> None:
        window.flame.canvas.repaint()  # synchronous: returns once the frames are drawn
        stamps["painted"] = time.perf_counter()

    window.run_finished.connect(on_finished)
    window.profile_shown.connect(on_shown)
    n_functions = 0
    for _ in range(repeat):
        stamps.clear()
        window.set_script(script)
        window.start_run()
        deadline = time.perf_counter() + 300
        while "painted" not in stamps and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.001)
        if "painted" not in stamps:
            raise SystemExit(f"no profile was shown: {window.status_text()}")
        samples.append(stamps["painted"] - stamps["exit"])
        n_functions = len(window.loaded.profile.functions)
    stats = window.flame.canvas.last_paint_stats
    window.close()
    window.deleteLater()
    app.processEvents()
    return {
        "result_to_paint_s": statistics.median(samples),
        "result_to_paint_samples_s": samples,
        "profile_functions": n_functions,
        "tree_nodes": len(window.loaded.profile.tree),
        "paint_stats": stats if isinstance(stats, dict) else str(stats),
    }


STARTUP_CHILD = r"""
import os, sys, time
t_spawn = float(os.environ["GPUPROF_BENCH_T0"])
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication
from gpuprof_gui.ui.shell.main_window import MainWindow
app = QApplication([])
w = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
w.resize(1920, 1080)
w.show()
w.repaint()
print(time.time() - t_spawn)
"""


def measure_startup(repeat: int) -> dict:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p),
    )
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            env["GPUPROF_BENCH_T0"] = repr(time.time())
            out = subprocess.run(
                [sys.executable, "-c", STARTUP_CHILD, os.path.join(tmp, "s.ini")],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            samples.append(float(out.stdout.strip().splitlines()[-1]))
    return {"startup_s": statistics.median(samples), "startup_first_s": samples[0], "startup_samples_s": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--functions", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "many_functions.py")
        write_many_functions_script(script, args.functions)
        result = measure_startup(args.repeat)
        result.update(measure_result_to_paint(script, args.repeat))
    from PySide6 import __version__ as qt_version

    result.update(
        {
            "targets": {"result_to_paint_s": 0.5, "startup_s": 1.5},
            "python": platform.python_version(),
            "qt": qt_version,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "platform": os.environ.get("QT_QPA_PLATFORM", ""),
            "date": time.strftime("%Y-%m-%d"),
        }
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
