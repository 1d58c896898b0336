"""The run bar's Python: the script's project environment is found, shown, used, and kept per folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from window_support import run_script, save_shot, settle

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCRIPT = """\
import sys
from tabulate import tabulate


def work(n):
    return tabulate([[i, i * i, str(i)] for i in range(n)])


import time

t0 = time.time()
while time.time() - t0 < 1.5:  # long enough for Scalene to sample
    text = work(1500)
print("ran under", sys.version.split()[0], len(text))
"""


@pytest.fixture
def project(tmp_path, user_venv) -> Path:
    """A project whose .venv (made now) holds tabulate, which the app's Python lacks."""
    assert importlib.util.find_spec("tabulate") is None
    python = user_venv(("tabulate", "scalene"))
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (folder / ".venv").symlink_to(Path(python).parent.parent, target_is_directory=True)
    (folder / "uses_tabulate.py").write_text(SCRIPT, encoding="utf-8")
    return folder


@pytest.mark.parametrize("profiler", ["cprofile", "py-spy", "scalene"])
def test_the_projects_venv_is_shown_and_runs_the_script(qtbot, window, project, profiler):
    script = project / "uses_tabulate.py"
    window.run_bar.set_script(str(script))
    button = window.run_bar.python_button
    assert button.text() == "Python: .venv"
    assert "from ./.venv" in button.toolTip() and str(project / ".venv") in button.toolTip()
    outcome = run_script(qtbot, window, script, profiler=profiler, wait_profile=True)
    assert outcome.status == "finished", outcome.message
    assert outcome.python_version and outcome.python_version.count(".") == 2
    rows = [window.loaded.profile.functions[r["func"]] for r in window.loaded.rows]
    if profiler == "scalene":  # Scalene profiles the script's own file unless told otherwise
        assert "work" in {rec.name for rec in rows}
    else:
        assert any("/tabulate/" in (rec.file or "") for rec in rows), [rec.file for rec in rows][:10]
    assert "ran under" in window.console.toPlainText()
    settle(qtbot)
    save_shot(window, f"run-bar-python-venv-{profiler}")


def test_the_apps_own_python_cannot_import_the_projects_package(qtbot, window, project):
    script = project / "uses_tabulate.py"
    window.run_bar.set_script(str(script))
    window.run_bar.python_button.set_choice("app", announce=True)
    assert window.run_bar.python_button.text() == "Python: app's own"
    outcome = run_script(qtbot, window, script)
    assert outcome.status == "script_error", outcome.message
    assert "No module named 'tabulate'" in window.console.toPlainText()


def test_the_choice_is_kept_for_the_scripts_folder(qtbot, window, project, tmp_path):
    script = project / "uses_tabulate.py"
    other = tmp_path / "elsewhere" / "x.py"
    other.parent.mkdir()
    other.write_text("print(1)\n", encoding="utf-8")
    button = window.run_bar.python_button
    window.run_bar.set_script(str(script))
    button.set_choice("app", announce=True)
    window.run_bar.set_script(str(other))
    assert button.choice == "auto"
    window.run_bar.set_script(str(script))
    assert button.choice == "app"
    window.run_bar.set_script(str(other))
    chosen = str(Path(button.interpreter().path))
    button.set_choice(str(project / ".venv" / "bin" / "python"), announce=True)
    assert button.text() == "Python: .venv" and button.interpreter().reason == "chosen"
    assert str(project / ".venv" / "bin" / "python") in button.recent
    assert chosen  # the app's own before the choice


def test_a_python_that_is_gone_says_so_in_one_sentence(qtbot, window, project, tmp_path):
    script = project / "uses_tabulate.py"
    window.run_bar.set_script(str(script))
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    window.run_bar.python_button.set_choice(str(fake), announce=True)
    outcome = run_script(qtbot, window, script)
    assert outcome.status == "could_not_start"
    assert f"{fake} did not answer as a Python 3 does" in window.status_text()
    assert window.isVisible()


@pytest.mark.parametrize(("choice", "said"), [("venv", "(Finished in"), ("app", "No module named 'tabulate'")])
def test_gpuprof_gui_python_option_picks_the_python(project, tmp_path, choice, said):
    """`gpuprof-gui script --python ...`: the command line's choice wins over the folder's."""
    import os
    import subprocess
    import sys

    python = str(project / ".venv" / "bin" / "python") if choice == "venv" else "app"
    shot = tmp_path / "shot.png"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
        GPUPROF_RUNS_DIR=str(tmp_path / "runs"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    command = [sys.executable, "-m", "gpuprof_gui.cli", "gui", "uses_tabulate.py", "--python", python]
    done = subprocess.run(
        [*command, "--run", "--screenshot", str(shot)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert shot.exists(), done.stdout + done.stderr
    assert said in done.stderr, done.stdout + done.stderr  # the screenshot line says how the run ended
