"""The Compare tab's "Moved to the GPU" page: a CPU run against its GPU version with the GPU trace beside it
(tests/gpu_move_case.py): the table, the totals line and the sentences, either way round, and fitting
every screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gpu_move_case import write_runs
from PySide6.QtCore import Qt
from window_support import save_shot, settle

from gpuprof_gui.ui.compare import compare_window

REPO = Path(__file__).resolve().parents[3]
H200 = REPO / "tests" / "data" / "gpu"
SHOTS = Path(__file__).with_name("gpu_moved_shots.py")


def _compare(qtbot, window, b: Path, a: Path) -> None:
    shown = []
    window.profile_shown.connect(shown.append)
    window.open_profile(str(b))
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    compared = []
    window.compare.compared.connect(lambda: compared.append(True))
    compare_window.compare_with(window, str(a))
    qtbot.waitUntil(lambda: bool(compared), timeout=30_000)


def _cells(table, row: int) -> list[str]:
    return [table.item(row, col).text() for col in range(table.columnCount())]


def test_the_tab_shows_what_moved_with_its_totals_and_sentences(qtbot, window, tmp_path):
    a, b = write_runs(tmp_path)
    _compare(qtbot, window, b, a)
    panel, page = window.compare, window.compare.gpu
    assert panel.pages.currentWidget() is page and panel.pages.tabText(1) == "Moved to the GPU"
    table = page.table
    assert table.rowCount() == 2
    assert _cells(table, 0) == ["diffuse ▸ GPU", "6.00 s", "600 ms", "600 µs", "3.00 ms", "8.00 MiB", "50.0 µs"]
    assert _cells(table, 1) == ["sweeps_on_device", "—", "200 ms", "600 µs", "0 s", "0 B", "0 s"]
    assert "heat_cpu.py:42" in table.item(0, 0).toolTip()  # where its time before comes from
    text = page.summary.text()
    assert "Run A on the CPU → run B with the GPU on Synthetic GPU" in text
    assert "Run 10.0 s → 5.60 s; moved 6.00 s of CPU time → GPU kernels 600 µs" in text
    assert "diffuse: 6.00 s on the CPU became 600 µs of GPU kernels plus 3.00 ms of copies (8.00 MiB)" in text
    assert "89.3% of the GPU run is still CPU work: summarize 3.00 s, &lt;module&gt; 1.00 s" in text
    # Sortable: by CPU after, smallest first.
    table.sortItems(2, Qt.SortOrder.AscendingOrder)
    assert [table.item(r, 0).text() for r in range(2)] == ["sweeps_on_device", "diffuse ▸ GPU"]
    table.selectRow(1)
    settle(qtbot)
    assert panel.profile.functions[panel.canvas._highlight_func].name == "diffuse"  # shown in the flame graph
    save_shot(window, "compare-gpu-moved")


def test_the_recorded_h200_runs_show_diffuse_moved_with_its_figures(qtbot, window):
    """heat_gpu.py traced on an H200 on show, heat_cpu.py from the same machine as the baseline."""
    from gpuprof_gui.core.diff_gpu import before_after
    from gpuprof_gui.core.fmt import format_bytes, format_time

    _compare(qtbot, window, H200 / "run_heat_gpu_h200" / "profile.prof", H200 / "run_heat_cpu_h200" / "profile.prof")
    page = window.compare.gpu
    assert window.compare.pages.currentWidget() is page
    first = before_after(window.workspace.baseline[0], window.loaded.profile, window.loaded.gpu_trace)["functions"][0]
    figures = ("cpu_before_s", "cpu_after_s", "kernel_s", "copy_s")
    expected = ["diffuse ▸ GPU", *(format_time(first[k]) for k in figures), format_bytes(first["copy_bytes"])]
    assert _cells(page.table, 0)[:6] == expected
    assert "NVIDIA H200" in page.summary.text() and "diffuse: " in page.summary.text()
    save_shot(window, "compare-gpu-moved-h200")


def test_the_gpu_run_as_baseline_gives_the_same_figures(qtbot, window, tmp_path):
    a, b = write_runs(tmp_path)
    _compare(qtbot, window, a, b)  # the CPU run on show, the GPU run (with its trace) as run A
    page = window.compare.gpu
    assert window.compare.pages.currentWidget() is page
    assert _cells(page.table, 0) == ["diffuse ▸ GPU", "6.00 s", "600 ms", "600 µs", "3.00 ms", "8.00 MiB", "50.0 µs"]
    assert "Run B on the CPU → run A with the GPU on Synthetic GPU" in page.summary.text()


def test_runs_without_a_trace_show_no_gpu_page(qtbot, window, tmp_path):
    a, b = write_runs(tmp_path)
    _compare(qtbot, window, b, a)
    assert window.compare.pages.count() == 2
    os.remove(str(b) + ".gpu-trace.json")
    _compare(qtbot, window, b, a)
    assert window.compare.pages.count() == 1 and window.compare.gpu.result is None
    assert window.compare.pages.tabBar().isHidden()  # one page: no tab bar, as before


@pytest.mark.slow
@pytest.mark.parametrize("size", ["1024x768", "1280x720", "1920x1080"])
def test_the_gpu_page_fits_every_screen_mode_and_theme(tmp_path, size):
    """The recorded H200 runs (their names, in the page's heading, are the longest text it shows)."""
    a, b = H200 / "run_heat_cpu_h200" / "profile.prof", H200 / "run_heat_gpu_h200" / "profile.prof"
    width, height = (int(n) for n in size.split("x"))
    screen = {"name": "s", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96,
              "logicalBaseDpi": 96, "dpr": 1}  # fmt: skip
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", PYTHONPATH=str(REPO))
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[var] = str(tmp_path / "home" / var.lower())
    env["GPUPROF_RUNS_DIR"] = str(tmp_path / "home" / "runs")
    out = tmp_path / "shots.json"
    proc = subprocess.run([sys.executable, str(SHOTS), str(a), str(b), str(out)], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert out.exists(), proc.stderr[-3000:]
    shots = json.loads(out.read_text())
    assert len(shots) == 4  # desk and projector, light and dark
    for shot in shots:
        assert not shot["broken"], shot
        assert shot["window"][0] <= width and shot["window"][1] <= height, shot
        assert shot["table_rows"] == 2 and "still CPU work" in shot["summary"], shot
