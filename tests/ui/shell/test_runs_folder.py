"""The runs folder: the oldest runs are pruned (never the one on screen), an unwritable folder is one sentence."""

from __future__ import annotations

import errno
import io
import os
import shutil

from window_support import LOAD_TIMEOUT_MS, SCRIPTS_DIR

from gpuprof_gui.ui.shell import window_state

DATA = SCRIPTS_DIR.parent / "data"


def _runs(root, *names, size: int = 10):
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "console.log").write_bytes(b"x" * size)


def test_the_oldest_runs_beyond_the_limit_are_pruned_but_not_the_kept_one(tmp_path):
    root = tmp_path / "runs"
    names = [f"2024010{i}-120000-demo" for i in range(1, 6)]  # oldest first
    _runs(root, *names)
    (root / "my notes").mkdir()  # not a run folder: never touched
    removed = window_state.prune_runs(str(root), keep=[str(root / names[0])], max_runs=3)
    assert removed == [str(root / names[1])]
    assert sorted(p.name for p in root.iterdir()) == sorted([names[0], *names[2:], "my notes"])


def test_runs_beyond_the_size_limit_are_pruned(tmp_path):
    root = tmp_path / "runs"
    names = [f"2024010{i}-120000-demo" for i in range(1, 5)]
    _runs(root, *names, size=1000)
    window_state.prune_runs(str(root), max_runs=100, max_bytes=2500)
    assert sorted(p.name for p in root.iterdir()) == names[2:]


def test_a_new_run_prunes_old_runs_but_never_the_run_on_screen(qtbot, window, monkeypatch):
    root = window_state.runs_root()
    from pathlib import Path

    shown_dir, other = Path(root) / "20200101-000000-shown", Path(root) / "20200102-000000-other"
    _runs(Path(root), shown_dir.name, other.name)
    prof = shown_dir / "profile.prof"
    shutil.copyfile(DATA / "pstats_sample.prof", prof)
    with qtbot.waitSignal(window.profile_shown, timeout=LOAD_TIMEOUT_MS):
        window.open_path(str(prof))
    monkeypatch.setattr(window_state, "KEEP_RUNS", 1)
    new = window_state.new_run_dir("demo.py", keep=window_state.shown_run_dirs(window))
    assert Path(new).is_dir() and shown_dir.is_dir() and not other.exists()


def test_a_runs_folder_under_a_file_still_runs_and_says_where(qtbot, window, tmp_path, monkeypatch):
    """Nothing is lost: the run goes to a temporary folder and the status bar says why and where."""
    (tmp_path / "plain").write_text("x")
    monkeypatch.setenv(window_state.RUNS_DIR_ENV, str(tmp_path / "plain" / "runs"))
    window.set_script(str(SCRIPTS_DIR / "quick.py"))
    with qtbot.waitSignal(window.profile_shown, timeout=60_000):
        window.start_run()
    status = window.status_text()
    assert "plain" in status and "temporary folder" in status, status
    assert window.loaded is not None


class _FullDisk(io.BytesIO):
    """The console log on a full disk: every write fails with ENOSPC."""

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_run_folder_is_one_sentence_and_keeps_the_output_and_profile(
    qtbot, window, tmp_path, monkeypatch, capfd
):
    """Log and raw profile cannot be written: the output stays on screen, the profile in a temporary folder."""
    from gpuprof_gui.ui.profile import console

    run_dir = tmp_path / "run"
    (run_dir / "profile.prof").mkdir(parents=True)  # the raw profile cannot be written there
    monkeypatch.setattr(window_state, "new_run_dir_said", lambda script, keep=(), host=None: (str(run_dir), None))
    monkeypatch.setattr(console, "open", lambda path, mode: _FullDisk(), raising=False)
    window.set_script(str(SCRIPTS_DIR / "big_output.py"))
    window.run_bar.set_args(["2"])
    with qtbot.waitSignal(window.profile_shown, timeout=60_000):
        window.start_run()
    status = window.status_text()
    assert f"The console log {run_dir / 'output.log'} could not be written (the disk is full)" in status, status
    assert f"The run folder {run_dir} could not be written" in status, status
    assert "temporary folder" in status
    assert window.loaded is not None and not window.loaded.path.startswith(str(run_dir))
    text = window.console.toPlainText()
    assert text.count("could not be written (the disk is full)") == 1
    assert "Traceback" not in capfd.readouterr().err
