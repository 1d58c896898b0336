"""The one door for paths: the same file gets the same answer from the door and from every verb.

A table of one file of each kind and one of each failure, sent through
core/opening.py, jobs/opening.py and ``gpuprof open / export / diff / advise``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gpuprof_gui import cli
from gpuprof_gui.core import opening
from gpuprof_gui.core.opening import Failure, Kind, OpenError, what_is
from gpuprof_gui.core.session import AUTOSAVE_NAME, Session, save_session
from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.jobs.opening import open_path, open_profile

DATA = Path(__file__).resolve().parents[1] / "data"
ADVICE = DATA / "advisor" / "session_heat_h100.json"
SESSION = DATA / "sessions" / "heat_h100.gpuprof-session.json"
LAB = DATA / "lab" / "lab_saxpy.json"
FOLDED = "main;work;inner 30\nmain;work 10\nmain;other 60\n"


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


KINDS = {  # name -> (make(tmp) -> path, kind, holds a profile)
    "cProfile dump": (lambda t: str(DATA / "pstats_sample.prof"), Kind.PROFILE, True),
    "Scalene JSON": (lambda t: str(DATA / "scalene_sample.json"), Kind.PROFILE, True),
    "folded stacks": (lambda t: str(_write(t / "stacks.txt", FOLDED)), Kind.PROFILE, True),
    "session": (lambda t: str(SESSION), Kind.SESSION, True),
    "advice session": (lambda t: str(ADVICE), Kind.ADVICE_SESSION, True),
    "lab results": (lambda t: str(LAB), Kind.LAB_RESULTS, False),
    "script": (lambda t: str(_write(t / "s.py", "print(1)\n")), Kind.SCRIPT, False),
    "folder": (lambda t: str(t), Kind.FOLDER, False),
}


@pytest.mark.parametrize("name", KINDS, ids=str)
def test_each_kind_is_recognised_and_opened(name, tmp_path):
    make, kind, has_profile = KINDS[name]
    path = make(tmp_path)
    assert what_is(path) is kind
    opened = open_path(path)
    assert opened.kind is kind and (opened.profile is not None) == has_profile
    assert opened.provenance.name  # every kind has a human name


def _session_too_new(t: Path) -> Path:
    data = json.loads(SESSION.read_text(encoding="utf-8"))
    data["version"] = 99
    return _write(t / "new.gpuprof-session.json", json.dumps(data))


def _advice_without_profile(t: Path) -> Path:
    data = json.loads(ADVICE.read_text(encoding="utf-8"))
    data["profile"] = None
    return _write(t / "advice.json", json.dumps(data))


def _cut_prof(t: Path) -> Path:
    return _write(t / "cut.prof", (DATA / "pstats_sample.prof").read_bytes()[:60])


FAILURES = {  # name -> (make(tmp) -> path, failure); each path stands where a profile is needed
    "missing": (lambda t: t / "nope.prof", Failure.MISSING),
    "folder": (lambda t: _write(t / "dir" / "x", "") and t / "dir", Failure.FOLDER),
    "unreadable": (lambda t: _write(t / "plain.txt", "x") / "child.prof", Failure.UNREADABLE),  # ENOTDIR
    "empty": (lambda t: _write(t / "empty.prof", b""), Failure.EMPTY),
    "too large": (lambda t: _write(t / "big.folded", FOLDED), Failure.TOO_LARGE),
    "unknown format": (lambda t: _write(t / "noise.bin", bytes(range(256)) * 4), Failure.UNKNOWN_FORMAT),
    "too new": (_session_too_new, Failure.TOO_NEW),
    "damaged JSON": (lambda t: _write(t / "cut.gpuprof-session.json", SESSION.read_text()[:500]), Failure.DAMAGED),
    "damaged .prof": (_cut_prof, Failure.DAMAGED),
    "no profile": (_advice_without_profile, Failure.NO_PROFILE),
    "wrong kind": (lambda t: LAB, Failure.WRONG_KIND),
    "script": (lambda t: _write(t / "s.py", "print(1)\n"), Failure.SCRIPT),
}


@pytest.fixture
def failing(request, tmp_path, monkeypatch):
    """(path, failure, the door's sentence) for the FAILURES case named by the test's parameter."""
    make, failure = FAILURES[request.param]
    if failure is Failure.TOO_LARGE:
        monkeypatch.setattr(opening, "MAX_FILE_BYTES", 10)  # the limit, not a 2 GiB file
    path = str(make(tmp_path))
    with pytest.raises(OpenError) as exc:
        open_profile(path)
    assert exc.value.failure is failure, str(exc.value)
    said = str(exc.value)
    assert path in said and said.endswith(".") and "\n" not in said and "Traceback" not in said
    return path, failure, said


@pytest.mark.parametrize("failing", FAILURES, indirect=True, ids=str)
def test_every_verb_gives_the_door_s_sentence(failing, tmp_path, capsys):
    path, failure, said = failing
    good = str(DATA / "scalene_sample.json")
    runs = {
        "open": ["open", path],
        "export": ["export", path, "--format", "csv", "-o", str(tmp_path / "o.csv")],
        "diff": ["diff", path, good],
    }
    if failure not in (Failure.SCRIPT, Failure.FOLDER, Failure.UNKNOWN_FORMAT):  # those are scripts to advise on
        runs["advise"] = ["advise", path, "--offload", "main"]
    for verb, argv in runs.items():
        assert cli.main(argv) == ExitStatus.USAGE, verb
        assert capsys.readouterr().err.strip() == f"gpuprof {verb}: {said}", verb
    assert not (tmp_path / "o.csv").exists()


def test_the_window_pre_check_is_the_door_s(tmp_path):
    from gpuprof_gui.ui.shell import file_checks

    assert file_checks.unopenable_reason is opening.unopenable_reason
    for path, failure in ((tmp_path / "nope.prof", Failure.MISSING), (tmp_path, Failure.FOLDER)):
        assert opening.unopenable_reason(str(path)) == opening.sentence(failure, str(path))
    assert opening.unopenable_reason(str(DATA / "scalene_sample.json")) is None


def test_an_advice_session_works_in_open_export_and_diff(tmp_path, capsys):
    assert cli.main(["open", "--json", str(ADVICE)]) == 0
    assert json.loads(capsys.readouterr().out)["hotspots"]
    out = tmp_path / "advice.folded"
    assert cli.main(["export", str(ADVICE), "--format", "folded", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").strip()
    assert cli.main(["diff", str(ADVICE), str(SESSION), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["functions"]


def test_a_run_folder_profile_is_named_by_the_session_beside_it(tmp_path):
    run = tmp_path / "2026-01-02-train"
    run.mkdir()
    shutil.copy(DATA / "pstats_sample.prof", run / "profile.prof")
    save_session(
        Session(
            title="",
            created="2026-01-02T14:02:31+00:00",
            script={
                "path": "/work/train.py",
                "name": "train.py",
                "text": None,
                "args": ["--size", "3"],
                "profiler": "cprofile",
            },
            run={"status": "finished", "message": "", "exit_code": 0, "wall_s": 12.5},
        ),
        run / AUTOSAVE_NAME,
    )
    opened = open_path(str(run / "profile.prof"))
    prov = opened.provenance
    assert prov.kind == "run" and prov.script == "/work/train.py" and prov.args == ("--size", "3")
    assert prov.name.startswith("train.py ") and prov.wall_s == 12.5
    out = tmp_path / "report.html"
    assert cli.main(["export", str(run / "profile.prof"), "--format", "html", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert f"<h1>Profile report: {prov.name}</h1>" in text and "profile.prof</h1>" not in text
    assert "<dt>Script</dt><dd>/work/train.py</dd>" in text and "<dd>--size 3</dd>" in text
    assert "<dt>Run time (wall)</dt><dd>12.5 s</dd>" in text
    os.remove(run / AUTOSAVE_NAME)  # without it, the file's own name
    assert open_path(str(run / "profile.prof")).provenance.name == "profile.prof"


def test_a_profile_file_given_to_advise_runs_nothing(capsys):
    assert cli.main(["advise", str(ADVICE), "--offload", "diffuse", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["run"]["status"] == "finished" and 0 < doc["p"] <= 1
    assert doc["script"].endswith("heat_cpu.py")


def test_help_lists_every_exit_status_with_its_meaning(capsys):
    assert cli.main(["--help"]) == ExitStatus.OK
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for status in ExitStatus:
        assert f"{status.value} {status.meaning}" in text, status
    assert len({s.meaning for s in ExitStatus}) == len(ExitStatus)  # one meaning per number


@pytest.mark.slow
def test_gui_opens_an_advice_session_given_as_its_file(tmp_path):
    """`gpuprof gui FILE` routes by the door: an advisor session is shown, as `gpuprof export` takes it."""
    import subprocess
    import sys

    shot = tmp_path / "shot.png"
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "GPUPROF_RUNS_DIR": str(tmp_path / "runs"),
    }
    env.pop("GPUPROF_SCREENSHOT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "gui", str(ADVICE), "--screenshot", str(shot)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == ExitStatus.OK, proc.stderr[-2000:]
    assert "Advisor session session_heat_h100.json" in proc.stderr and shot.is_file()
