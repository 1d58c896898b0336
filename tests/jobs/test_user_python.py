"""Profiling a script in the user's own Python: a virtualenv made now, holding a package the app lacks.

The venvs are made at test time from the registry (``pip install tabulate``; Scalene too for
one of them); every other Python version found on the machine (pyenv, /usr/bin) gets one,
so the worker's modules run on each. Hotspots are checked against the same Python's own
``python -m cProfile`` (call counts are exact, so they must agree to the call).
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import pstats
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gpuprof_gui.jobs.interpreters import InterpreterError, probe

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "tabulate"  # pure Python, small, not in the app's environment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCRIPT = """\
import sys
from tabulate import tabulate


def work(n):
    rows = [[i, i * i, str(i)] for i in range(n)]
    return tabulate(rows)


for _ in range(12):
    text = work(1500)
print("ran under", sys.version.split()[0], len(text))
"""


PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
"""pyenv's Pythons (tests/conftest.py keeps PYENV_ROOT at the user's, HOME being the test home)."""


def _other_pythons() -> list[str]:
    """CPython 3.9+ interpreters of other minor versions than the app's, oldest and newest first."""
    candidates = sorted(glob.glob(os.path.join(glob.escape(PYENV_ROOT), "versions/3.*/bin/python3")))
    candidates += sorted(glob.glob("/usr/bin/python3.[0-9]*"))
    candidates += [p for v in range(9, 15) if (p := shutil.which(f"python3.{v}"))]
    by_version: dict[tuple[int, int], str] = {}
    for path in candidates:
        if not path.endswith(tuple("0123456789")) and not path.endswith("python3"):
            continue  # python3.11-config and the like
        try:
            info = probe(path)
        except InterpreterError:
            continue
        minor = info.version[:2]
        if minor != tuple(sys.version_info[:2]):
            by_version.setdefault(minor, path)
    found = [by_version[v] for v in sorted(by_version)]
    return found[:1] + found[-1:] if len(found) > 1 else found


