"""The kernel-lab panel without a GPU: the reason shown, bundled files described by a real worker,
recorded runs replayed into table, charts and telemetry bands, a live run driven by a test double,
and the ``gui --screenshot`` command with a recorded lab run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.gpu.install_hint import lab_unavailable_reason
from gpuprof_gui.jobs.lab_runner import LabOutcome, cupy_missing_reason
from gpuprof_gui.ui.lab.lab_files import parse_sizes
from gpuprof_gui.ui.lab.lab_panel import LabPanel
from gpuprof_gui.ui.lab.lab_source import CandidateSource
from gpuprof_gui.ui.lab.lab_telemetry import record_bands
from gpuprof_gui.workers.kernel_worker_build import format_compile_log

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parents[2] / "data"
# Recorded on a GPU by tools/gpu_suite.py (lab_<example>.json, device and date inside).
LAB_DIR = Path(os.environ.get("GPUPROF_TEST_LAB_DIR", DATA / "lab"))
TRACE = DATA / "gpu" / "telemetry_h100.json"
DESCRIBE_TIMEOUT_MS = 60_000


def _recorded_results() -> Path | None:
    files = sorted(LAB_DIR.glob("lab_*.json"))
    preferred = [f for f in files if f.name == "lab_saxpy.json"]
    return (preferred or files or [None])[0]


RECORDED = _recorded_results()
needs_recorded = pytest.mark.skipif(
    RECORDED is None,
    reason="no recorded lab results (tests/data/lab/lab_*.json, made by tools/gpu_suite.py on a GPU) checked in yet",
)


def _selected_size_records(panel: LabPanel) -> list[lm.LabRecord]:
    return [r for r in panel.records if r.size == panel.size_combo.currentData()]


# -- no GPU --------------------------------------------------------------------------------------
def test_no_gpu_reason_is_shown_and_run_is_disabled(panel, qtbot):
    reason = lab_unavailable_reason() or cupy_missing_reason()
    if reason is None:
        pytest.skip("this machine can run the kernel lab")
    panel.show()
    qtbot.waitUntil(lambda: bool(panel.candidate_list.names()), timeout=DESCRIBE_TIMEOUT_MS)
    assert panel.banner.isVisible() and reason in panel.banner.text()
    assert "Load run…" in panel.banner.text()
    assert not panel.run_button.isEnabled() and not panel.source.run_button.isEnabled()
    assert panel.load_button.isEnabled()
    assert panel.start_run() is False
    assert "Cannot run here" in panel.status_label.text()
    assert not panel.controller.running
    assert "cupy" not in sys.modules  # the GUI process never imports CuPy


def test_bundled_file_is_described_by_a_worker_and_sources_shown(panel, qtbot):
    panel.show()
    qtbot.waitUntil(lambda: bool(panel.candidate_list.names()), timeout=DESCRIBE_TIMEOUT_MS)
    assert os.path.basename(panel.file_path) == "saxpy.py"
    names = panel.candidate_list.names()
    assert {"elementwise", "raw_naive", "raw_float4_gridstride", "cupy"} <= set(names)
    assert parse_sizes(panel.sizes_edit.text()) == [1 << 20, 1 << 24, 1 << 27]
    panel.candidate_list.select("raw_float4_gridstride")
    assert "__global__ void saxpy4gs" in panel.source.text()
    assert not panel.source.editor.isReadOnly()
    panel.candidate_list.select("cupy")  # Python: shown from the file, not editable here
    assert "def plain(cp, a, x, y)" in panel.source.text()
    assert panel.source.editor.isReadOnly()
    # Another bundled file replaces the list.
    index = panel.file_combo.findText("matmul.py")
    panel.file_combo.setCurrentIndex(index)
    panel.file_combo.activated.emit(index)
    qtbot.waitUntil(lambda: "raw_tiled32" in panel.candidate_list.names(), timeout=DESCRIBE_TIMEOUT_MS)


def test_compiler_errors_are_listed_and_their_lines_marked(qtbot):
    source = CandidateSource()
    qtbot.addWidget(source)
    cand = {
        "name": "k",
        "kind": "raw",
        "editable": True,
        "line": 5,
        "source": '\nextern "C" __global__ void k(float* o) {\n    o[0] = oops;\n}\n',
    }
    nvrtc_log = (
        '/tmp/tmpab12/kern.cu(3): error: identifier "oops" is undefined\n\n'
        '1 error detected in the compilation of "kern.cu".'
    )
    error = format_compile_log(nvrtc_log)
    source.show_candidate(cand, None, error=error)
    assert source.error_lines == [3]
    assert 'identifier "oops" is undefined' in source.errors.toPlainText()
    source.editor.setPlainText(source.text().replace("oops", "1.0f"))
    assert source.is_edited() and source.revert_button.isEnabled()
    with qtbot.waitSignal(source.run_edited) as sig:
        source.run_button.click()
    assert sig.args[0] == "k" and "1.0f" in sig.args[1]


def test_sizes_are_parsed_with_plain_messages():
    assert parse_sizes("1048576, 16_777_216 4096") == [1048576, 16777216, 4096]
    with pytest.raises(ValueError, match="'1e6' is not a positive whole number"):
        parse_sizes("1e6")


# -- recorded runs -------------------------------------------------------------------------------
@needs_recorded
def test_recorded_run_fills_table_charts_and_bands(panel, qtbot):
    run = lm.load_run(str(RECORDED))
    panel.show()
    assert panel.load_recorded(str(RECORDED), str(TRACE))
    assert panel.table.rowCount() == len(run.records)
    chosen = _selected_size_records(panel)
    assert panel.size_combo.currentData() == max(r.size for r in run.records)
    assert panel.times_chart.bar_count() == sum(1 for r in chosen if r.median_ms)
    assert len(panel.roofline.points) == sum(1 for r in chosen if r.gflops and r.flops and r.bytes_moved) > 0
    assert {lbl.toPlainText().split(" (")[0] for lbl in panel.roofline.point_labels} <= {r.candidate for r in chosen}
    assert panel.roofline.ceiling_items  # the device's roof and the measured copy line
    candidates_run = len({r.candidate for r in run.records})
    assert panel.telemetry.band_count() >= candidates_run  # one band per candidate, plus the trace's own
    assert run.device.name in panel.status_label.text()
    # Selecting a row selects its candidate and shows its source.
    panel.table.selectRow(0)
    name = panel.table.item(0, 0).text()
    assert panel.source.name == name
    assert panel.candidate_list.status_of(name)
    # Another size redraws the charts from that size's records.
    panel.size_combo.setCurrentIndex(0)
    assert panel.times_chart.bar_count() == sum(1 for r in _selected_size_records(panel) if r.median_ms)


@needs_recorded
def test_recorded_run_without_trace_still_draws_bands(panel):
    run = lm.load_run(str(RECORDED))
    assert panel.load_recorded(str(RECORDED))
    assert panel.lab_telemetry.trace is None
    assert panel.telemetry.band_count() == len(record_bands(run.records, 0.0, wall=True)) >= 1
    assert "no telemetry trace" in panel.status_label.text()


def test_loading_a_file_that_is_not_a_lab_run_says_so(panel, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"format": "something-else"}')
    assert panel.load_recorded(str(bad)) is False
    assert "is not a file gpuprof reads" in panel.status_label.text()  # the door's sentence, as in the CLI


def test_record_bands_merge_one_candidate_across_sizes():
    recs = [
        lm.LabRecord("a", 1, start_wall=10.0, end_wall=11.0),
        lm.LabRecord("a", 2, start_wall=11.0, end_wall=12.5),
        lm.LabRecord("b", 1, start_wall=12.5, end_wall=13.0),
        lm.LabRecord("c", 1),
    ]  # c: never timed
    bands = record_bands(recs, 10.0, wall=True)
    assert [(b["label"], b["t_begin"], b["t_end"]) for b in bands] == [("a", 0.0, 2.5), ("b", 2.5, 3.0)]


# -- a live run, driven by a test double of run_lab ----------------------------------------------
class FakeRunLab:
    """TEST DOUBLE for lab_runner.run_lab: replays recorded records with a delay; honours cancel."""

    def __init__(self, run: lm.LabRun, delay_s: float, gate: threading.Event | None = None) -> None:
        self.run, self.delay_s, self.gate = run, delay_s, gate
        self.specs = []

    def __call__(self, spec, on_record=None, cancel=None, on_stderr=None) -> LabOutcome:
        self.specs.append(spec)
        sent = []
        for i, rec in enumerate(self.run.records):
            if self.gate is not None and i == 2:
                self.gate.wait(10)  # hold the run here until the test has looked
            if cancel is not None and cancel.is_set():
                return LabOutcome(
                    "cancelled",
                    "Cancelled; the worker was stopped.",
                    lm.LabRun(device=self.run.device, problem=self.run.problem, records=sent),
                )
            time.sleep(self.delay_s)
            sent.append(rec)
            on_record(rec)
        return LabOutcome(
            "finished",
            f"{len(sent)} results from 1 worker(s).",
            lm.LabRun(device=self.run.device, problem=self.run.problem, records=sent),
        )


def _ready_for_fake_runs(panel: LabPanel, fake: FakeRunLab) -> None:
    assert panel.load_recorded(str(RECORDED))
    panel.unavailable_reason = None  # the double needs no GPU
    panel._show_availability()
    panel.controller.run_fn = fake


@needs_recorded
def test_fake_run_shows_rows_live_and_cancel_stops_it(panel, qtbot):
    run = lm.load_run(str(RECORDED))
    if len(run.records) < 4:
        pytest.skip("the recorded run is too short to cancel midway")
    gate = threading.Event()
    fake = FakeRunLab(run, delay_s=0.01, gate=gate)
    _ready_for_fake_runs(panel, fake)
    panel.show()
    assert panel.start_run()
    assert panel.table.rowCount() == 0 and not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=5000)
    running = [n for n in panel.candidate_list.names() if "running" in panel.candidate_list.status_of(n)]
    assert len(running) == 1
    assert "2 of" in panel.status_label.text()
    with qtbot.waitSignal(panel.run_finished, timeout=10_000) as sig:
        panel.cancel_button.click()
        gate.set()
    assert sig.args[0].status == "cancelled"
    assert panel.table.rowCount() == 2
    assert "Cancelled" in panel.status_label.text()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert not any("running" in panel.candidate_list.status_of(n) for n in panel.candidate_list.names())
    assert parse_sizes(panel.sizes_edit.text()) == fake.specs[0].sizes


@needs_recorded
def test_fake_run_to_the_end_and_run_edited(panel, qtbot):
    run = lm.load_run(str(RECORDED))
    fake = FakeRunLab(run, delay_s=0.0)
    _ready_for_fake_runs(panel, fake)
    with qtbot.waitSignal(panel.run_finished, timeout=10_000):
        panel.run_shortcut.activated.emit()  # Ctrl+Shift+R
    assert panel.table.rowCount() == len(run.records)
    assert panel.times_chart.bar_count() > 0 and panel.roofline.points
    # Records arrive smallest size first; the charts end on the largest (the steady state).
    assert panel.size_combo.currentData() == max(r.size for r in run.records)
    editable = next((c for c in panel.candidates if c.get("editable") and c.get("kind") == "raw"), None)
    if editable is None:
        pytest.skip("the recorded file has no raw kernel to edit")
    panel.candidate_list.select(editable["name"])
    panel.source.editor.setPlainText(panel.source.text() + "\n// edited\n")
    with qtbot.waitSignal(panel.run_finished, timeout=10_000):
        panel.source.run_button.click()
    spec = fake.specs[-1]
    assert spec.candidates == [editable["name"]]
    assert spec.source_overrides[editable["name"]].endswith("// edited\n")


# -- the screenshot command ----------------------------------------------------------------------
@needs_recorded
def test_gui_screenshot_shows_a_recorded_lab_run(tmp_path):
    shot = tmp_path / "lab.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "gui",
            "--lab-results",
            str(RECORDED),
            "--lab-trace",
            str(TRACE),
            "--screenshot",
            str(shot),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1600, 1000)
    # Populated: a blank or half-drawn window has a few colours; table, charts and plots have hundreds.
    colours = {image.pixel(x, y) for x in range(0, 1600, 4) for y in range(0, 1000, 4)}
    assert len(colours) > 200
    assert "results" in proc.stderr


def test_gui_screenshot_with_a_bad_lab_file_fails(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "gui",
            "--lab-results",
            str(bad),
            "--screenshot",
            str(tmp_path / "x.png"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "is a profile, not kernel-lab results" in proc.stderr  # the door's sentence


SESSION = Path(__file__).resolve().parents[2] / "data" / "lab" / "session_saxpy_h100"


def test_recorded_session_bands_fall_on_its_own_telemetry(panel):
    # Results and trace recorded together in the real window on an H100 (tools/gpu_window.sh):
    # every candidate's band lies inside the trace, once, and the trace really moved.
    assert panel.load_recorded(str(SESSION / "lab_results.json"), str(SESSION / "telemetry.json"))
    run = lm.load_run(str(SESSION / "lab_results.json"))
    assert "outside" not in panel.telemetry.info_label.text()
    assert panel.telemetry.band_count() == len({r.candidate for r in run.records})
    power_t, power_w = panel.telemetry.curves["power_w"].getData()
    assert len(power_t) > 100 and np.nanmax(power_w) > 2 * np.nanmin(power_w)  # idle vs kernels


def test_live_sampling_rate_is_chosen_in_the_window(panel):
    panel.show()  # showing the tab starts live sampling (here: a sampler that finds no GPU)...
    if panel.lab_telemetry.replaying:  # ...unless it shows a recorded run (without a GPU: the bundled one)
        panel.lab_telemetry.start_live()  # as a run does
    assert panel.lab_telemetry.sampler is not None and panel.lab_telemetry.sampler.hz == 10
    panel.telemetry.rate_spin.setValue(25)
    panel.telemetry.rate_spin.editingFinished.emit()
    assert panel.lab_telemetry.sampler.hz == 25
