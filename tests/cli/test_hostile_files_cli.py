"""Hostile files on the command line: `gpuprof open/export/diff` print one sentence, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpuprof_gui.exit_codes import ExitStatus

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "tests" / "data"
DEEP = "[" * 100_000 + "]" * 100_000

pytestmark = pytest.mark.timeout(120)


def gpuprof(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args], capture_output=True, text=True, env=env, timeout=100
    )


def _absurd_scalene(tmp_path: Path) -> Path:
    obj = json.loads((DATA / "scalene_sample.json").read_text(encoding="utf-8"))
    obj["elapsed_time_sec"] = -2.5
    path = tmp_path / "absurd.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def _nested_session(tmp_path: Path) -> Path:
    path = tmp_path / "nested.gpuprof-session.json"
    path.write_text('{"format":"gpuprof-session","version":1,"profile":' + DEEP + "}", encoding="utf-8")
    return path


@pytest.mark.parametrize("make, words", [(_absurd_scalene, "elapsed_time_sec"), (_nested_session, "nested too deeply")])
def test_open_export_and_diff_refuse_in_one_sentence(tmp_path, make, words):
    bad = make(tmp_path)
    for args in (
        ("open", str(bad)),
        ("export", str(bad), "--format", "folded", "-o", str(tmp_path / "out.txt")),
        ("diff", str(DATA / "scalene_sample.json"), str(bad)),
    ):
        done = gpuprof(*args)
        assert done.returncode == ExitStatus.USAGE, (args, done.stderr)
        assert "Traceback" not in done.stderr and words in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
