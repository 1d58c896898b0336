"""A lab run whose results cannot be written (disk full) keeps them in the outcome and says where."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from gpuprof_gui.core import atomic
from gpuprof_gui.core.lab_model import load_run
from gpuprof_gui.jobs import lab_runner
from gpuprof_gui.jobs.lab_runner import LabRunSpec

RECORDED = Path(__file__).resolve().parents[1] / "data" / "lab" / "lab_saxpy.json"


def recorded_lab(tmp_path: Path) -> lab_runner._LabRun:
    """A lab run holding a recorded GPU run's results, as if its workers had just reported them."""
    recorded = load_run(str(RECORDED))
    info = {"problem": {**recorded.problem, "default_sizes": [1]}, "candidates": recorded.candidates}
    lab = lab_runner._LabRun(LabRunSpec(str(RECORDED), output_dir=str(tmp_path / "lab")), info, None, None)
    for rec in recorded.records:
        lab.add_record(rec)
    return lab


def test_a_full_disk_keeps_the_results_in_the_outcome_and_says_where(tmp_path, monkeypatch):
    lab = recorded_lab(tmp_path)

    def full(fd, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    outcome = lab.finish("finished", "12 results from 1 worker(s).", 1)
    path = os.path.join(str(tmp_path / "lab"), "lab_results.json")
    assert outcome.status == "finished"
    assert outcome.results_path is None
    assert outcome.run is lab.run and len(outcome.run.records) == len(load_run(str(RECORDED)).records)
    assert f"could not be saved to {path}: the disk is full" in outcome.message, outcome.message
    assert "Traceback" not in outcome.message
    assert not os.path.exists(path)


def test_a_saved_run_names_its_file(tmp_path):
    outcome = recorded_lab(tmp_path).finish("finished", "Done.", 1)
    assert outcome.results_path and os.path.isfile(outcome.results_path)
    assert load_run(outcome.results_path).records


def test_an_output_folder_that_cannot_be_made_is_one_sentence(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setattr(lab_runner, "cupy_missing_reason", lambda: None)
    recorded = load_run(str(RECORDED))
    info = {"problem": recorded.problem, "candidates": recorded.candidates}
    monkeypatch.setattr(lab_runner, "describe_file", lambda path, **_where: info)
    outcome = lab_runner.run_lab(LabRunSpec(str(RECORDED), output_dir=str(blocker / "lab")))
    assert outcome.status == "error"
    assert outcome.message.startswith("The lab run's folder could not be written"), outcome.message
