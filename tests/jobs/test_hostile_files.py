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


def _py2_marshal(interned: bool) -> bytes:
    """{("file.py", 1, "f"): (1, 1, 0.1, 0.1, {}), ...} as Python 2.7's marshal writes it (version 2 when interned)."""
    import struct

    def text(b: bytes, code: bytes = b"s") -> bytes:
        return code + struct.pack("<i", len(b)) + b

    def num(n: int) -> bytes:
        return b"i" + struct.pack("<i", n)

    def real(x: float) -> bytes:
        return b"g" + struct.pack("<d", x) if interned else b"f" + bytes([len(repr(x))]) + repr(x).encode()

    value = b"(" + struct.pack("<i", 5) + num(1) + num(1) + real(0.1) + real(0.1) + b"{0"
    if not interned:
        key = b"(" + struct.pack("<i", 3) + text(b"file.py") + num(1) + text(b"f")
        return b"{" + key + value + b"0"
    first = b"(" + struct.pack("<i", 3) + text(b"file.py", b"t") + num(1) + text(b"f", b"t")
    second = b"(" + struct.pack("<i", 3) + b"R" + struct.pack("<i", 0) + num(2) + text(b"g", b"t")
    return b"{" + first + value + second + value + b"0"


@pytest.mark.parametrize("interned", [False, True], ids=["byte-strings", "interned-with-refs"])
def test_a_python2_prof_is_called_written_by_python2(tmp_path, interned):
    path = tmp_path / "old.prof"
    path.write_bytes(_py2_marshal(interned))
    with pytest.raises(OpenError) as caught:
        open_path(str(path))
    assert caught.value.failure is Failure.PYTHON2
    assert "written by Python 2 (gpuprof reads profiles from Python 3)" in str(caught.value)
    assert "damaged" not in str(caught.value)
