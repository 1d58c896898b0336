"""Hostile files through the door (jobs/opening.py): one sentence, never a traceback."""

from __future__ import annotations

import pytest

from gpuprof_gui.core.opening import Failure, OpenError
from gpuprof_gui.jobs.opening import open_lab_results, open_path

DEEP = "[" * 100_000 + "]" * 100_000

NESTED = {
    "session": '{"format":"gpuprof-session","version":1,"profile":' + DEEP + "}",
    "scalene": '{"elapsed_time_sec":1,"files":' + DEEP + "}",
    "lab": '{"format":"gpuprof-lab-results","version":1,"records":' + DEEP + "}",
    "advice": '{"format":"gpuprof-advice-session","version":1,"advice":' + DEEP + "}",
    "profile": '{"format":"gpuprof-profile","version":1,"functions":' + DEEP + "}",
}


@pytest.mark.parametrize("what", sorted(NESTED))
def test_deeply_nested_json_is_a_plain_sentence(tmp_path, what):
    path = tmp_path / f"{what}.json"
    path.write_text(NESTED[what], encoding="utf-8")
    with pytest.raises(OpenError) as info:
        open_path(str(path))
    assert info.value.failure is Failure.DAMAGED
    assert "nested too deeply" in str(info.value)


def test_deeply_nested_lab_results_for_the_lab_results_option(tmp_path):
    path = tmp_path / "lab.json"
    path.write_text(NESTED["lab"], encoding="utf-8")
    with pytest.raises(OpenError, match="nested too deeply"):
        open_lab_results(str(path))


def _deep_folded(tmp_path, depth: int = 5000):
    """A 5000-deep recursion as folded stacks: its first line is about 100 KB."""
    stack = ";".join(["<module> (deep.py:20)", *["rec (deep.py:14)"] * depth, "leaf (deep.py:6)"])
    path = tmp_path / "deep.folded"
    path.write_text(f"{stack} 7\n<module> (deep.py:20);leaf (deep.py:6) 3\n", encoding="utf-8")
    assert len(stack) > 64 * 1024
    return path


def test_folded_stacks_with_a_first_line_over_64_kib_open(tmp_path):
    from gpuprof_gui.core.opening import Kind, what_is

    path = _deep_folded(tmp_path)
    assert what_is(str(path)) is Kind.PROFILE
    profile = open_path(str(path)).profile
    assert profile is not None and profile.total_s == 10
    assert max(profile.tree.depth) == 5002


def test_the_apps_own_folded_export_of_a_deep_run_opens_again(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "again.folded"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "export",
            str(_deep_folded(tmp_path)),
            "--format",
            "folded",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(root)),
        timeout=100,
    )
    assert done.returncode == 0, done.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()[0]) > 64 * 1024
    again = open_path(str(out)).profile
    assert again is not None and max(again.tree.depth) == 5002


@pytest.mark.parametrize("name", ["loop.prof", "loop.py"])
def test_a_symbolic_link_that_loops_is_called_so(tmp_path, name):
    import os

    from gpuprof_gui.core.opening import what_is

    link = tmp_path / name
    os.symlink(link, link)
    with pytest.raises(OpenError) as caught:
        what_is(link)
    assert caught.value.failure is Failure.LINK_LOOP
    assert "symbolic link that loops" in str(caught.value)


def test_a_script_that_is_a_looping_link_is_called_so(tmp_path):
    import os

    from gpuprof_gui.protocol import ExitCode
    from gpuprof_gui.workers.script_code import ScriptProblem, compile_script

    link = tmp_path / "loop.py"
    os.symlink(link, link)
    with pytest.raises(ScriptProblem) as caught:
        compile_script(str(link))
    assert caught.value.code is ExitCode.NOT_A_FILE
    assert "symbolic link that loops" in caught.value.message
    os.remove(link)
    os.symlink(tmp_path / "gone.py", link)
    with pytest.raises(ScriptProblem) as caught:
        compile_script(str(link))
    assert caught.value.code is ExitCode.SCRIPT_NOT_FOUND
