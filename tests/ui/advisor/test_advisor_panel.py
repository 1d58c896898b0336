"""The Offload advisor tab: a recorded H100 session shown number for number, the selection
(several nested functions counted once), edits of bytes and calls, the chart's candidates,
the no-GPU state, a damaged session file, the teaching view, presentation mode and the
``gui --advice --screenshot`` command."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel
from window_support import SHOTS_DIR, distinct_colours, make_window, save_shot, settle

from gpuprof_gui.core import capacity as cap
from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.core.advice_session import AdviceSession, build_advice, capacity_from, load_session, save_session
from gpuprof_gui.core.advice_text import explain, pct, times
from gpuprof_gui.core.advisor import amdahl_speedup, lab_inputs, profile_inputs
from gpuprof_gui.core.fmt import DASH, format_bytes, format_time
from gpuprof_gui.core.selection import UNION_FROM_TREE, function_share
from gpuprof_gui.ui.advisor.advisor_capacity import format_figure_value
from gpuprof_gui.ui.advisor.advisor_figures import MIB
from gpuprof_gui.ui.advisor.advisor_style import PRESENTATION_PT
from gpuprof_gui.ui.app import SCREENSHOT_SIZE

pytestmark = pytest.mark.timeout(180)

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parents[2] / "data"
# Recorded on an H100 by `gpuprof advise` + benchmarks/advisor_truth.py (device, host and date inside).
H100_SESSION = DATA / "advisor" / "session_heat_h100.json"
LAB_SAXPY = DATA / "lab" / "lab_saxpy.json"  # a real H100 kernel-lab run
NO_DRIVER = "No NVIDIA driver was found (libnvidia-ml is missing): install the NVIDIA driver."


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """An isolated main window (own settings and runs folder); these tests start no runs."""
    win = make_window(qtbot, tmp_path, monkeypatch)
    yield win
    win.close()


def _open(window, path=H100_SESSION):
    assert window.open_advice_session(str(path)), window.status_text()
    window.tabs.setCurrentWidget(window.advisor)
    settle_window(window)
    return window.advisor


def settle_window(window) -> None:
    QApplication.processEvents()


def _no_gpu_session(tmp_path: Path) -> Path:
    """The H100 session's profile with no lab run: what `gpuprof advise` saves on a machine without a GPU."""
    recorded = load_session(str(H100_SESSION))
    funcs = [i for i, f in enumerate(recorded.profile.functions) if f.name == "diffuse"]
    total_s, p, calls = profile_inputs(recorded.profile, funcs)
    advice = build_advice(total_s, p, calls, None, functions=["diffuse"], no_gpu_reason=NO_DRIVER)
    session = AdviceSession(
        advice=advice,
        capacity=capacity_from(cap.cpu_facts(), None),
        profile=recorded.profile,
        script=recorded.script,
        offload=["diffuse"],
        host="laptop",
        date="2026-11-24",
    )
    path = tmp_path / "session_no_gpu.json"
    save_session(session, str(path))
    return path


