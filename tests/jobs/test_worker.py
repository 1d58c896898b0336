"""The profile/convert workers and the runner's pure pieces, with real cProfile runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gpuprof_gui import protocol
from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.core.serialize import load_profile_json
from gpuprof_gui.jobs import runner
from gpuprof_gui.jobs.runner import (
    GroupStopper,
    OutcomeTracker,
    RunSpec,
    convert_untrusted,
    kill_process_group,
    run_profile,
    worker_argv,
    worker_env,
)
from gpuprof_gui.protocol import ExitCode, LineDecoder, MsgType

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"

pytestmark = pytest.mark.timeout(120)


def run_worker_directly(
    args: list[str], cwd: Path, python_flags: tuple[str, ...] = ()
) -> tuple[int, list[dict], bytes]:
    """Start the profile worker by hand with a pipe (no new session); (status, messages, stderr)."""
    read_fd, write_fd = os.pipe()
    argv = [
        sys.executable,
        *python_flags,
        "-m",
        "gpuprof_gui.workers.profile_worker",
        protocol.CHANNEL_FD_ARG,
        str(write_fd),
        *args,
    ]
    proc = subprocess.Popen(
        argv,
        pass_fds=(write_fd,),
        cwd=cwd,
        env=worker_env(None),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as channel:
        data = channel.read()
    _, err = proc.communicate(timeout=60)
    return proc.returncode, LineDecoder().feed(data), err


# --- the worker process --------------------------------------------------------------------


def test_worker_speaks_hello_then_result(tmp_path):
    code, msgs, _ = run_worker_directly(
        ["--profiler", "cprofile", "--output-dir", str(tmp_path / "out"), str(SCRIPTS / "exits.py"), "--", "0"],
        tmp_path,
    )
    assert code == ExitCode.OK
    assert [m["type"] for m in msgs] == ["hello", "result"]
    hello, result = msgs
    assert hello["version"] == protocol.PROTOCOL_VERSION and hello["worker"] == "profile"
    assert result["status"] == "exit" and result["script_exit_code"] == 0
    assert result["profile_path"] == str(tmp_path / "out" / "profile.prof")
    assert result["wall_s"] > 0 and result["exception"] is None


def test_worker_leads_its_own_process_group(tmp_path):
    report = tmp_path / "env.json"
    code, _msgs, err = run_worker_directly(
        ["--output-dir", str(tmp_path), str(SCRIPTS / "show_env.py"), "--", str(report)], tmp_path
    )
    assert code == ExitCode.OK, err
    assert json.loads(report.read_text())["pgid_is_leader"]  # it called setsid itself


def test_worker_without_scalene_reports_profiler_missing(tmp_path):
    # -S hides site-packages (where Scalene lives); the worker itself needs only the stdlib.
    code, msgs, _ = run_worker_directly(
        ["--profiler", "scalene", "--output-dir", str(tmp_path), str(SCRIPTS / "quick.py")],
        tmp_path,
        python_flags=("-S",),
    )
    assert code == ExitCode.PROFILER_MISSING
    said = msgs[-1]["message"]
    assert msgs[-1]["type"] == "error" and said.startswith("Scalene is not installed in the Python that runs")
    assert f"{sys.executable} -m pip install scalene" in said and "py-spy" in said


def test_worker_error_message_and_exit_code(tmp_path):
    code, msgs, _ = run_worker_directly(["--output-dir", str(tmp_path), str(tmp_path / "missing.py")], tmp_path)
    assert code == ExitCode.SCRIPT_NOT_FOUND
    assert msgs[-1]["type"] == "error" and msgs[-1]["code"] == ExitCode.SCRIPT_NOT_FOUND


def test_worker_rejects_bad_arguments(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.workers.profile_worker", "--profiler", "perf", "x.py"],
        capture_output=True,
        env=worker_env(None),
        cwd=tmp_path,
    )
    assert proc.returncode == ExitCode.BAD_ARGUMENTS
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.workers.profile_worker",
            protocol.CHANNEL_FD_ARG,
            "77",
            "--output-dir",
            str(tmp_path),
            "x.py",
        ],
        capture_output=True,
        env=worker_env(None),
        cwd=tmp_path,
    )
    assert proc.returncode == ExitCode.BAD_ARGUMENTS
    assert b"not an open pipe" in proc.stderr


def test_worker_survives_parent_closing_the_channel(tmp_path):
    read_fd, write_fd = os.pipe()
    os.close(read_fd)  # nobody will ever read: every send hits EPIPE
    argv = [
        sys.executable,
        "-m",
        "gpuprof_gui.workers.profile_worker",
        protocol.CHANNEL_FD_ARG,
        str(write_fd),
        "--output-dir",
        str(tmp_path),
        str(SCRIPTS / "raises.py"),
    ]
    proc = subprocess.run(argv, pass_fds=(write_fd,), capture_output=True, env=worker_env(None))
    os.close(write_fd)
    assert proc.returncode == ExitCode.OK
    assert b"BrokenPipeError" not in proc.stderr and b"ValueError: bad value 42" in proc.stderr


def test_script_sees_a_plain_python_environment(tmp_path):
    report = tmp_path / "env.json"
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    outcome = run_profile(
        RunSpec(
            str(SCRIPTS / "show_env.py"), [str(report)], cwd=str(cwd), env={**os.environ, "PYTHONPATH": "/some/where"}
        )
    )
    assert outcome.status == "finished", outcome.message
    seen = json.loads(report.read_text())
    assert seen["name"] == "__main__" and seen["main_is_module"]
    assert seen["file"] == str(SCRIPTS / "show_env.py")
    assert seen["argv"] == [str(SCRIPTS / "show_env.py"), str(report)]
    assert seen["path0"] == str(SCRIPTS)
    assert seen["cwd"] == str(cwd)
    assert seen["pythonpath"] == "/some/where"  # our own entry was taken out again
    assert seen["recursion_limit"] >= 5000 + 100
    assert seen["pgid_is_leader"]


def test_unknown_cwd_could_not_start(tmp_path):
    outcome = run_profile(RunSpec(str(SCRIPTS / "quick.py"), cwd=str(tmp_path / "gone")))
    assert outcome.status == "could_not_start" and "gone" in outcome.message


def test_unknown_profiler_could_not_start():
    outcome = run_profile(RunSpec(str(SCRIPTS / "quick.py"), profiler="perf"))
    assert outcome.status == "could_not_start" and "perf" in outcome.message


def test_output_dir_is_used_and_kept(tmp_path):
    out = tmp_path / "keep"
    outcome = run_profile(RunSpec(str(SCRIPTS / "raises.py"), output_dir=str(out)))
    assert outcome.profile_path == str(out / "profile.prof") and outcome.output_dir == str(out)
    assert "fail" in {f.name for f in load_profile(outcome.profile_path, trusted=True).functions}


# --- the convert worker --------------------------------------------------------------------


def test_convert_worker_turns_prof_into_our_json(tmp_path):
    prof = run_profile(RunSpec(str(SCRIPTS / "raises.py"), output_dir=str(tmp_path))).profile_path
    result = convert_untrusted(prof, str(tmp_path / "converted.json"))
    assert result.ok, result.message
    converted = load_profile_json(result.output_path)
    direct = load_profile(prof, trusted=True)
    assert {f.name for f in converted.functions} == {f.name for f in direct.functions}
    assert converted.total_s == pytest.approx(direct.total_s)


def test_convert_worker_reports_bad_file(tmp_path):
    bad = tmp_path / "bad.prof"
    bad.write_bytes(b"{)" + b"\x00" * 10)
    result = convert_untrusted(str(bad), str(tmp_path / "out.json"))
    assert not result.ok and result.output_path is None
    assert "cProfile" in result.message and "\n" not in result.message
    assert not (tmp_path / "out.json").exists()


# --- pure pieces shared with the GUI -------------------------------------------------------


def test_worker_argv_is_absolute_and_protects_script_args():
    spec = RunSpec("rel/s.py", ["--profiler", "x"], profiler="scalene", scalene_cpu_only=True)
    argv = worker_argv(spec, 9, "out")
    assert argv[:4] == [sys.executable, "-P", "-m", "gpuprof_gui.workers.profile_worker"]  # -P: no cwd on sys.path
    assert argv[argv.index(protocol.CHANNEL_FD_ARG) + 1] == "9"
    assert "--cpu-only" in argv and argv[argv.index("--output-dir") + 1] == os.path.abspath("out")
    i = argv.index(os.path.abspath("rel/s.py"))
    assert argv[i + 1 :] == ["--", "--profiler", "x"]


def _result(**fields) -> dict:
    base = {
        "type": "result",
        "profiler": "cprofile",
        "profile_path": "/p/profile.prof",
        "script_exit_code": 0,
        "status": "finished",
        "wall_s": 2.314,
        "exception": None,
        "traceback": None,
        "signal": None,
        "notes": [],
    }
    return {**base, **fields}


def _track(*msgs: dict, **finish) -> runner.RunOutcome:
    tracker = OutcomeTracker("cprofile", timeout_s=5)
    tracker.feed(json.loads(protocol.hello("profile", 123)))
    for msg in msgs:
        tracker.feed(msg)
    return tracker.finish(finish.pop("returncode", 0), **finish)


def test_tracker_messages():
    assert _track(_result()).message == "Finished in 2.31 s."
    out = _track(_result(status="exception", script_exit_code=1, exception="ValueError: bad value"))
    assert out.status == "script_error" and out.ok
    assert out.message == (
        "The script raised ValueError: bad value (exit code 1). The profile up to that point is shown."
    )
    out = _track(_result(status="cancelled", script_exit_code=None, wall_s=3.21), cancelled=True)
    assert out.message == "Cancelled after 3.2 s; partial profile shown."
    out = _track(_result(status="cancelled"), timed_out=True)
    assert (out.status, out.message) == ("timed_out", "Stopped after the 5 s timeout; partial profile shown.")
    out = _track(returncode=-signal.SIGSEGV)
    assert (out.status, out.ok, out.signal) == ("crashed", False, signal.SIGSEGV)
    assert out.message == "The script crashed with a segmentation fault; no profile was saved."
    out = _track({"type": "error", "code": 104, "message": "syntax!"}, returncode=104)
    assert (out.status, out.message, out.ok) == ("could_not_start", "syntax!", False)


def test_tracker_ignores_garbage_and_checks_version():
    tracker = OutcomeTracker()
    for msg in LineDecoder().feed(b'not json\n{"type": "hello", "version": 999, "pid": 1}\n'):
        tracker.feed(msg)
    assert tracker.invalid_lines == 1
    out = tracker.finish(0)
    assert out.status == "could_not_start" and out.message == ExitCode.PROTOCOL_MISMATCH.message
    assert OutcomeTracker().finish(1).status == "could_not_start"  # died before hello


def test_kill_process_group_tolerates_missing_group():
    proc = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    proc.wait()
    assert kill_process_group(proc.pid, signal.SIGTERM) is False


def test_group_stopper_escalates_to_sigkill():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True); time.sleep(60)",
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
    )
    proc.stdout.readline()  # the SIGTERM handler is in place
    stopper = GroupStopper(proc.pid, grace_s=0.3)
    stopper.request()
    assert proc.poll() is None and not stopper.tick()  # SIGTERM was ignored
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.1)
    while not stopper.tick():
        pass
    assert proc.wait(timeout=10) == -signal.SIGKILL
    proc.stdout.close()


def test_channel_messages_are_single_lines():
    line = protocol.encode(MsgType.RESULT, text="a\nb", path="x")
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
