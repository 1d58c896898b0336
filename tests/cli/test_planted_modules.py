"""Code planted in the current folder never runs in a worker (workers start with ``python -P``)."""

from __future__ import annotations

import cProfile
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(180)

PLANTED = (
    "import os\n"
    "open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'MARKER'), 'w').write('ran')\n"
    "raise SystemExit('planted module ran')\n"
)


def planted_folder(tmp_path: Path) -> Path:
    """A folder holding a downloaded profile and a planted ``argparse.py``."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    cProfile.run("sum(range(1000))", str(folder / "x.prof"))
    (folder / "argparse.py").write_text(PLANTED, encoding="utf-8")
    return folder


def gpuprof(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # -P: as the installed `gpuprof` command, whose own sys.path does not hold the current folder.
    return subprocess.run(
        [sys.executable, "-P", "-m", "gpuprof_gui.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=170,
    )


def test_open_does_not_run_a_planted_module(tmp_path):
    folder = planted_folder(tmp_path)
    res = gpuprof("open", "x.prof", cwd=folder)
    assert not (folder / "MARKER").exists()
    assert res.returncode == 0, res.stderr
    assert "builtins.sum" in res.stdout


def test_profile_does_not_run_a_planted_module_and_the_script_imports_its_siblings(tmp_path):
    folder = planted_folder(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "helper.py").write_text("def answer():\n    return 42\n", encoding="utf-8")
    (project / "main.py").write_text("import helper\nprint('answer', helper.answer())\n", encoding="utf-8")
    res = gpuprof("profile", str(project / "main.py"), cwd=folder)
    assert not (folder / "MARKER").exists()
    assert res.returncode == 0, res.stderr
    assert "answer 42" in res.stdout


def test_scalene_profile_does_not_run_a_planted_module(tmp_path):
    """Scalene's launcher used to start a second, plain `python -m scalene`, with the current folder first."""
    pytest.importorskip("scalene")
    folder = planted_folder(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text("import sys\nprint('first on the path:', sys.path[0])\n", encoding="utf-8")
    res = gpuprof("profile", "--profiler", "scalene", str(project / "main.py"), cwd=folder)
    assert not (folder / "MARKER").exists(), res.stderr
    assert "planted module ran" not in res.stderr
    assert "first on the path:" in res.stdout, res.stderr