# -- a recorded session ----------------------------------------------------------------------------
def test_recorded_session_shows_the_numbers_advice_computes(window):
    panel = _open(window)
    a = load_session(str(H100_SESSION)).advice
    assert panel.advice.to_dict() == a.to_dict()
    v, t = panel.amdahl.values, panel.transfers.values
    assert v["offload"].text() == "diffuse"
    assert v["total"].text() == format_time(a.total_s)
    assert v["p"].text() == pct(a.p)
    assert v["limit"].text() == times(a.amdahl_limit)
    assert v["s"].text() == times(a.kernel_speedup)
    assert v["predicted"].text() == times(a.predicted_speedup)
    assert t["bytes"].text() == format_bytes(a.bytes_per_call)
    assert t["gbps"].text() == f"{a.transfer_gbps:.2f} GB/s"
    assert t["calls"].text() == f"{a.calls:,}" and panel.transfers.calls_spin.value() == a.calls
    assert t["transfer"].text() == format_time(a.transfer_s)
    assert t["setup"].text() == format_time(a.setup_s)
    assert t["predicted"].text() == times(a.predicted_speedup_with_transfers)
    assert t["time"].text() == format_time(a.predicted_time_s)
    assert t["be_time"].text() == format_time(a.break_even_transfer_s_per_call) + " / call"
    assert t["be_bytes"].text() == format_bytes(a.break_even_bytes_per_call) + " / call"
    assert t["be_s"].text() == times(a.break_even_kernel_speedup)
    assert panel.transfers.bytes_spin.value() == pytest.approx(a.bytes_per_call / MIB, abs=1e-3)
    # The measured end-to-end speed-up, beside the prediction, in words.
    measured = load_session(str(H100_SESSION)).measured["speedup"]
    assert panel.measured_label.isVisible()
    assert times(measured) in panel.measured_label.text()
    assert f"predicted {times(a.predicted_speedup_with_transfers)}" in panel.measured_label.text()
    assert not panel.gpu_label.isVisible() and not panel.synthetic_label.isVisible()
    # The profile went to the Profile tab, the lab run to the Kernel lab tab, diffuse is selected.
    assert window.loaded is not None and window.table.model().rowCount() > 0
    names = [window.loaded.profile.functions[f].name for f in window.table.selected_functions()]
    assert names == ["diffuse"]
    assert window.lab.run_data is not None and window.lab.run_data.device.name == a.device
    save_shot(window, "advisor_h100")


def test_capacity_table_shows_values_with_their_formulas(window):
    panel = _open(window)
    capacity = load_session(str(H100_SESSION)).capacity
    table = panel.capacity
    for row in cap.capacity_rows(capacity["cpu"], capacity["gpu"], capacity["link"]):
        for column in ("cpu", "gpu", "link"):
            fig = row[column]
            if fig is None:
                assert (row["quantity"], column) not in table.cells
                continue
            value, formula = table.cells[(row["quantity"], column)]
            assert table.value_text(row["quantity"], column) == format_figure_value(fig["value"], fig["unit"])
            assert formula.text() == fig["formula"] and formula.isVisible()  # on screen, not a tooltip
            if fig["value"] is None:
                assert value.text() == DASH and formula.text()  # the formula says why it is missing
        ratio = table.ratio_labels[row["quantity"]].text()
        assert ratio == (times(row["ratio"]) if row["ratio"] else "")
    assert table.ratio_labels["Peak FP32"].text().endswith("×")


def test_chart_places_the_measured_candidates_on_the_curves(window):
    panel = _open(window)
    a, chart = panel.advice, panel.chart
    assert chart.candidate_names() == [c["name"] for c in sorted(a.candidates, key=lambda c: -c["kernel_speedup"])]
    points = {}
    for item in chart.candidate_points:
        x, y = item.getOriginalDataset()
        points.setdefault(round(float(x[0]), 6), []).append(float(y[0]))
    for cand in a.candidates:
        s = cand["kernel_speedup"]
        ys = points[round(s, 6)]
        assert any(y == pytest.approx(amdahl_speedup(a.p, s)) for y in ys)  # on the kernel-only curve
        assert any(y == pytest.approx(amdahl_speedup(a.p, s, a.overhead_fraction)) for y in ys)  # with copies
    assert chart.limit_line.value() == pytest.approx(a.amdahl_limit)
    assert chart.break_even_line.value() == pytest.approx(math.log10(a.break_even_kernel_speedup))
    assert chart.transfer_curve is not None
    x_range = chart.plot_item.getViewBox().viewRange()[0]
    top = math.log10(max(c["kernel_speedup"] for c in a.candidates))
    assert x_range[0] <= 0.0 and top < x_range[1] <= top + 1  # s from 1× past the fastest candidate (log10 units)
    assert all(label.toPlainText() for label in chart.candidate_labels)


# -- selection and edits -------------------------------------------------------------------------
def _row_centre(table, func: int):
    row = table.source_model.row_of_function(func)
    table.scrollTo(table.model().index(row, 0))
    return table.visualRect(table.model().index(row, 0)).center()


