"""Which Python runs a script (core/interpreter.py): the project's, found as an IDE finds it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gpuprof_gui.core.interpreter import APP_REASON, detect, project_root, shebang_python


def fake_env(folder: Path, conda: bool = False) -> str:
    """A folder that looks like a virtualenv (or a conda env): its python is an executable file."""
    (folder / "bin").mkdir(parents=True)
    python = folder / "bin" / "python3"
    python.write_text("#!/bin/sh\n", encoding="utf-8")
    python.chmod(0o755)
    if conda:
        (folder / "conda-meta").mkdir()
    else:
        (folder / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    return str(python)


@pytest.fixture
def project(tmp_path):
    """home/proj (a git checkout) with src/pkg/run.py, and an empty environment."""
    home = tmp_path / "home"
    script = home / "proj" / "src" / "pkg" / "run.py"
    script.parent.mkdir(parents=True)
    script.write_text("print('hi')\n", encoding="utf-8")
    (home / "proj" / ".git").mkdir()
    return home, script


def test_a_venv_beside_the_script_wins_and_says_where(project):
    home, script = project
    python = fake_env(script.parent / ".venv")
    choice = detect(str(script), {}, home=str(home))
    assert (choice.path, choice.reason) == (python, "from ./.venv")


def test_a_venv_at_the_project_root_is_found_from_a_subfolder(project):
    home, script = project
    python = fake_env(home / "proj" / "venv")
    choice = detect(str(script), {}, home=str(home))
    assert (choice.path, choice.reason) == (python, "from ../../venv")


def test_the_search_stops_at_the_project_root(project):
    home, script = project
    fake_env(home / ".venv")  # above the project: another project's, or a global one
    assert detect(str(script), {}, home=str(home)).reason == APP_REASON


def test_without_a_project_root_the_search_goes_up_to_home(tmp_path):
    home = tmp_path / "home"
    script = home / "notes" / "deep" / "x.py"
    script.parent.mkdir(parents=True)
    script.write_text("", encoding="utf-8")
    python = fake_env(home / ".venv")
    assert detect(str(script), {}, home=str(home)).path == python
    assert project_root(str(script.parent), home=str(home)) is None


def test_an_active_virtualenv_comes_first(project):
    home, script = project
    fake_env(script.parent / ".venv")
    active = fake_env(home / "envs" / "work")
    choice = detect(str(script), {"VIRTUAL_ENV": str(home / "envs" / "work")}, home=str(home))
    assert (choice.path, choice.reason) == (active, "from $VIRTUAL_ENV (work)")


def test_an_active_conda_env_is_named(project):
    home, script = project
    conda = fake_env(home / "miniconda" / "envs" / "ml", conda=True)
    env = {"CONDA_PREFIX": str(home / "miniconda" / "envs" / "ml"), "CONDA_DEFAULT_ENV": "ml"}
    choice = detect(str(script), env, home=str(home))
    assert (choice.path, choice.reason) == (conda, "conda env 'ml'")


def test_a_conda_env_made_inside_the_project(project):
    home, script = project
    python = fake_env(home / "proj" / "env", conda=True)
    choice = detect(str(script), {}, home=str(home))
    assert (choice.path, choice.reason) == (python, "conda env ../../env")


def test_an_active_env_without_a_python_is_passed_over(project):
    home, script = project
    (home / "gone").mkdir()
    assert detect(str(script), {"VIRTUAL_ENV": str(home / "gone")}, home=str(home)).reason == APP_REASON


def test_the_shebang_names_the_python(project, tmp_path):
    home, script = project
    bindir = tmp_path / "bin"
    bindir.mkdir()
    py = bindir / "python3.12"
    py.write_text("#!/bin/sh\n", encoding="utf-8")
    py.chmod(0o755)
    script.write_text("#!/usr/bin/env -S python3.12 -u\nprint(1)\n", encoding="utf-8")
    choice = detect(str(script), {"PATH": str(bindir)}, home=str(home))
    assert (choice.path, choice.reason) == (str(py), "the script's shebang")
    script.write_text(f"#!{py}\n", encoding="utf-8")
    assert shebang_python(str(script), {}) == str(py)
    script.write_text("#!/bin/bash\necho\n", encoding="utf-8")
    assert shebang_python(str(script), {"PATH": str(bindir)}) is None


def test_nothing_found_means_the_apps_own(project):
    home, script = project
    choice = detect(str(script), {}, home=str(home))
    assert choice.path == sys.executable and choice.is_app


def test_a_folder_given_as_the_script_is_searched_from_itself(project):
    home, script = project
    python = fake_env(script.parent / ".venv")
    assert detect(str(script.parent), {}, home=str(home)).path == python


def test_a_venv_folder_without_pyvenv_cfg_is_not_a_venv(project):
    home, script = project
    fake_env(script.parent / ".venv")
    os.unlink(script.parent / ".venv" / "pyvenv.cfg")
    assert detect(str(script), {}, home=str(home)).reason == APP_REASON
