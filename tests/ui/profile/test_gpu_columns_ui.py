"""GPU columns in the hotspot table and GPU figures in the source view, from a run's real GPU trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from heat_run_support import heat_profile, heat_trace
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gpuprof_gui.core.gpu_columns import gpu_columns
from gpuprof_gui.core.hotspots import hotspot_rows
from gpuprof_gui.core.loaded import prepare
from gpuprof_gui.ui.profile.hotspot_model import (
    COL_FUNCTION,
    COL_GPU_BYTES,
    COL_GPU_COPY,
    COL_GPU_KERNEL,
    COL_GPU_LAUNCHES,
    COL_GPU_MEM,
    COL_GPU_PCT,
    COL_GPU_SYNC,
    COL_PCT,
    COL_SELF,
    COL_TOTAL,
)  # fmt: skip
from gpuprof_gui.ui.profile.hotspot_table import HotspotTable
from gpuprof_gui.ui.profile.source_gpu import GPU_BAR_ALPHA
from gpuprof_gui.ui.profile.source_view import SourceView
from gpuprof_gui.ui.style.palette import LIGHT_UI

TRACE_COLS = (COL_GPU_KERNEL, COL_GPU_COPY, COL_GPU_BYTES, COL_GPU_SYNC, COL_GPU_LAUNCHES)


@pytest.fixture(scope="module")
def heat(tmp_path_factory):
    profile, where = heat_profile(tmp_path_factory.mktemp("heat"))
    return profile, where, heat_trace()


def _func(profile, name: str) -> int:
    (idx,) = [i for i, f in enumerate(profile.functions) if f.name == name and "offload" in f.file]
    return idx


def _table(qtbot, width: int = 460) -> HotspotTable:
    table = HotspotTable()
    qtbot.addWidget(table)
    table.resize(width, 300)  # 460: the table's share of a 1024×768 window
    table.show()
    qtbot.waitExposed(table)
    return table


def _keys_in_view(table: HotspotTable) -> bool:
    header, room = table.horizontalHeader(), table.viewport().width()
    return all(
        header.sectionViewportPosition(c) >= 0 and header.sectionViewportPosition(c) + header.sectionSize(c) <= room
        for c in (COL_FUNCTION, COL_SELF, COL_TOTAL, COL_PCT)
    )


def test_the_gpu_columns_show_only_with_a_trace_and_the_key_columns_stay_in_view(qtbot, heat):
    profile, _where, trace = heat
    table = _table(qtbot)
    table.set_rows(hotspot_rows(profile), "s")
    assert all(table.isColumnHidden(c) for c in (*TRACE_COLS, COL_GPU_PCT, COL_GPU_MEM))
    table.set_rows(hotspot_rows(profile), "s", gpu=gpu_columns(profile, trace))
    qtbot.wait(50)
    assert not any(table.isColumnHidden(c) for c in TRACE_COLS)
    assert table.isColumnHidden(COL_GPU_PCT) and table.isColumnHidden(COL_GPU_MEM)  # no Scalene GPU samples
    assert _keys_in_view(table) and table.key_columns_in_view()
    table.set_presentation(True)
    table.resize(760, 300)  # at projector type the key columns need this much with or without GPU columns
    qtbot.wait(50)
    assert [c for c in TRACE_COLS if not table.isColumnHidden(c)] == [COL_GPU_KERNEL]
    assert _keys_in_view(table)
    table.set_presentation(False)
    table.set_rows(hotspot_rows(profile), "s")  # the next profile has no trace: the columns go
    assert all(table.isColumnHidden(c) for c in TRACE_COLS)


def test_gpu_columns_sort_biggest_first_and_show_the_figures(qtbot, heat):
    profile, _where, trace = heat
    table = _table(qtbot, 1400)
    table.set_rows(hotspot_rows(profile), "s", gpu=gpu_columns(profile, trace))
    model = table.source_model
    table.horizontalHeader().setSortIndicator(COL_GPU_KERNEL, Qt.SortOrder.AscendingOrder)  # a first click
    assert model.function_at(0) == _func(profile, "sweeps_on_device")
    cell = {c: model.data(model.index(0, c)) for c in TRACE_COLS}
    assert cell[COL_GPU_KERNEL] == "229 µs" and cell[COL_GPU_LAUNCHES] == "60" and cell[COL_GPU_COPY] == ""
    table.horizontalHeader().setSortIndicator(COL_GPU_BYTES, Qt.SortOrder.AscendingOrder)
    assert model.function_at(0) == _func(profile, "diffuse")
    assert model.data(model.index(0, COL_GPU_BYTES)) == "24.0 MiB"
    assert model.data(model.index(0, COL_GPU_COPY)) == "1.78 ms"
    tip = model.data(model.index(0, COL_FUNCTION), Qt.ItemDataRole.ToolTipRole)
    assert "with the functions it called: kernels 229 µs (60 launches)" in tip


def test_the_source_view_shows_the_gpu_figures_on_the_lines_that_gave_the_work(qtbot, heat):
    profile, _where, trace = heat
    view = SourceView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    diffuse = _func(profile, "diffuse")
    view.show_function(profile, diffuse)
    plain_gutter = view.editor.gutter_width()
    assert not view.editor.gpu_marks.lines  # no trace, no GPU figures
    view.gpu = gpu_columns(profile, trace)
    view.show_function(profile, diffuse)
    marks = view.editor.gpu_marks
    assert set(marks.labels) == {26, 27, 31}  # copy in; copy out and the kernels it calls; main(diffuse)
    assert marks.labels[26] == "268 µs" and marks.labels[27] == "1.74 ms"  # 1.51 ms out + 0.23 ms of kernels
    assert marks.note(26) == "copies 268 µs, 12.0 MiB"
    assert "sync wait 19.8 µs" in marks.note(27) and "through calls: kernels 229 µs (60 launches)" in marks.note(27)
    assert "kernels 229 µs (60 launches)" in view.header.text()
    assert view.editor.gutter_width() == plain_gutter + marks.column_px(view.editor.fontMetrics())
    image = view.editor.grab().toImage()
    editor = view.editor
    block = editor.document().findBlockByNumber(26)  # line 27
    y = int(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).center().y()) + editor.frameWidth()
    bar = QColor(LIGHT_UI.link)
    gutter_right = editor.gutter_width()
    xs = range(gutter_right - marks.column_px(editor.fontMetrics()), gutter_right)
    tinted = [x for x in xs if _near_blend(image.pixelColor(x, y), bar, GPU_BAR_ALPHA)]
    assert len(tinted) > 20, "the GPU bar of line 27 is not drawn in the gutter"


def _near_blend(pixel: QColor, colour: QColor, alpha: int) -> bool:
    """Whether ``pixel`` is ``colour`` drawn at ``alpha`` over some light background (blue dominant)."""
    return pixel.blue() - pixel.red() > 40 * alpha / 255


def test_a_window_hands_the_runs_trace_to_the_table_and_the_source(window, heat):
    profile, where, trace = heat
    window.show_loaded(prepare(profile, str(where / "heat.prof"), gpu_trace=trace), "heat_gpu.py")
    assert not window.table.isColumnHidden(COL_GPU_KERNEL)
    window.select_functions([_func(profile, "diffuse")])
    assert 27 in window.source.editor.gpu_marks.labels
    window.show_loaded(prepare(profile, str(where / "heat.prof")), "heat_gpu.py again")
    assert window.table.isColumnHidden(COL_GPU_KERNEL) and window.source.gpu is None


WINDOW_ON_A_SCREEN = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from heat_run_support import heat_profile, heat_trace
from gpuprof_gui.core.loaded import prepare
from gpuprof_gui.ui.shell.main_window import MainWindow

app = QApplication([])
tmp = Path(sys.argv[1])
profile, where = heat_profile(tmp)
win = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat))
room = app.primaryScreen().availableGeometry()
win.resize(room.width(), room.height())
win.show()
win.show_loaded(prepare(profile, str(tmp / "heat.prof"), gpu_trace=heat_trace()), "heat_gpu.py")
seen = {}
for mode in (False, True):
    win.actions_by_id["presentation"].setChecked(mode)
    for _ in range(20):
        app.processEvents()
    seen[str(mode)] = [win.table.key_columns_in_view(), win.table.isColumnHidden(6)]
print(json.dumps(seen))
win.close()
"""


