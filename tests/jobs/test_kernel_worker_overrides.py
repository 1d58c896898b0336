"""Edited candidate sources reach the kernel worker from a file (here) or as text (on a remote host)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpuprof_gui.lab import LabFileError, load_lab_file
from gpuprof_gui.workers.kernel_worker import _apply_overrides

SAXPY = Path(__file__).resolve().parents[2] / "resources" / "examples" / "kernels" / "saxpy.py"


def test_an_override_from_a_file_and_one_given_as_text_both_replace_the_source(tmp_path):
    lab = load_lab_file(str(SAXPY))
    edited = tmp_path / "raw_naive.src"
    edited.write_text("// from a file\n")
    _apply_overrides(lab, [f"raw_naive={edited}"], ("raw_float4=// given whole = with an equals sign\n",))
    assert lab.candidate("raw_naive").source == "// from a file\n"
    assert lab.candidate("raw_float4").source == "// given whole = with an equals sign\n"


def test_an_override_without_a_name_is_refused():
    with pytest.raises(LabFileError, match="NAME=PATH or NAME=SOURCE"):
        _apply_overrides(load_lab_file(str(SAXPY)), [], ("no name here",))
