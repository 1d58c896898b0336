"""The window shows what the Workspace holds: stale results marked, failed runs clear them,
the advisor refuses a lab run made for another function, Compare names runs apart.

Each of these failed on the window before the Workspace: the old profile stayed on
screen undimmed during and after a failed run, the advisor combined a SAXPY lab
run with ``pairwise_distances``, and Compare read "A: profile.prof B: profile.prof".
"""

from __future__ import annotations

import time
from pathlib import Path

from window_support import EXAMPLE_SCALE, RUN_TIMEOUT_MS, run_script, save_shot, settle

from gpuprof_gui.core.session import Session, save_session
from gpuprof_gui.ui.compare import compare_window

DATA = Path(__file__).resolve().parents[2] / "data"
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
LAB_SAXPY = DATA / "lab" / "lab_saxpy.json"  # a real H100 kernel-lab run of SAXPY


def _quick(tmp_path: Path, name: str = "work.py", seconds: float = 0.0) -> Path:
    script = tmp_path / name
    script.write_text(
        "import time\n\ndef work():\n    return sum(i * i for i in range(30000))\n\n"
        f"time.sleep({seconds})\nprint('done', work())\n",
        encoding="utf-8",
    )
    return script


def test_a_failed_run_clears_the_earlier_result(qtbot, window, tmp_path):
    ok = run_script(qtbot, window, _quick(tmp_path), wait_profile=True)
    assert ok.ok and window.loaded is not None and window.flame.profile is not None
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n    pass\n", encoding="utf-8")
    failed = run_script(qtbot, window, broken)
    assert not failed.ok
    # The earlier profile must not pass for this run's result.
    assert window.loaded is None and window.workspace.shown is None
    assert window.flame.profile is None and window.table.model().rowCount() == 0
    assert window.stale_banner.isVisibleTo(window)
    assert "broken.py" in window.stale_banner.text() and "left no profile" in window.stale_banner.text()
    assert "SyntaxError" in window.console.toPlainText()
    save_shot(window, "failed_run_cleared")
    # And the next run works and takes the banner away.
    again = run_script(qtbot, window, _quick(tmp_path, "again.py"), wait_profile=True)
    assert again.ok and window.loaded is not None and not window.stale_banner.isVisibleTo(window)


def test_the_earlier_result_is_marked_stale_while_a_run_goes_on(qtbot, window, tmp_path):
    run_script(qtbot, window, _quick(tmp_path), wait_profile=True)
    assert not window.is_stale_shown()
    window.run_bar.set_script(str(_quick(tmp_path, "slow.py", seconds=1.5)))
    shown = []
    window.profile_shown.connect(shown.append)
    window.start_run()
    try:
        assert window.workspace.stale and window.is_stale_shown()
        text = window.stale_banner.text()
        assert "work.py" in text and "slow.py" in text  # which result is shown, which run is going on
        save_shot(window, "stale_during_run")
        qtbot.waitUntil(lambda: bool(shown), timeout=RUN_TIMEOUT_MS)
    finally:
        window.profile_shown.disconnect(shown.append)
    assert not window.workspace.stale and not window.is_stale_shown()
    assert window.workspace.name.startswith("slow.py ")
    assert window.windowTitle().startswith("slow.py ")


def test_advisor_refuses_a_lab_run_made_for_another_function(qtbot, window, examples_dir):
    script = examples_dir / "hotspots_demo.py"
    run_script(qtbot, window, script, ["--scale", EXAMPLE_SCALE], wait_profile=True)
    profile = window.loaded.profile
    hot = [f for f in range(len(profile.functions)) if profile.functions[f].name == "pairwise_distances"]
    window.select_functions(hot)
    panel = window.advisor
    assert panel.selected_functions() == hot
    assert window.lab.load_recorded(str(LAB_SAXPY))
    advice = panel.advice
    # No "s = 549×" borrowed from SAXPY: the GPU figures stay empty and the banner says why.
    assert advice.kernel_speedup is None and advice.bytes_per_call is None
    assert advice.needs_gpu
    assert panel.fit_row.isVisibleTo(panel)
    assert "SAXPY" in panel.fit_label.text() and "pairwise_distances" in panel.fit_label.text()
    assert "ASSUMED" not in panel.headline.text()
    window.tabs.setCurrentWidget(panel)
    settle(qtbot)
    save_shot(window, "advisor_refuses_unrelated_lab_run")
    # Said explicitly: used, and labelled as an assumption everywhere it shows.
    panel.assume_button.click()
    assert panel.advice.kernel_speedup is not None
    assert "ASSUMED" in panel.headline.text() and "Assumed by you" in panel.fit_label.text()
    assert any("Assumed by you" in note for note in panel.advice.notes)
    # Another selection is another question: the assumption does not carry over.
    other = [f for f in range(len(profile.functions)) if profile.functions[f].name == "smooth"]
    window.select_functions(other)
    assert panel.advice.kernel_speedup is None and not panel.advice.assumption