def test_the_key_columns_stay_in_view_with_gpu_columns_on_a_1024x768_screen(tmp_path):
    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1024, "height": 768,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))  # fmt: skip
    tests = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
           "PYTHONPATH": os.pathsep.join([str(tests.parent), str(tests)])}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", WINDOW_ON_A_SCREEN, str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"False": [True, False], "True": [True, False]}  # in view; the GPU kernel column shown


def test_scalenes_gpu_figures_show_as_gpu_pct_and_gpu_mem_and_on_the_lines(qtbot, tmp_path):
    from gpuprof_gui.core.model import FunctionRecord, LineRecord, Profile, TreeBuilder

    path = tmp_path / "k.py"
    path.write_text("import cupy as cp\n\n\ndef step(x):\n    return float((x @ x).sum())\n\n\nstep(cp.ones(9))\n")
    funcs = [FunctionRecord("<module>", str(path), 1, 0.2, 1.0, None, gpu_pct=0.0, gpu_mem_mb=0.0),
             FunctionRecord("step", str(path), 4, 0.8, 0.8, None, gpu_pct=87.5, gpu_mem_mb=640.0)]  # fmt: skip
    b = TreeBuilder(1.0)
    b.add(b.add(0, 0, 1.0, 0.2), 1, 0.8, 0.8)
    lines = {str(path): {5: LineRecord(cpu_native_pct=80.0, gpu_pct=87.5, self_s=0.8, gpu_mem_mb=640.0)}}
    profile = Profile("scalene", funcs, b.build(), lines=lines)
    table = _table(qtbot)
    table.set_rows(hotspot_rows(profile), "s")
    assert not table.isColumnHidden(COL_GPU_PCT) and not table.isColumnHidden(COL_GPU_MEM)
    assert all(table.isColumnHidden(c) for c in TRACE_COLS)  # no GPU trace
    model = table.source_model
    row = model.row_of_function(1)
    assert (
        model.data(model.index(row, COL_GPU_PCT)) == "87.5%" and model.data(model.index(row, COL_GPU_MEM)) == "640 MB"
    )
    assert table.key_columns_in_view()
    view = SourceView()
    qtbot.addWidget(view)
    view.show_function(profile, 1)
    assert view.editor.gpu_marks.labels == {5: "87.5%"}
    assert view.editor.gpu_marks.note(5) == "GPU busy 87.5% while it ran; GPU memory 640 MB"
    assert "GPU busy 87.5% while it ran (Scalene)" in view.header.text()