def test_several_nested_functions_count_once(qtbot, window):
    panel = _open(window)
    profile = window.loaded.profile
    diffuse = next(i for i, f in enumerate(profile.functions) if f.name == "diffuse")
    tree = profile.tree
    node = next(n for n in range(len(tree)) if tree.func[n] == diffuse)
    caller = int(tree.func[tree.parent[node]])  # diffuse runs inside its caller
    assert caller >= 0
    window.tabs.setCurrentIndex(0)
    table = window.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=_row_centre(table, diffuse))
    qtbot.mouseClick(
        table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, pos=_row_centre(table, caller)
    )
    assert sorted(table.selected_functions()) == sorted([diffuse, caller])
    assert sorted(panel.selected_functions()) == sorted([diffuse, caller])
    alone = {f: function_share(profile, [f]).fraction for f in (diffuse, caller)}  # exact totals
    share = function_share(profile, [diffuse, caller])
    both = share.fraction
    assert both == pytest.approx(alone[caller])  # diffuse is inside: counted once
    assert both < alone[caller] + alone[diffuse]
    assert panel.advice.p == pytest.approx(both)
    # A cProfile tree is estimated: the union says so, in the same words as the search.
    assert share.note == UNION_FROM_TREE and panel.advice.p_note == share.note
    assert panel.amdahl.formulas["p"].text().endswith(f"({share.note})")
    assert panel.amdahl.values["p"].text() == pct(both)
    assert panel.amdahl.values["limit"].text() == times(1 / (1 - both))
    calls = sum(profile.functions[f].calls for f in (diffuse, caller))
    assert panel.advice.calls == calls and panel.transfers.values["calls"].text() == f"{calls:,}"
    names = panel.amdahl.values["offload"].text()
    assert "diffuse" in names and profile.functions[caller].name in names
    # The session's GPU measurements still apply; the measured speed-up was for diffuse alone.
    assert panel.advice.kernel_speedup == pytest.approx(load_session(str(H100_SESSION)).advice.kernel_speedup)
    # A click in the flame graph selects one function again, and the advisor follows.
    window.flame.function_selected.emit(caller)
    assert table.selected_functions() == [caller] and panel.selected_functions() == [caller]
    assert panel.advice.p == pytest.approx(alone[caller]) and panel.advice.p_note == ""
    assert not panel.amdahl.formulas["p"].text().endswith(")")


def test_editing_bytes_and_calls_recomputes_the_prediction(qtbot, window):
    panel = _open(window)
    before = panel.advice
    spin = panel.transfers.bytes_spin
    spin.selectAll()
    qtbot.keyClicks(spin.lineEdit(), "3200")  # typed, as a user would: 3,200 MiB per call
    a = panel.advice
    assert a.bytes_per_call == pytest.approx(3200 * MIB)
    assert a.transfer_s_per_call == pytest.approx(3200 * MIB / (a.transfer_gbps * 1e9))
    assert a.predicted_speedup_with_transfers < before.predicted_speedup_with_transfers
    assert panel.transfers.values["predicted"].text() == times(a.predicted_speedup_with_transfers)
    assert panel.transfers.values["transfer"].text() == format_time(a.transfer_s)
    assert panel.transfers.values["be_s"].text() == times(a.break_even_kernel_speedup)
    assert panel.transfers.formulas["bytes"].text() == "entered by hand"
    assert panel.chart.transfer_curve is not None
    assert panel.transfers.bytes_reset.isEnabled()
    qtbot.mouseClick(panel.transfers.bytes_reset, Qt.MouseButton.LeftButton)
    assert panel.advice.to_dict() == before.to_dict()
    panel.transfers.calls_spin.setValue(120)  # ten times the calls: ten times the copies
    assert panel.advice.transfer_s == pytest.approx(10 * before.transfer_s)
    assert panel.transfers.values["transfer"].text() == format_time(panel.advice.transfer_s)
    qtbot.mouseClick(panel.transfers.calls_reset, Qt.MouseButton.LeftButton)
    assert panel.advice.calls == before.calls


