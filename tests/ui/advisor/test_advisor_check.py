"""The advisor's "Checked against the GPU run" section: the four items and the total in a table, the
sentence naming the biggest error, a GPU run picked from a file or offered by the window, and the
tab still fitting a 1024 × 768 screen, at a desk and on a projector."""

from __future__ import annotations

from pathlib import Path

import pytest
from advice_check_support import gpu_profile, gpu_trace
from PySide6.QtWidgets import QApplication
from window_support import SHOTS_DIR, clipped_labels

from gpuprof_gui.core.advice_session import load_session
from gpuprof_gui.core.gpu_trace import save_gpu_trace
from gpuprof_gui.core.loaded import prepare
from gpuprof_gui.core.serialize import dump_profile
from gpuprof_gui.protocol import GPU_TRACE_SUFFIX
from gpuprof_gui.ui.advisor.advisor_check import HINT, LOADED_BUTTON, TITLE
from gpuprof_gui.ui.advisor.advisor_panel import AdvisorPanel

pytestmark = pytest.mark.timeout(180)

DATA = Path(__file__).resolve().parents[2] / "data"
H100_SESSION = DATA / "advisor" / "session_heat_h100.json"
H200_SESSION = DATA / "advisor" / "session_heat_h200.json"  # heat_cpu.py advised on an H200
H200_RUN = DATA / "gpu" / "run_heat_gpu_h200" / "profile.prof"  # heat_gpu.py traced on the same H200
DESK, PROJECTOR = (1000, 600), (1000, 620)
ITEMS = ("kernel", "copies", "startup", "cpu", "other", "total")


def _settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


@pytest.fixture
def panel(qtbot) -> AdvisorPanel:
    panel = AdvisorPanel()
    qtbot.addWidget(panel)
    panel.set_session(load_session(str(H100_SESSION)), "session_heat_h100.json")
    return panel


def _show(qtbot, panel: AdvisorPanel, presentation: bool, size: tuple[int, int]) -> None:
    panel.set_presentation(presentation)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    _settle()


def test_the_section_shows_every_item_and_the_worst_assumption(qtbot, panel):
    section = panel.check
    assert section.title.text() == TITLE and section.source.text() == HINT and section.check is None
    panel.check.set_run(gpu_profile(calls=12), gpu_trace(calls=12), "heat_gpu.py traced")
    check = section.check
    assert check is not None
    for key in ITEMS:
        assert section.cell_text(key, "item") == check.item(key).label
        assert section.cell_text(key, "measured") != ""
    assert section.cell_text("kernel", "measured") == "240 ms"  # 12 calls × 2 kernels × 10 ms
    assert section.cell_text("copies", "measured") == "54.0 ms"
    assert section.cell_text("total", "measured") == "10.0 s"
    assert section.cell_text("kernel", "ratio") == "58.3×"  # 240 ms against p·T/s = 4.12 ms
    text = section.text.text()
    assert "Biggest contributor to the error: the CPU part" in text and check.worst == "cpu"
    assert check.item("cpu").sentence.split(":")[0] in text
    assert section.cell_text("cpu", "item") == "CPU part" and section.cells[("cpu", "item")].font().bold()
    assert "heat_gpu.py traced" in section.source.text()


def test_a_new_selection_checks_the_new_advice(qtbot, panel):
    panel.check.set_run(gpu_profile(calls=12), gpu_trace(calls=12), "run")
    before = panel.check.check
    panel.set_selection([])  # nothing selected: p = 0, another prediction
    assert panel.check.check is not before


def test_a_run_picked_from_a_file_is_read_with_its_trace(qtbot, panel, tmp_path):
    path = tmp_path / "gpu_run.json"
    dump_profile(gpu_profile(calls=12), path)
    save_gpu_trace(gpu_trace(calls=12), str(path) + GPU_TRACE_SUFFIX)
    job = panel.check.open_run(str(path))
    qtbot.waitUntil(lambda: panel.check.check is not None, timeout=60_000)
    assert job.result is not None and panel.check.source.text().startswith("gpu_run.json")
    lone = tmp_path / "lone.json"
    dump_profile(gpu_profile(), lone)
    panel.check.open_run(str(lone))
    qtbot.waitUntil(lambda: panel.check.check is None, timeout=60_000)
    assert "has no GPU trace beside it" in panel.check.source.text()


def test_the_window_offers_the_traced_run_it_showed(qtbot, window):
    traced = prepare(gpu_profile(calls=12), "gpu_run.prof", gpu_trace=gpu_trace(calls=12))
    window.show_loaded(traced, "heat_gpu.py traced")
    section = window.advisor.check
    assert section.offered is not None and section.loaded_button.isHidden()  # no check of a run against itself
    assert window.open_advice_session(str(H100_SESSION))
    assert not section.loaded_button.isHidden() and section.loaded_button.text() == LOADED_BUTTON
    section.loaded_button.click()
    assert section.check is not None and section.check.run["name"] == "heat_gpu.py traced"


@pytest.mark.parametrize(("presentation", "size"), [(False, DESK), (True, PROJECTOR)])
def test_the_real_h200_check_fits_a_1024_by_768_screen_and_names_the_start_up(qtbot, presentation, size):
    panel = AdvisorPanel()
    qtbot.addWidget(panel)
    panel.set_session(load_session(str(H200_SESSION)), "session_heat_h200.json")
    panel.check.open_run(str(H200_RUN))  # a .prof from elsewhere: read in a worker, its trace beside it
    qtbot.waitUntil(lambda: panel.check.check is not None, timeout=60_000)
    _show(qtbot, panel, presentation, size)
    section = panel.check
    assert section.check is not None and section.check.worst == "startup"
    for key in ITEMS:
        assert section.cell_text(key, "ratio").endswith("×") or key == "other"
    assert section.cells[("startup", "item")].font().bold()
    assert "Biggest contributor to the error: the GPU start-up" in section.text.text()
    assert "GPU start-up took 1.76× the lab" in section.text.text()
    hint = panel.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], hint
    assert clipped_labels(panel) == []
    section.grab().save(str(SHOTS_DIR / f"advisor_check_h200_{'pres' if presentation else 'desk'}.png"))