def test_opening_a_real_traced_run_shows_its_gpu_columns_and_line_figures(window, qtbot, tmp_path):
    """The app's traced run of heat_gpu.py on an H200, opened through the door: its trace comes with it."""
    import shutil

    from window_support import LOAD_TIMEOUT_MS

    run = tmp_path / "run"
    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "gpu" / "run_heat_gpu_h200", run)
    with qtbot.waitSignal(window.profile_shown, timeout=LOAD_TIMEOUT_MS):
        window.open_path(str(run / "profile.prof"))
    assert not window.table.isColumnHidden(COL_GPU_KERNEL) and not window.table.isColumnHidden(COL_GPU_BYTES)
    profile = window.workspace.shown.profile
    diffuse = _func(profile, "diffuse")
    example = Path(__file__).resolve().parents[3] / "resources" / "examples" / "offload" / "heat_gpu.py"
    window.source.keep_text(profile.functions[diffuse].file, example.read_text())  # the H200's path is not here
    window.select_functions([diffuse])
    marks = window.source.editor.gpu_marks
    assert marks.note(26) == "copies 3.77 ms, 192 MiB · sync wait 302 µs"  # per_line of the trace: 3,768,087 ns
    assert "through calls: kernels 2.92 ms (240 launches)" in marks.note(27)  # heat_stencil.py:33, 2,919,864 ns