def test_a_live_profile_uses_the_kernel_lab_tabs_run_only_when_told_to(window):
    """A profile shown in the window, then a (real, recorded) SAXPY lab run loaded in the Kernel lab tab.

    The heat profile's hotspot is not SAXPY: the advisor refuses the pair until the user says to
    assume it, and then labels the prediction as assumed.
    """
    session = load_session(str(H100_SESSION))
    from gpuprof_gui.core.loaded import prepare

    profile = session.profile
    window.show_loaded(prepare(profile))
    panel = window.advisor
    top = window.table.selected_functions()
    assert panel.selected_functions() == top
    assert panel.advice.p == pytest.approx(function_share(profile, top).fraction)
    assert panel.advice.kernel_speedup is None and panel.gpu_label.isVisibleTo(panel)
    assert window.lab.load_recorded(str(LAB_SAXPY))
    run = lm.load_run(str(LAB_SAXPY))
    assert panel.advice.kernel_speedup is None  # refused: the lab run was not made for this hotspot
    assert panel.fit_row.isVisibleTo(panel) and "SAXPY" in panel.fit_label.text()
    panel.assume_button.click()
    assert panel.advice.kernel_speedup == pytest.approx(lab_inputs(run)["kernel_speedup"])
    assert panel.advice.assumption and "ASSUMED" in panel.headline.text()
    assert panel.assume_button.text() == "Stop assuming"
    assert panel.advice.device == run.device.name
    assert "saxpy.py" in panel.source_label.text()
    assert panel.capacity.value_text("Peak FP32", "gpu") == format_figure_value(
        run.device.to_dict()["peak_fp32_gflops"], "GFLOP/s"
    )
    assert not panel.measured_label.isVisibleTo(panel)  # nothing was measured end to end for this pair


# -- no GPU, bad files ---------------------------------------------------------------------------
def test_no_gpu_session_says_which_figures_need_a_gpu(window, tmp_path):
    panel = _open(window, _no_gpu_session(tmp_path))
    a = panel.advice
    assert a.needs_gpu and a.kernel_speedup is None
    text = panel.gpu_label.text()
    assert panel.gpu_label.isVisible() and text.startswith("Needs a GPU")
    for item in a.needs_gpu:
        assert item in text
    assert NO_DRIVER in text
    assert panel.amdahl.values["p"].text() == pct(a.p)
    assert panel.amdahl.values["limit"].text() == times(a.amdahl_limit)
    assert panel.amdahl.values["s"].text() == DASH and "needs a GPU" in panel.amdahl.formulas["s"].text()
    assert panel.transfers.values["be_time"].text() == DASH
    assert ("Peak FP32", "cpu") in panel.capacity.cells and ("Peak FP32", "gpu") not in panel.capacity.cells
    assert panel.chart.curve is not None and panel.chart.limit_line is not None
    assert panel.chart.candidate_points == [] and panel.chart.note is not None
    assert [s.key for s in panel.teaching.steps] == ["p", "limit", "s"]
    save_shot(window, "advisor_no_gpu")


def test_empty_advisor_is_not_blank(window):
    panel = window.advisor
    window.tabs.setCurrentWidget(panel)
    settle_window(window)
    assert panel.advice is None
    assert panel.gpu_label.isVisible() and "Profile tab" in panel.gpu_label.text()
    assert ("Peak FP32", "cpu") in panel.capacity.cells  # this machine's CPU
    assert panel.teaching.steps[0].key == "start" and panel.chart.note is not None


def test_cpu_copy_bandwidth_is_measured_only_on_demand(qtbot, window, monkeypatch):
    calls = []

    def measured():  # a test double: checks the wiring, never shown as a measurement
        calls.append(1)
        return cap.figure(12.5, "GB/s", "test double")

    monkeypatch.setattr(cap, "measure_copy_gbps", measured)
    panel = window.advisor
    window.tabs.setCurrentWidget(panel)
    settle_window(window)
    assert not calls and panel.capacity.measure_button.isVisible()
    assert panel.capacity.value_text("Memory bandwidth, measured copy", "cpu") == DASH
    qtbot.mouseClick(panel.capacity.measure_button, Qt.MouseButton.LeftButton)
    assert calls == [1]
    assert panel.capacity.value_text("Memory bandwidth, measured copy", "cpu") == "12.5 GB/s"
    assert not panel.capacity.measure_button.isVisible()
    _open(window)  # a recorded session brings its own measurement: nothing to measure here
    assert not panel.capacity.measure_button.isVisible() and calls == [1]