def test_a_lab_run_that_names_its_function_is_used_without_asking(qtbot, window, tmp_path):
    from gpuprof_gui.core.lab_model import load_run

    run = load_run(str(LAB_SAXPY))
    run.problem = {**run.problem, "offloads": ["work"]}
    window.lab.show_recorded(run)
    run_script(qtbot, window, _quick(tmp_path), wait_profile=True)
    profile = window.loaded.profile
    work = [f for f in range(len(profile.functions)) if profile.functions[f].name == "work"]
    window.select_functions(work)
    window.advisor.set_lab_run(run)
    assert window.advisor.advice.kernel_speedup is not None
    assert not window.advisor.fit_row.isVisibleTo(window.advisor)


def test_compare_names_two_runs_of_one_script_apart(qtbot, window, tmp_path):
    script = _quick(tmp_path)
    first = run_script(qtbot, window, script, wait_profile=True)
    time.sleep(1.1)  # the names differ by their start time, to the second
    run_script(qtbot, window, script, wait_profile=True)
    with qtbot.waitSignal(window.compare.compared, timeout=RUN_TIMEOUT_MS):
        assert compare_window.compare_with(window, first.profile_path)
    header = window.compare.header.text()
    assert "profile.prof" not in header
    a_name = header.split("A: ", 1)[1].split(" (", 1)[0]
    b_name = header.split("B: ", 1)[1].split(" (", 1)[0]
    assert a_name.startswith("work.py ") and b_name.startswith("work.py ") and a_name != b_name, header


def test_opening_a_file_clears_the_last_runs_console_and_timer(qtbot, window, tmp_path):
    outcome = run_script(qtbot, window, _quick(tmp_path), wait_profile=True)
    assert "done" in window.console.toPlainText() and window.run_bar.elapsed_label.text()
    shown = []
    window.profile_shown.connect(shown.append)
    window.open_profile(str(DATA / "sample.prof") if (DATA / "sample.prof").exists() else outcome.profile_path)
    qtbot.waitUntil(lambda: bool(shown), timeout=RUN_TIMEOUT_MS)
    assert window.console.toPlainText() == "" and window.run_bar.elapsed_label.text() == ""


def test_a_replayed_scalene_session_says_scalene_in_the_profiler_box(qtbot, window, tmp_path):
    from gpuprof_gui.core.importers import load_profile

    script = _quick(tmp_path)
    outcome = run_script(qtbot, window, script, wait_profile=True)
    session = Session(
        title="replayed",
        script=Session.script_record(str(script), [], "scalene"),
        run={"status": "finished", "message": "Finished", "wall_s": 2.5},
        profile=load_profile(outcome.profile_path, trusted=True),
    )
    path = tmp_path / "scalene.gpuprof-session.json"
    save_session(session, str(path))
    window.run_bar.set_profiler("cprofile")
    assert window.sessions.open(str(path))
    assert window.run_bar.profiler == "scalene"
    assert window.run_bar.elapsed_label.text() == "2.5 s"


def test_the_windows_door_opens_what_gpuprof_export_opens(qtbot, window, tmp_path):
    """An advisor session and kernel-lab results open through File ▸ Open / a drop, as in `gpuprof export`."""
    from gpuprof_gui.core.opening import Kind, what_is

    advice = DATA / "advisor" / "session_heat_h100.json"
    assert what_is(str(advice)) is Kind.ADVICE_SESSION
    assert window.open_path(str(advice)) is Kind.ADVICE_SESSION
    assert not window.status_is_error() and window.loaded is not None
    assert window.workspace.provenance.kind == "advice"
    assert window.open_path(str(LAB_SAXPY)) is Kind.LAB_RESULTS
    assert window.tabs.currentWidget() is window.lab and window.lab.run_data is not None
    empty = tmp_path / "empty.prof"
    empty.write_bytes(b"")
    assert window.open_path(str(empty)) is None and window.status_is_error()
    assert window.status_text().startswith(str(empty))