OTHER_PYTHONS = _other_pythons()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    (folder / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (folder / "uses_tabulate.py").write_text(SCRIPT, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def venv_same_version(project, user_venv) -> str:
    """A .venv in the project (a link to one made now by the app's Python version), with tabulate and Scalene."""
    python = user_venv((PACKAGE, "scalene"))
    link = project / ".venv"
    if not link.exists():
        link.symlink_to(Path(python).parent.parent, target_is_directory=True)
    return str(link / "bin" / "python")


def gpuprof(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(env, PYTHONPATH=str(REPO_ROOT)),
        timeout=400,
    )


def reference_calls(python: str, script: Path, tmp: Path) -> dict[str, int]:
    """``python -m cProfile`` in that same Python: calls per tabulate function."""
    out = tmp / "reference.prof"
    subprocess.run([python, "-m", "cProfile", "-o", str(out), str(script)], check=True, capture_output=True, cwd=tmp)
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    return {name: cc[1] for (file, _line, name), cc in stats.items() if f"{os.sep}{PACKAGE}{os.sep}" in file}


def profile_json(project: Path, *args: str) -> dict:
    res = gpuprof("profile", "--json", "--top", "15", *args, str(project / "uses_tabulate.py"), cwd=project)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _tabulate_rows(doc: dict) -> list[dict]:
    return [row for row in doc["hotspots"] if f"{os.sep}{PACKAGE}{os.sep}" in (row["file"] or "")]


def test_the_app_cannot_import_the_package_so_the_test_means_something():
    assert importlib.util.find_spec(PACKAGE) is None


def test_the_projects_venv_is_found_and_cprofile_agrees_with_its_own_cprofile(project, venv_same_version, tmp_path):
    doc = profile_json(project)  # --python auto: the project's .venv
    assert doc["status"] == "finished", doc["message"]
    assert doc["python"]["reason"] == "from ./.venv" and doc["python"]["path"].startswith(str(project / ".venv"))
    rows = _tabulate_rows(doc)
    assert len(rows) >= 3, doc["hotspots"]
    reference = reference_calls(venv_same_version, project / "uses_tabulate.py", tmp_path)
    for row in rows:
        assert row["calls"] == reference[row["name"]], (row["name"], row["calls"], reference[row["name"]])


def test_py_spy_samples_the_package_in_the_projects_venv(project, venv_same_version):
    doc = profile_json(project, "--profiler", "py-spy")
    assert doc["status"] == "finished", doc["message"]
    assert _tabulate_rows(doc), doc["hotspots"]


def test_scalene_installed_in_the_projects_venv_profiles_there(project, venv_same_version):
    doc = profile_json(project, "--profiler", "scalene", "--cpu-only")
    assert doc["status"] == "finished", doc["message"]
    assert doc["python"]["path"].startswith(str(project / ".venv"))
    names = {row["name"] for row in doc["hotspots"]}
    assert "work" in names, doc["hotspots"]  # Scalene profiles the script's own file by default


def test_the_apps_own_python_cannot_run_that_script(project, venv_same_version):
    res = gpuprof("profile", "--python", "app", str(project / "uses_tabulate.py"), cwd=project)
    assert "ModuleNotFoundError: No module named 'tabulate'" in res.stderr


def _version_id(path: str | None) -> str:
    return f"python{probe(path).version_text}" if path else "none"


@pytest.mark.parametrize("base", OTHER_PYTHONS or [None], ids=_version_id)
def test_another_python_version_runs_cprofile_and_py_spy(base, project, user_venv, tmp_path):
    if base is None:
        pytest.skip("no CPython 3.9+ of another version on this machine (pyenv or /usr/bin)")
    info = probe(base)
    python = user_venv((PACKAGE,), base=base)
    doc = profile_json(project, "--python", python)
    assert doc["status"] == "finished", doc["message"]
    assert doc["python"]["version"] == info.version_text and doc["python"]["reason"] == "chosen"
    reference = reference_calls(python, project / "uses_tabulate.py", tmp_path)
    rows = _tabulate_rows(doc)
    assert len(rows) >= 3 and all(row["calls"] == reference[row["name"]] for row in rows), (rows, reference)
    sampled = profile_json(project, "--python", python, "--profiler", "py-spy")
    assert sampled["status"] == "finished" and _tabulate_rows(sampled), sampled
    missing = gpuprof("profile", "--python", python, "--profiler", "scalene", "uses_tabulate.py", cwd=project)
    assert f"{python} -m pip install scalene" in missing.stderr, missing.stderr


def test_a_python_that_is_not_one_gets_one_sentence(project, tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
    fake.chmod(0o755)
    res = gpuprof("profile", "--python", str(fake), str(project / "uses_tabulate.py"), cwd=project)
    assert res.returncode != 0
    assert f"{fake} did not answer as a Python 3 does" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    res = gpuprof("profile", "--python", str(tmp_path / "nope"), str(project / "uses_tabulate.py"), cwd=project)
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_advise_profiles_in_the_projects_venv_too(project, venv_same_version):
    res = gpuprof("advise", str(project / "uses_tabulate.py"), "--offload", "_type", cwd=project)
    assert res.returncode == 0, res.stderr
    assert "Offload advisor: uses_tabulate.py, offloading _type (54,000 calls)" in res.stdout, res.stdout[:400]


OLD_PYTHONS = [
    p for p in sorted(glob.glob(os.path.join(glob.escape(PYENV_ROOT), "versions/[23].*/bin/python"))) if "/3.1" not in p
]


@pytest.mark.parametrize("old", [p for p in OLD_PYTHONS if "/2." in p or "/3.6" in p] or [None])
def test_a_python_too_old_for_the_worker_is_named_with_its_version(project, old):
    if old is None:
        pytest.skip("no Python 2 or 3.6 on this machine (pyenv)")
    res = gpuprof("profile", "--python", old, str(project / "uses_tabulate.py"), cwd=project)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert ("is Python 3.6" in res.stderr) if "/3.6" in old else ("did not answer as a Python 3 does" in res.stderr)
