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