def test_a_damaged_session_file_is_reported_and_the_window_stays_usable(window, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "gpuprof-advice-session", "advice": {"p": 2', encoding="utf-8")
    assert not window.open_advice_session(str(bad))
    assert "broken.json" in window.status_text() and "damaged" in window.status_text()  # the door's sentence
    assert "c62828" in window._status_label.styleSheet()  # shown as an error
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"format": "gpuprof-advice-session", "advice": {"p": 7}}', encoding="utf-8")
    assert not window.open_advice_session(str(wrong))
    assert window.isVisible() and window.advisor.advice is None
    panel = _open(window)  # still works afterwards
    assert panel.advice is not None and "Advisor session" in window.status_text()


# -- teaching view and presentation --------------------------------------------------------------
def test_teaching_view_steps_through_the_explanation(qtbot, window):
    panel = _open(window)
    view = panel.teaching
    assert [s.key for s in view.steps] == [s.key for s in explain(panel.advice)]
    assert [c.isVisible() for c in view.cards] == [True] + [False] * (len(view.cards) - 1)
    assert view.cards[0].value.text() == pct(panel.advice.p)
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    assert view.index == 1 and view.current_step().key == "limit" and view.cards[1].isVisible()
    qtbot.keyClick(panel, Qt.Key.Key_PageDown)
    assert view.index == 2 and view.counter.text() == f"3 / {len(view.steps)}"
    qtbot.mouseClick(panel.amdahl.values["p"], Qt.MouseButton.LeftButton)  # a click on a number
    assert window.focusWidget() is panel  # ... leaves the keys to the panel
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Left)
    assert view.index == 1
    qtbot.keyClick(panel, Qt.Key.Key_PageUp)
    qtbot.keyClick(panel, Qt.Key.Key_PageUp)  # stays at the first step
    assert view.index == 0 and not view.prev_button.isEnabled()
    for _ in view.steps:
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert view.index == len(view.steps) - 1 and not view.next_button.isEnabled()
    assert view.current_step().key == "break_even"
    qtbot.mouseClick(view.all_button, Qt.MouseButton.LeftButton)
    assert all(card.isVisible() for card in view.cards)
    panel.transfers.calls_spin.setValue(24)  # new numbers keep the step in view
    assert view.current_step().key == "break_even" and len(view.cards) == len(view.steps)


def test_presentation_mode_makes_every_advisor_text_large(qtbot, window):
    panel = _open(window)
    action = window.actions_by_id["presentation"]
    assert action.isCheckable() and action.shortcut().toString() == "F11"
    action.trigger()
    settle(qtbot)
    assert panel.presentation
    labels = [w for w in panel.findChildren(QLabel) if w.window() is window]
    assert labels
    small = [(w.text()[:30], w.font().pointSizeF()) for w in labels if w.font().pointSizeF() < 20]
    assert not small, small
    assert panel.teaching.cards[0].value.font().pointSizeF() >= PRESENTATION_PT["big"]
    assert panel.transfers.bytes_spin.font().pointSizeF() >= 20
    assert panel.chart.plot_item.getAxis("bottom").style["tickFont"].pointSizeF() >= 20
    assert all(label.textItem.font().pointSizeF() >= 20 for label in panel.chart.candidate_labels)
    panel.transfers.calls_spin.setValue(24)  # rebuilt step cards keep the projector sizes
    assert panel.teaching.cards[0].value.font().pointSizeF() >= PRESENTATION_PT["big"]
    save_shot(window, "advisor_presentation")
    action.trigger()
    assert not panel.presentation
    assert panel.amdahl.values["p"].font().pointSizeF() < 20


