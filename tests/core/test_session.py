"""Session files: one run in one versioned JSON file; atomic writes; clear errors, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpuprof_gui.core import session as sess
from gpuprof_gui.core.hotspots import hotspot_rows
from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.core.lab_model import load_run
from gpuprof_gui.core.session import Session, SessionError, load_session, save_session

DATA = Path(__file__).resolve().parents[1] / "data"
RECORDED = DATA / "lab" / "session_saxpy_h100"


def _full_session(tmp_path) -> Session:
    script = tmp_path / "demo.py"
    script.write_text("print('hello')\n")
    profile = load_profile(next(DATA.glob("*.prof")), trusted=True)
    return Session(
        title="demo",
        app_version="test",
        script=Session.script_record(str(script), ["--n", "3"], "cprofile"),
        run={"status": "finished", "message": "Finished in 1 s.", "exit_code": 0, "wall_s": 1.0},
        console=Session.console_record("hello\n"),
        profile=profile,
        lab=load_run(str(RECORDED / "lab_results.json")),
        telemetry=json.loads((RECORDED / "telemetry.json").read_text()),
    )


def test_round_trip_keeps_every_part_and_identical_tables(tmp_path):
    original = _full_session(tmp_path)
    path = tmp_path / ("run" + sess.SESSION_SUFFIX)
    save_session(original, path)
    again = load_session(path)
    assert again.title == "demo" and again.script["text"] == "print('hello')\n"
    assert again.script["args"] == ["--n", "3"] and again.console["text"] == "hello\n"
    assert hotspot_rows(again.profile) == hotspot_rows(original.profile)
    assert [r.to_dict() for r in again.lab.records] == [r.to_dict() for r in original.lab.records]
    assert again.telemetry == original.telemetry
    assert sess.is_session_file(str(path))


def test_session_without_gpu_parts_is_fine(tmp_path):
    path = tmp_path / "s.json"
    save_session(Session(title="empty"), path)
    again = load_session(path)
    assert again.profile is None and again.lab is None and again.telemetry is None


def test_console_is_capped_and_says_so():
    rec = Session.console_record("x" * (sess.CONSOLE_MAX_CHARS + 10))
    assert rec["truncated"] and len(rec["text"]) == sess.CONSOLE_MAX_CHARS


@pytest.mark.parametrize(
    "content, words",
    [
        ("", "not valid JSON"),
        ('{"format": "gpuprof-session", "version": 1, "profile": ', "not valid JSON"),
        ("[1, 2]", "not a gpuprof session"),
        ('{"format": "gpuprof-session"}', "no valid format version"),
        ('{"format": "gpuprof-session", "version": 99}', "newer gpuprof-gui"),
        ('{"format": "gpuprof-session", "version": 1, "profile": {"format": "x"}}', "profile is damaged"),
        (
            '{"format": "gpuprof-session", "version": 1, "lab": {"format": "gpuprof-lab-results", "records": 3}}',
            "damaged",
        ),
        ('{"format": "gpuprof-session", "version": 1, "script": "oops"}', "damaged"),
    ],
)
def test_damaged_or_newer_files_give_one_plain_sentence(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SessionError, match=words):
        load_session(path)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(SessionError, match="no such file"):
        load_session(tmp_path / "nope.json")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SessionError, match="not a gpuprof session"):
        load_session(binary)


def test_a_crash_while_saving_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    save_session(Session(title="first"), path)

    def explode(obj, fh, **kwargs):
        fh.write('{"format": "gpuprof-session", "ver')  # half a file, then the crash
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", explode)  # the module atomic.write_json writes with
    with pytest.raises(KeyboardInterrupt):
        save_session(Session(title="second"), path)
    monkeypatch.undo()
    assert load_session(path).title == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary file left behind


def test_script_record_of_unreadable_script_keeps_the_path(tmp_path):
    rec = Session.script_record(str(tmp_path / "gone.py"))
    assert rec["name"] == "gone.py" and rec["text"] is None
