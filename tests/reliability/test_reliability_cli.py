"""The reliability table through the command line: one plain sentence, the right exit status, no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cases import CASES, Case

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_S = 120


def _gpuprof(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args],
        capture_output=True,
        text=True,
        errors="replace",
        cwd=cwd,
        env=env,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


@pytest.mark.reliability("command line")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli(case: Case, tmp_path: Path) -> None:
    path = case.make(tmp_path)
    if case.kind == "file":
        result = _gpuprof("open", str(path), cwd=tmp_path)
        said = result.stderr.strip()
        assert result.returncode != 0, said
        assert "Traceback" not in result.stderr, said
        assert len(said.splitlines()) == 1, said  # one sentence, not a report
    else:
        opts = ["--timeout", str(case.timeout_s)] if case.timeout_s else []
        result = _gpuprof("profile", *opts, str(path), *case.args, "--output", str(tmp_path / "out.prof"), cwd=tmp_path)
        said = result.stderr
        # The script's own traceback is its output; gpuprof's code must never appear in one.
        for trace in said.split("Traceback (most recent call last):")[1:]:
            assert not re.search(r'File "[^"]*gpuprof_gui/', trace), said[-2000:]
    for word in case.words:
        assert word.lower() in said.lower(), said[-2000:]
