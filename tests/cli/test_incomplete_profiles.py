"""A profile that misses time (threads, child processes, a removed profiler) says so in its notes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "tests" / "scripts"

pytestmark = pytest.mark.timeout(300)


def profile_json(tmp_path: Path, script: str, *args: str) -> dict:
    res = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "profile", "--json", str(SCRIPTS / script), "--", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=170,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    return json.loads(res.stdout)


def notes_of(doc: dict) -> str:
    return " ".join(doc["notes"])


def test_thread_time_is_noted(tmp_path):
    doc = profile_json(tmp_path, "busy_thread.py")
    assert "started 1 thread(s)" in notes_of(doc), doc["notes"]
    assert "profiles only the main thread" in notes_of(doc)


@pytest.mark.parametrize("how", ["subprocess", "pool"])
def test_child_process_time_is_noted(tmp_path, how):
    doc = profile_json(tmp_path, "busy_children.py", *(["pool"] if how == "pool" else []))
    assert "Child processes of the script used" in notes_of(doc), doc["notes"]


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="cProfile is a sys.monitoring tool from 3.12: setprofile cannot remove it"
)
@pytest.mark.parametrize("arg", ["none", "own"])
def test_a_removed_or_replaced_profiler_is_noted(tmp_path, arg):
    doc = profile_json(tmp_path, "removes_profiler.py", arg)
    assert "removed or replaced the profiler" in notes_of(doc), doc["notes"]
    assert "time after that point is missing" in notes_of(doc)


def test_a_plain_script_has_none_of_these_notes(tmp_path):
    doc = profile_json(tmp_path, "quick.py")
    assert not any(word in notes_of(doc) for word in ("thread", "Child processes", "profiler")), doc["notes"]


def test_the_table_output_prints_the_note(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "profile", str(SCRIPTS / "removes_profiler.py"), "--", "none"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=170,
    )
    assert res.returncode == 0, res.stderr
    assert "removed or replaced the profiler" in res.stdout + res.stderr
