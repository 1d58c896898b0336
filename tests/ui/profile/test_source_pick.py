"""After a load the source pane shows code, not "Source not available: built-in": the first row with
source is selected; where no row has any, and for frozen modules and bare folded frames, it says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from window_support import LOAD_TIMEOUT_MS

from gpuprof_gui.ui.profile.hotspot_table import COL_LOCATION

FROZEN = "frozen module (compiled into the Python interpreter; no source file)"

SLEEPY = """\
import json  # imported under the profiler: importlib's frozen frames are in the profile


def helper(n):
    return sum(i * i for i in range(n))


def main():
    time.sleep(0.3)  # the top self-time row: a built-in
    helper(20000)
    json.dumps([1, 2])


import time

main()
"""


def _open(qtbot, win, path: Path) -> None:
    with qtbot.waitSignal(win.profile_shown, timeout=LOAD_TIMEOUT_MS):
        win.open_path(str(path))


def _cprofile(tmp_path: Path) -> Path:
    script = tmp_path / "sleepy.py"
    script.write_text(SLEEPY)
    out = tmp_path / "sleepy.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), str(script)], check=True, cwd=tmp_path)
    return out


def _table_function(win, row: int):
    model = win.table.source_model
    return win.loaded.profile.functions[model.function_at(row)]


def test_the_first_row_with_python_source_is_selected_after_a_load(window, qtbot, tmp_path):
    _open(qtbot, window, _cprofile(tmp_path))
    top = _table_function(window, 0)
    assert top.name == "time.sleep" and top.file == ""  # the premise: a built-in heads the table
    # The first row, in the table's order, whose file is there to read (the script's, or the stdlib's).
    functions = window.loaded.profile.functions
    rows = [window.table.source_model.function_at(r) for r in range(window.table.source_model.rowCount())]
    readable = [f for f in rows if functions[f].file and (tmp_path / functions[f].file).is_file()]
    assert window.table.selected_functions() == [readable[0]]
    shown = functions[readable[0]]
    assert window.source.shown_file == str(tmp_path / shown.file)
    assert window.source.editor.toPlainText() == (tmp_path / shown.file).read_text()
    assert "Source not available" not in window.source.header.text()


def test_a_frozen_module_says_what_it_is(window, qtbot, tmp_path):
    _open(qtbot, window, _cprofile(tmp_path))
    profile = window.loaded.profile
    frozen = next(i for i, f in enumerate(profile.functions) if f.file.startswith("<frozen "))
    window.select_functions([frozen])
    assert f"Source not available: {FROZEN}" in window.source.header.text()


def _folded(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stacks.txt"
    path.write_text(text)
    return path


def test_bare_folded_frames_are_named_without_a_file_not_built_ins(window, qtbot, tmp_path):
    prog = tmp_path / "prog.py"
    prog.write_text("def main():\n    crunch()\n\n\ndef crunch():\n    return sum(range(10))\n")
    # py-spy's raw format: frames "func (file:line)"; other tools write bare names.
    path = _folded(tmp_path, f"main;work;numpy.dot 50\nmain (prog.py:2);crunch ({prog}:6) 30\n")
    _open(qtbot, window, path)
    model = window.table.source_model
    where = {model.data(model.index(r, 0)): model.data(model.index(r, COL_LOCATION)) for r in range(model.rowCount())}
    assert where["numpy.dot"] == "(no file)" and where["work"] == "(no file)"
    assert where["crunch"].endswith("prog.py:6")
    assert "<built-in>" not in where.values()
    # numpy.dot tops the table; crunch is the first row with source, and is shown.
    assert window.loaded.profile.functions[window.table.selected_functions()[0]].name == "crunch"
    assert "return sum(range(10))" in window.source.editor.toPlainText()
    dot = next(i for i, f in enumerate(window.loaded.profile.functions) if f.name == "numpy.dot")
    window.select_functions([dot])
    header = window.source.header.text()
    assert "the folded stacks give only this function's name, no file" in header
    assert "built-in" not in header


def test_where_no_row_has_source_the_pane_says_why(window, qtbot, tmp_path):
    _open(qtbot, window, _folded(tmp_path, "main;work;numpy.dot 50\nmain;other 30\n"))
    (selected,) = window.table.selected_functions()
    assert selected == window.table.source_model.function_at(0)  # the top row still, for the table
    header = window.source.header.text()
    assert "No function in this profile has Python source to show: 4 named without a file." in header
