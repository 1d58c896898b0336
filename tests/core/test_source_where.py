"""Folded stacks as py-spy writes them, and the words for a function whose source cannot be shown."""

from __future__ import annotations

import os

from gpuprof_gui.core.importers import load_profile, sniff_format
from gpuprof_gui.core.source_where import (
    BUILTIN,
    FROZEN,
    NO_FILE_LABEL,
    no_file_label,
    no_source_reason,
    no_source_summary,
)

# What `py-spy record --format raw` wrote for a short script (its first line: one sample taken
# before any Python frame ran).
PYSPY_RAW = " 1\n<module> (spin.py:9);outer (spin.py:8);inner (spin.py:4) 147\n"


def test_py_spy_raw_output_opens_and_its_frames_keep_their_files(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text(PYSPY_RAW)
    assert sniff_format(path) == "folded"
    profile = load_profile(path)
    assert [(f.name, f.file, f.line) for f in profile.functions] == [
        ("<module>", "spin.py", 9),
        ("outer", "spin.py", 8),
        ("inner", "spin.py", 4),
    ]
    assert profile.functions[2].self_s == 147.0


def test_bare_folded_frames_have_no_file_and_are_not_called_built_ins(tmp_path):
    path = tmp_path / "stacks.folded"
    path.write_text("a;b;c 12\na;b 3\n")
    profile = load_profile(path)
    assert {f.file for f in profile.functions} == {""}
    assert no_file_label(profile.profiler) == NO_FILE_LABEL
    reason = no_source_reason("", profile.profiler, "c")
    assert "built-in" not in reason and "only this function's name" in reason
    assert no_file_label("cprofile") == "<built-in>" and no_source_reason("", "cprofile") == BUILTIN


def test_each_missing_source_has_its_reason(tmp_path):
    assert no_source_reason("<frozen importlib._bootstrap>", "cprofile") == FROZEN
    assert "from a string" in no_source_reason("<string>", "cprofile")
    gone = os.path.join(str(tmp_path), "gone.py")
    assert "not on this computer" in no_source_reason(gone, "cprofile")
    assert "not found beside the profile" in no_source_reason("lib/x.py", "cprofile")
    assert "a process" in no_source_reason("", "py-spy", "process 12: python3 pool.py")


def test_the_summary_counts_each_reason():
    reasons = [BUILTIN, BUILTIN, FROZEN, no_source_reason("", "folded", "x")]
    assert no_source_summary(reasons) == (
        "No function in this profile has Python source to show: 2 built-in (C code), 1 in frozen modules, "
        "1 named without a file."
    )
