"""The window's workers and processes: planted modules, signals, escaping children."""

from __future__ import annotations

import cProfile
import os
import signal
import subprocess
import sys
import time

import pytest
from window_support import LOAD_TIMEOUT_MS, RUN_TIMEOUT_MS, SCRIPTS_DIR, pid_alive, wait_gone

from gpuprof_gui.ui.shell.session_io import AUTOSAVE_NAME

REPO_ROOT = SCRIPTS_DIR.parents[1]

pytestmark = pytest.mark.timeout(240)


def test_opening_a_profile_does_not_run_a_planted_module(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "downloads"
    folder.mkdir()
    cProfile.run("sum(range(1000))", str(folder / "x.prof"))
    (folder / "argparse.py").write_text(
        "import os\nopen(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'MARKER'), 'w').write('ran')\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(folder)
    shown: list = []
    window.profile_shown.connect(shown.append)
    window.open_path("x.prof")
    qtbot.waitUntil(lambda: bool(shown) or window.status_is_error(), timeout=LOAD_TIMEOUT_MS)
    assert not (folder / "MARKER").exists()
    assert shown, window.status_text()


def test_cancel_stops_a_daemon_the_script_started(qtbot, window, tmp_path):
    pid_file = tmp_path / "daemon.pid"
    window.run_bar.set_script(str(SCRIPTS_DIR / "daemonizes.py"))
    window.run_bar.set_args([str(pid_file), "hang"])
    window.start_run()
    qtbot.waitUntil(lambda: pid_file.exists() and bool(pid_file.read_text().strip()), timeout=RUN_TIMEOUT_MS)
    daemon = int(pid_file.read_text())
    try:
        with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
            window.actions_by_id["cancel"].trigger()
        assert blocker.args[0].status == "cancelled"
        assert wait_gone(daemon), "the daemon outlived the cancel"
    finally:
        if pid_alive(daemon):
            os.kill(daemon, signal.SIGKILL)


def test_sigterm_closes_the_window_like_quit(tmp_path):
    """`kill` of the window (or a script signalling it) closes it cleanly: exit 0, no run left."""
    runs = tmp_path / "runs"
    pid_file = tmp_path / "child.pid"
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO_ROOT),
        QT_QPA_PLATFORM="offscreen",
        GPUPROF_RUNS_DIR=str(runs),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    script = SCRIPTS_DIR / "child_outlives.py"
    gui = subprocess.Popen(
        [sys.executable, "-m", "gpuprof_gui.cli", "gui", str(script), "--run", "--", str(pid_file), "hang"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
            assert gui.poll() is None, gui.stdout.read() if gui.stdout else ""
            time.sleep(0.1)
        child = int(pid_file.read_text())
        gui.send_signal(signal.SIGTERM)
        out, _ = gui.communicate(timeout=60)
    finally:
        if gui.poll() is None:
            gui.kill()
            gui.wait()
    assert gui.returncode == 0, out.decode(errors="replace")
    assert wait_gone(child), "the script's child outlived the window"
    assert list(runs.glob(f"*/{AUTOSAVE_NAME}")), "the run's session was not kept"


def test_closing_during_a_run_keeps_its_session_before_close_returns(qtbot, window, tmp_path):
    """The window's event loop may never run again after close(): the run's record is written by then."""
    pid_file = tmp_path / "child.pid"
    window.run_bar.set_script(str(SCRIPTS_DIR / "child_outlives.py"))
    window.run_bar.set_args([str(pid_file), "hang"])
    window.start_run()
    qtbot.waitUntil(lambda: pid_file.exists() and bool(pid_file.read_text().strip()), timeout=RUN_TIMEOUT_MS)
    child = int(pid_file.read_text())
    folder = window.current_run.output_dir
    window.close()  # no event processing between this and the checks
    assert os.path.isfile(os.path.join(folder, AUTOSAVE_NAME)), os.listdir(folder)
    assert window.current_run is None
    assert wait_gone(child), "the script's child outlived the window"


def test_runs_folder_that_is_a_file_says_so_and_runs_in_a_temporary_folder(qtbot, window, tmp_path, monkeypatch):
    from window_support import run_script

    from gpuprof_gui.ui.shell import window_state

    bad = tmp_path / "runs-is-a-file"
    bad.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(window_state.RUNS_DIR_ENV, str(bad))
    statuses: list[str] = []
    window.run_bar.set_script(str(SCRIPTS_DIR / "quick.py"))
    original = window.set_status

    def record(text, *args, **kw):
        statuses.append(text)
        return original(text, *args, **kw)

    monkeypatch.setattr(window, "set_status", record)
    outcome = run_script(qtbot, window, SCRIPTS_DIR / "quick.py")
    assert outcome.status == "finished", outcome.message
    said = [s for s in statuses if "is a file" in s]
    assert said and str(bad) in said[0] and "temporary folder" in said[0], statuses
    assert outcome.output_dir and os.path.isdir(outcome.output_dir) and not outcome.output_dir.startswith(str(bad))
    assert "is a file" in window.status_text()  # still said once the run has ended


def test_a_profile_missing_the_scripts_thread_time_says_so_in_the_status_bar(qtbot, window):
    window.run_bar.set_script(str(SCRIPTS_DIR / "busy_thread.py"))
    window.run_bar.set_args([])
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.start_run()
    assert blocker.args[0].status == "finished", blocker.args[0].message
    assert "profiles only the main thread" in window.status_text()