# -- the command line ----------------------------------------------------------------------------
def _gui(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        GPUPROF_RUNS_DIR=str(tmp_path / "runs"),
        HOME=str(tmp_path / "home"),
    )
    env.pop("GPUPROF_SCREENSHOT", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "gui", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_gui_advice_command_writes_a_populated_screenshot(tmp_path):
    shot = tmp_path / "adv.png"
    proc = _gui(tmp_path, "--advice", str(H100_SESSION), "--tab", "advisor", "--screenshot", str(shot))
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(shot))
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    w, h = image.width(), image.height()
    # The chart (upper left): two curves, markers, labels; the capacity table (upper right): text.
    assert distinct_colours(image, 20, int(h * 0.15), int(w * 0.55), int(h * 0.5)) >= 12
    assert distinct_colours(image, int(w * 0.57), int(h * 0.15), w - 20, int(h * 0.6), step=2) >= 8
    # The transfers box (lower left) is filled, not a flat panel.
    assert distinct_colours(image, int(w * 0.29), int(h * 0.6), int(w * 0.55), int(h * 0.95), step=2) >= 8
    shutil.copyfile(shot, SHOTS_DIR / "win_advisor_cli.png")


@pytest.mark.slow
def test_gui_advice_command_with_a_damaged_file_says_why(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json at all", encoding="utf-8")
    shot = tmp_path / "bad.png"
    proc = _gui(tmp_path, "--advice", str(bad), "--screenshot", str(shot))
    assert proc.returncode == 1
    assert "is not a file gpuprof reads" in proc.stderr and "bad.json" in proc.stderr  # the door's sentence
    assert shot.is_file()  # the window came up and was drawn


def test_live_lab_capacity_takes_pcie_from_nvml_of_the_same_gpu(monkeypatch):
    """A lab run on this machine's GPU gets NVML's PCIe figure; a recording of another GPU does not."""
    from gpuprof_gui.core.lab_model import load_run
    from gpuprof_gui.gpu import specs
    from gpuprof_gui.ui.advisor.advisor_state import AdvisorState

    run = load_run(str(Path(__file__).resolve().parents[2] / "data" / "lab" / "lab_saxpy.json"))
    figure = {"value": 63.0, "unit": "GB/s", "formula": "PCIe 5.0: test double of NVML"}
    calls = []

    def fake_facts():
        calls.append(1)
        return {"devices": [{"name": run.device.name, "pcie_max_gbps": figure}], "reason": None}

    monkeypatch.setattr(specs, "device_facts", fake_facts)
    state = AdvisorState()
    state.set_lab_run(run)
    assert state.capacity()["link"]["pcie_max_gbps"] == figure
    state.capacity()
    assert len(calls) == 1  # asked once per device name
    other = load_run(str(Path(__file__).resolve().parents[2] / "data" / "lab" / "lab_saxpy.json"))
    other.device.name = "Some Other GPU"
    state.set_lab_run(other)
    assert state.capacity()["link"]["pcie_max_gbps"]["value"] is None


def test_offload_option_selects_the_function_for_the_advisor(qtbot, window):
    """`gpuprof gui SCRIPT --run --offload diffuse`: once the profile is shown, diffuse is offloaded."""
    from gpuprof_gui.ui.app import _select_offload

    recorded = load_session(str(H100_SESSION))
    shown = []
    window.profile_shown.connect(shown.append)
    window.profile_shown.connect(_select_offload(window, ["diffuse"]))
    from gpuprof_gui.core.flame import layout_for_profile
    from gpuprof_gui.core.hotspots import hotspot_rows
    from gpuprof_gui.ui.shell.profile_loader import LoadedProfile

    window.show_loaded(
        LoadedProfile(recorded.profile, layout_for_profile(recorded.profile), hotspot_rows(recorded.profile), "", 0.0),
        "heat_cpu.py",
    )
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    advice = window.advisor.state.advice()
    assert advice is not None and advice.functions == ["diffuse"]
    # p is diffuse's exact share; the recording read the estimated tree's root as T (0.0035% longer).
    assert advice.p == pytest.approx(function_share(recorded.profile, window.table.selected_functions()).fraction)
    assert advice.p == pytest.approx(recorded.advice.p, rel=1e-4)
    assert [recorded.profile.functions[f].name for f in window.table.selected_functions()] == ["diffuse"]
    window.profile_shown.connect(_select_offload(window, ["no_such_function"]))
    window.show_loaded(
        LoadedProfile(recorded.profile, layout_for_profile(recorded.profile), hotspot_rows(recorded.profile), "", 0.0),
        "heat_cpu.py",
    )
    qtbot.waitUntil(lambda: "no function named 'no_such_function'" in window.status_text(), timeout=10_000)
