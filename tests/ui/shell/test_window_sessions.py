"""Sessions in the window: autosave after real runs, replay elsewhere, lab replay, bad files, a killed app."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from test_window_shell import _drop
from window_support import (
    LOAD_TIMEOUT_MS,
    SCRIPTS_DIR,
    SHOTS_DIR,
    make_window,
    run_script,
    save_shot,
    settle,
    wait_gone,
)

from gpuprof_gui.core.hotspots import hotspot_rows
from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.core.lab_model import load_run
from gpuprof_gui.core.opening import OpenError
from gpuprof_gui.core.session import SESSION_SUFFIX, Session, load_session, save_session
from gpuprof_gui.jobs.lab_runner import LabOutcome
from gpuprof_gui.jobs.opening import open_path
from gpuprof_gui.ui.shell import window_state
from gpuprof_gui.ui.shell.session_io import AUTOSAVE_NAME

pytestmark = pytest.mark.timeout(240)

DATA = SCRIPTS_DIR.parent / "data"
RECORDED = DATA / "lab" / "session_saxpy_h100"
REPO_ROOT = SCRIPTS_DIR.parent.parent
APP_START_S = 90.0
"""Starting a second Python with PySide6 and pyqtgraph, then a run, on a loaded 2-core VM."""

DEMO = '''"""Two functions of known weight; with "rewrite" it overwrites its own file before it ends."""
import sys


def heavy(n):
    k, acc = 0, 1.0
    while k < n:
        acc, k = (acc * 1.000001) % 7.0, k + 1
    return acc


def light(n):
    return sum(range(n))


print("demo output", heavy(300_000), light(1_000))
print("a line on stderr", file=sys.stderr)
if sys.argv[1:] == ["rewrite"]:
    with open(__file__, "w", encoding="utf-8") as fh:
        fh.write("# rewritten while it ran\\n")
'''


def _table_rows(win) -> list[list]:
    """What the hotspot table shows, cell by cell."""
    model = win.table.model()
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def _run_and_autosave(qtbot, win, script, args=()):
    """A real run through the window; returns its outcome and the session file it autosaved."""
    saved = []
    win.sessions.saved.connect(saved.append)
    try:
        outcome = run_script(qtbot, win, script, args)
        path = os.path.join(outcome.output_dir, AUTOSAVE_NAME)
        qtbot.waitUntil(lambda: path in saved, timeout=LOAD_TIMEOUT_MS)
    finally:
        win.sessions.saved.disconnect(saved.append)
    return outcome, path


def _wait_saved(qtbot, win, action) -> str:
    saved = []
    win.sessions.saved.connect(saved.append)
    try:
        action()
        qtbot.waitUntil(lambda: bool(saved), timeout=LOAD_TIMEOUT_MS)
    finally:
        win.sessions.saved.disconnect(saved.append)
    return saved[0]


def _recorded_session(title: str = "recorded") -> Session:
    """A checked-in profile with the lab results and telemetry recorded together on an H100."""
    return Session(
        title=title,
        app_version="test",
        profile=load_profile(DATA / "pstats_sample.prof", trusted=True),
        console=Session.console_record("recorded console\n"),
        lab=load_run(str(RECORDED / "lab_results.json")),
        telemetry=json.loads((RECORDED / "telemetry.json").read_text(encoding="utf-8")),
    )


# -- autosave ----------------------------------------------------------------------------------
def test_a_real_run_autosaves_what_ran_and_what_the_table_shows(qtbot, window, tmp_script):
    script = tmp_script(DEMO, "demo.py")
    outcome, path = _run_and_autosave(qtbot, window, script, ["rewrite"])
    assert outcome.status == "finished", outcome.message
    assert script.read_text(encoding="utf-8").startswith("# rewritten")  # the run changed its own file…
    session = load_session(path)
    assert session.script["text"] == DEMO  # …and the session keeps the code as it was when it started
    assert session.script["args"] == ["rewrite"] and session.script["profiler"] == "cprofile"
    assert session.title == "demo.py"
    version = ".".join(map(str, sys.version_info[:3]))
    assert session.run == {
        "status": "finished",
        "message": outcome.message,
        "exit_code": 0,
        "wall_s": outcome.wall_s,
        "python_version": version,  # the Python that ran it, as its worker said
    }
    assert session.script["python"] == sys.executable
    assert session.console["text"] == window.console.toPlainText()
    assert "demo output" in session.console["text"] and "a line on stderr" in session.console["text"]
    assert hotspot_rows(session.profile) == window.loaded.rows  # the rows the table was given
    assert window.loaded.rows[0]["name"] == "heavy"
    assert not list(Path(path).parent.glob("*.tmp"))  # the atomic write left nothing behind
    assert window.sessions.target == path


def test_failed_runs_are_kept_with_status_and_console(qtbot, window, tmp_path):
    outcome, path = _run_and_autosave(qtbot, window, SCRIPTS_DIR / "raises.py")
    assert outcome.status == "script_error"
    session = load_session(path)
    assert session.run["status"] == "script_error" and session.run["exit_code"] == outcome.script_exit_code
    assert "ValueError: bad value 42" in session.console["text"]
    assert session.profile is not None  # the partial profile survives, as in the window
    outcome, path = _run_and_autosave(qtbot, window, tmp_path / "missing.py")
    assert outcome.status == "could_not_start"
    session = load_session(path)
    assert session.run["message"] == outcome.message and session.profile is None
    assert session.script["text"] is None  # nothing to read: said so, not invented


# -- replay elsewhere --------------------------------------------------------------------------
def test_a_session_saved_on_one_machine_reopens_elsewhere_with_identical_tables(qtbot, tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    first = make_window(qtbot, tmp_path / "a", monkeypatch)
    script = tmp_script_in(tmp_path / "project", "demo.py", DEMO)
    outcome, _autosaved = _run_and_autosave(qtbot, first, script)
    assert outcome.status == "finished", outcome.message
    rows, console = _table_rows(first), first.console.toPlainText()
    moved = tmp_path / "usb stick" / ("demo" + SESSION_SUFFIX)
    moved.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(moved), ""))
    assert _wait_saved(qtbot, first, first.actions_by_id["save_session"].trigger) == str(moved)
    assert "Saved the session" in first.status_text()
    first.close()
    # "Another machine": the script and every run folder are gone, runs go somewhere else.
    shutil.rmtree(tmp_path / "project")
    shutil.rmtree(tmp_path / "a" / "runs")
    (tmp_path / "b").mkdir()
    second = make_window(qtbot, tmp_path / "b", monkeypatch)
    assert window_state.runs_root() == str(tmp_path / "b" / "runs")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(moved), ""))
    second.actions_by_id["open_session"].trigger()
    assert "Replayed session" in second.status_text() and "comes from the session" in second.status_text()
    assert _table_rows(second) == rows and len(rows) >= 3
    assert second.console.toPlainText() == console
    assert second.source.editor.toPlainText() == DEMO  # the code, though the file is gone
    assert second.source.editor.extraSelections()  # with its heat
    assert "(replayed)" in second.windowTitle() and "demo.py" in second.windowTitle()
    assert second.flame.profile is second.loaded.profile
    settle(qtbot, 300)
    save_shot(second, "session_replayed")
    # Open Recent and drag-and-drop take the same way in.
    assert window_state.recent_files(second)[0] == str(moved)
    second.open_path(str(DATA / "pstats_sample.prof"))
    qtbot.waitUntil(lambda: "(replayed)" not in second.windowTitle(), timeout=LOAD_TIMEOUT_MS)
    assert _drop(second, moved)
    assert "(replayed)" in second.windowTitle() and _table_rows(second) == rows
    second.close()


def tmp_script_in(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the kernel lab ----------------------------------------------------------------------------
def test_recorded_lab_and_telemetry_replay_in_the_lab_tab_without_a_gpu(qtbot, window, tmp_path):
    path = tmp_path / ("h100" + SESSION_SUFFIX)
    save_session(_recorded_session("saxpy on the H100"), path)
    assert window.sessions.open(str(path))
    lab, recorded = window.lab, load_run(str(RECORDED / "lab_results.json"))
    assert len(lab.records) == len(recorded.records) == 18
    assert lab.table.model().rowCount() > 0 and "recorded run" in lab.status_label.text()
    assert lab.lab_telemetry.replaying and lab.lab_telemetry.trace is not None
    assert lab.telemetry.band_count() == len({r.candidate for r in recorded.records})
    power_t, _power_w = lab.telemetry.curves["power_w"].getData()
    assert len(power_t) > 100  # the H100's recorded power, not a live sampler (there is no GPU here)
    assert window.advisor.state.lab_run is lab.run_data  # the advisor uses the replayed run too
    assert window.windowTitle().startswith("saxpy on the H100 (replayed)")
    assert window.console.toPlainText() == "recorded console\n"
    window.tabs.setCurrentWidget(lab)
    settle(qtbot, 400)
    save_shot(window, "session_lab_replayed")


def test_a_lab_run_updates_the_session_of_the_run_on_screen(qtbot, window, tmp_script, tmp_path, monkeypatch):
    script = tmp_script(DEMO, "demo.py")
    _outcome, path = _run_and_autosave(qtbot, window, script)
    assert load_session(path).lab is None
    # No GPU here: the lab shows the H100 recording, then says its run finished, as a GPU run does.
    assert window.lab.load_recorded(str(RECORDED / "lab_results.json"), str(RECORDED / "telemetry.json"))
    assert (
        _wait_saved(
            qtbot,
            window,
            lambda: window.lab.run_finished.emit(LabOutcome("finished", "Finished.", run=window.lab.run_data)),
        )
        == path
    )
    session = load_session(path)
    assert len(session.lab.records) == 18 and session.telemetry["devices"]
    assert hotspot_rows(session.profile) == window.loaded.rows
    assert session.advice["format"] == "gpuprof-advice-session" and session.advice["profile"] is None
    advice = window.advisor.advice
    # The advice replays in another window.
    (tmp_path / "other").mkdir()
    other = make_window(qtbot, tmp_path / "other", monkeypatch)
    assert other.sessions.open(path)
    assert other.advisor.state.session is not None
    assert other.advisor.advice.p == pytest.approx(advice.p)
    assert other.advisor.advice.kernel_speedup == pytest.approx(advice.kernel_speedup)
    other.close()


def test_a_lab_run_with_no_profile_run_gets_a_session_of_its_own(qtbot, window):
    assert window.lab.load_recorded(str(RECORDED / "lab_results.json"))
    path = _wait_saved(
        qtbot,
        window,
        lambda: window.lab.run_finished.emit(LabOutcome("finished", "Finished.", run=window.lab.run_data)),
    )
    assert Path(path).parent.parent == Path(window_state.runs_root())
    session = load_session(path)
    assert session.profile is None and len(session.lab.records) == 18
    assert session.title == "saxpy.py (kernel lab)"
    window.lab.run_finished.emit(LabOutcome("no_gpu", "No GPU.", run=None))  # nothing measured: nothing written
    settle(qtbot)
    assert list(Path(window_state.runs_root()).iterdir()) == [Path(path).parent]


# -- bad files ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content, words",
    [
        (lambda good: good[: len(good) // 2], "not valid JSON"),
        (lambda good: good.replace('"version":1', '"version":7', 1), "newer gpuprof-gui"),
        (lambda good: json.dumps({**json.loads(good), "script": {"path": "x.py", "text": 42}}), "wrong type"),
        (
            lambda good: json.dumps(
                {**json.loads(good), "telemetry": {"format": "gpuprof-telemetry-trace", "version": 1, "devices": 3}}
            ),
            "telemetry",
        ),
        (lambda good: json.dumps({**json.loads(good), "advice": {"format": "gpuprof-advice-session"}}), "advice"),
        (lambda good: "\x00garbage", "is not a file gpuprof reads"),
    ],
)
def test_damaged_and_newer_sessions_leave_the_window_as_it_was(qtbot, window, tmp_path, content, words):
    good = tmp_path / ("good" + SESSION_SUFFIX)
    save_session(_recorded_session("good one"), good)
    assert window.sessions.open(str(good))
    title, rows, console = window.windowTitle(), _table_rows(window), window.console.toPlainText()
    bad = tmp_path / ("bad" + SESSION_SUFFIX)
    bad.write_text(content(good.read_text(encoding="utf-8")), encoding="utf-8")
    window.open_path(str(bad))  # as File ▸ Open Recent and a drop do
    status = window.status_text()
    with pytest.raises(OpenError) as refused:  # the door's sentence, the one `gpuprof open` prints
        open_path(str(bad))
    assert words in status and status == str(refused.value), status
    assert window.windowTitle() == title and _table_rows(window) == rows
    assert window.console.toPlainText() == console and len(window.lab.records) == 18
    assert window.sessions.open(str(good))  # the next open works
    assert window.status_text().startswith("Replayed")


def test_save_with_nothing_on_screen_says_so(window, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: pytest.fail("no dialog expected"))
    window.actions_by_id["save_session"].trigger()
    assert "Nothing to save yet" in window.status_text()


# -- the app as a process ----------------------------------------------------------------------
def _app_env(tmp_path: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
        GPUPROF_RUNS_DIR=str(tmp_path / "runs"),
        HOME=str(tmp_path / "home"),
    )
    env.pop("GPUPROF_SCREENSHOT", None)
    (tmp_path / "runtime").mkdir(mode=0o700, exist_ok=True)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _gui(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gpuprof_gui.cli", "gui", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for(predicate, timeout_s: float = APP_START_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return kids


@pytest.mark.slow
def test_killing_the_app_mid_run_loses_no_earlier_run(tmp_path):
    env, runs = _app_env(tmp_path), tmp_path / "runs"
    first_script = tmp_script_in(tmp_path, "first.py", DEMO)
    sleeper = tmp_script_in(
        tmp_path,
        "sleeper.py",
        "import pathlib, time\npathlib.Path(__file__).with_name('started').touch()\ntime.sleep(120)\n",
    )
    first = _gui([str(first_script), "--run"], env, tmp_path)
    try:
        saved = _wait_for(lambda: list(runs.glob(f"*-first/{AUTOSAVE_NAME}")))[0]
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # killed right after its save: the file is whole or absent
        first.wait(30)
    second = _gui([str(sleeper), "--run"], env, tmp_path)
    workers = []
    try:
        _wait_for(lambda: (tmp_path / "started").exists())
        workers = _children(second.pid)
        os.kill(second.pid, signal.SIGKILL)  # mid-run: the sleeper has started and sleeps
        second.wait(30)
    finally:
        for pid in workers:  # the run's worker lives in its own process group; don't leave it behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            assert wait_gone(pid)
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
    session = load_session(saved)  # the earlier run is whole
    raw = load_profile(saved.parent / "profile.prof", trusted=True)
    assert hotspot_rows(session.profile) == hotspot_rows(raw)
    assert session.script["text"] == DEMO and session.run["status"] == "finished"
    assert not list(runs.glob(f"*-sleeper/{AUTOSAVE_NAME}"))  # the killed run never finished: no session
    for leftover in runs.rglob("*.tmp"):  # a save cut short leaves a .tmp, which nothing opens as a session
        assert not leftover.name.endswith(SESSION_SUFFIX)


@pytest.mark.slow
def test_gui_command_line_replays_a_session_and_refuses_a_damaged_one(tmp_path):
    env = _app_env(tmp_path)
    good = tmp_path / ("h100" + SESSION_SUFFIX)
    save_session(_recorded_session("saxpy on the H100"), good)
    shot = tmp_path / "replay.png"
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "gui", str(good), "--screenshot", str(shot)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Replayed session h100" in proc.stderr and shot.is_file()
    shutil.copyfile(shot, SHOTS_DIR / "win_cli_session.png")
    newer = tmp_path / ("newer" + SESSION_SUFFIX)
    newer.write_text('{"format": "gpuprof-session", "version": 2}', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "gui", str(newer), "--screenshot", str(tmp_path / "x.png")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == 1
    assert "newer gpuprof-gui" in proc.stderr and "Traceback" not in proc.stderr
