"""Every kind of bad input, through the real engine (worker + runner) and the command line.

Each script in tests/scripts misbehaves on purpose; inputs that are not Python
at all are written into tmp_path here.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.jobs.runner import STOP_GRACE_S, RunSpec, run_profile
from gpuprof_gui.protocol import ExitCode

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"

pytestmark = pytest.mark.timeout(120)  # a hang must fail the test, not freeze the run

# Cancel/timeout must end a run within the grace period plus start-up and the
# dump; 8 s of slack covers a loaded 2-core CI machine.
STOP_SLACK_S = 8.0
# How long a left-behind child may take to disappear after the run returns
# (SIGKILL is immediate; this only absorbs scheduling delays).
ORPHAN_WAIT_S = 5.0
BIG_OUTPUT_MIB = 50
# The runner must stream, not collect: Python allocations during a 50 MiB run
# stay far below the output size (64 KiB chunks, one at a time).
BIG_OUTPUT_PEAK_LIMIT_BYTES = 8 << 20


class Collected:
    """Callback sink that keeps everything (small outputs only)."""

    def __init__(self) -> None:
        self.stdout = bytearray()
        self.stderr = bytearray()

    def out(self, data: bytes) -> None:
        self.stdout += data

    def err(self, data: bytes) -> None:
        self.stderr += data


def profile(script, *args, cancel: threading.Event | None = None, **spec_fields):
    """Run ``script`` through the real engine; (outcome, collected output)."""
    spec = RunSpec(script=str(script), args=[str(a) for a in args], **spec_fields)
    sink = Collected()
    outcome = run_profile(spec, on_stdout=sink.out, on_stderr=sink.err, cancel=cancel)
    return outcome, sink


def function_names(path: str) -> set[str]:
    return {f.name for f in load_profile(path, trusted=True).functions}


def process_gone(pid: int, wait_s: float = ORPHAN_WAIT_S) -> bool:
    """True once ``pid`` no longer runs (a zombie awaiting its reaper counts as gone)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
            if state == "Z":
                return True
        except FileNotFoundError:
            return True
        except OSError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.05)
    return False


def cli(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args], capture_output=True, env=env, timeout=timeout_s
    )


# --- scripts that cannot start -------------------------------------------------------------


def test_missing_script(tmp_path):
    outcome, _ = profile(tmp_path / "nope.py")
    assert outcome.status == "could_not_start" and not outcome.ok
    assert "does not exist" in outcome.message and "nope.py" in outcome.message


def test_directory_instead_of_script(tmp_path):
    outcome, _ = profile(tmp_path)
    assert outcome.status == "could_not_start"
    assert outcome.message.startswith(ExitCode.NOT_A_FILE.message)


def test_binary_file(tmp_path):
    path = tmp_path / "program.pyc"
    path.write_bytes(b"\x00\x01\x02ELF\x00binary" * 100)
    outcome, _ = profile(path)
    assert outcome.status == "could_not_start"
    assert outcome.message.startswith(ExitCode.NOT_PYTHON.message)


def test_non_utf8_text(tmp_path):
    path = tmp_path / "latin1.py"
    path.write_bytes(b"print('caf\xe9')\n")  # Latin-1 without a coding cookie
    outcome, _ = profile(path)
    assert outcome.status == "could_not_start"
    assert outcome.message.startswith(ExitCode.NOT_PYTHON.message)


def test_coding_cookie_is_honoured(tmp_path):
    path = tmp_path / "latin1_cookie.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\nprint('caf\xe9')\n")
    outcome, sink = profile(path)
    assert outcome.status == "finished", outcome.message
    assert sink.stdout == "café\n".encode()


def test_csv_file(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("date,price\n2024-01-05,3.5\n")
    outcome, sink = profile(path)
    assert outcome.status == "could_not_start"
    assert "syntax error" in outcome.message and "prices.csv:2" in outcome.message
    assert b"SyntaxError" in sink.stderr


def test_syntax_error_names_file_line_and_caret(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("x = 1\n\ndef f(:\n    pass\n")
    outcome, sink = profile(path)
    assert outcome.status == "could_not_start" and not outcome.ok
    assert f"{path}:3" in outcome.message
    err = sink.stderr.decode()
    assert "def f(:" in err and "^" in err and "SyntaxError" in err  # as Python prints it


# --- scripts that start and then fail ------------------------------------------------------


def test_uncaught_exception_keeps_partial_profile(tmp_path):
    outcome, sink = profile(SCRIPTS / "raises.py")
    assert outcome.status == "script_error" and outcome.ok
    assert outcome.script_exit_code == 1
    assert "ValueError: bad value 42" in outcome.message
    assert {"busy_work", "fail"} <= function_names(outcome.profile_path)
    # The worker's frames are stripped: stderr is what plain Python prints.
    plain = subprocess.run([sys.executable, str(SCRIPTS / "raises.py")], capture_output=True)
    assert bytes(sink.stderr) == plain.stderr
    assert b'raises.py", line 16, in <module>' in plain.stderr
    assert outcome.traceback and "ValueError" in outcome.traceback


def test_sys_exit_status(tmp_path):
    outcome, _ = profile(SCRIPTS / "exits.py", 3)
    assert outcome.status == "script_error" and outcome.ok
    assert outcome.script_exit_code == 3
    assert "exited with code 3" in outcome.message
    assert "busy_work" in function_names(outcome.profile_path)


def test_sys_exit_zero_is_success():
    outcome, _ = profile(SCRIPTS / "exits.py", 0)
    assert outcome.status == "finished" and outcome.script_exit_code == 0


def test_os_exit_still_saves_profile():
    outcome, sink = profile(SCRIPTS / "exits.py", 4, "hard")
    assert outcome.ok and outcome.script_exit_code == 4
    assert "busy_work" in function_names(outcome.profile_path)
    # os._exit skips flushing stdio: whatever plain Python shows, we show.
    plain = subprocess.run([sys.executable, str(SCRIPTS / "exits.py"), "4", "hard"], capture_output=True)
    assert plain.returncode == 4 and bytes(sink.stdout) == plain.stdout


def test_segfault_is_reported_as_crash():
    outcome, sink = profile(SCRIPTS / "segfault.py")
    assert outcome.status == "crashed" and not outcome.ok
    assert outcome.signal == signal.SIGSEGV
    assert outcome.message == "The script crashed with a segmentation fault; no profile was saved."
    assert b"about to crash" in sink.stdout
    assert b"Segmentation fault" in sink.stderr  # faulthandler shows where it died


def test_recursion_5000_deep_is_profiled():
    outcome, sink = profile(SCRIPTS / "recursion.py", 5000)
    assert outcome.status == "finished", outcome.message
    assert sink.stdout == b"depth 5000\n"
    prof = load_profile(outcome.profile_path, trusted=True)
    descend = next(f for f in prof.functions if f.name == "descend")
    assert descend.calls == 5001


def test_endless_recursion_is_a_script_error():
    outcome, sink = profile(SCRIPTS / "recursion.py", "forever")
    assert outcome.status == "script_error" and outcome.ok
    assert "RecursionError" in outcome.message
    assert b"RecursionError" in sink.stderr


# --- hangs, cancel, timeout, orphans -------------------------------------------------------


def _cancel_after(event: threading.Event, delay_s: float) -> None:
    threading.Timer(delay_s, event.set).start()


@pytest.mark.slow
def test_cancel_a_hang_returns_partial_profile():
    cancel = threading.Event()
    _cancel_after(cancel, 1.5)
    t0 = time.monotonic()
    outcome, _ = profile(SCRIPTS / "hang.py", cancel=cancel)
    assert time.monotonic() - t0 < 1.5 + STOP_SLACK_S
    assert outcome.status == "cancelled" and outcome.ok
    assert outcome.message.startswith("Cancelled after") and "partial profile shown" in outcome.message
    assert "spin_once" in function_names(outcome.profile_path)


@pytest.mark.slow
def test_timeout_stops_a_hang():
    t0 = time.monotonic()
    outcome, _ = profile(SCRIPTS / "hang.py", timeout_s=1.0)
    assert time.monotonic() - t0 < 1.0 + STOP_SLACK_S
    assert outcome.status == "timed_out" and outcome.ok
    assert outcome.message == "Stopped after the 1 s timeout; partial profile shown."


@pytest.mark.slow
def test_script_ignoring_sigterm_is_killed_after_grace():
    t0 = time.monotonic()
    outcome, _ = profile(SCRIPTS / "hang.py", "stubborn", timeout_s=1.0)
    elapsed = time.monotonic() - t0
    assert STOP_GRACE_S <= elapsed < 1.0 + STOP_GRACE_S + STOP_SLACK_S
    assert outcome.status == "timed_out" and not outcome.ok
    assert "no profile was saved" in outcome.message


def test_child_outliving_script_is_killed(tmp_path):
    pid_file = tmp_path / "child.pid"
    outcome, _ = profile(SCRIPTS / "child_outlives.py", pid_file)
    assert outcome.status == "finished", outcome.message
    assert process_gone(int(pid_file.read_text()))


@pytest.mark.slow
def test_cancel_kills_the_scripts_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    cancel = threading.Event()
    _cancel_after(cancel, 1.5)
    outcome, _ = profile(SCRIPTS / "child_outlives.py", pid_file, "hang", cancel=cancel)
    assert outcome.status == "cancelled"
    assert process_gone(int(pid_file.read_text()))


# --- input and output ----------------------------------------------------------------------


def test_stdin_gets_eof():
    outcome, sink = profile(SCRIPTS / "reads_stdin.py")
    assert outcome.status == "finished"
    assert sink.stdout == b"stdin bytes: 0\n"


@pytest.mark.slow
def test_50_mib_of_output_streams_without_deadlock():
    count = 0

    def counter(data: bytes) -> None:
        nonlocal count
        count += len(data)

    tracemalloc.start()
    try:
        outcome = run_profile(RunSpec(str(SCRIPTS / "big_output.py"), [str(BIG_OUTPUT_MIB)]), on_stdout=counter)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    block = 65536
    assert outcome.status == "finished", outcome.message
    assert count == (BIG_OUTPUT_MIB << 20) // block * block
    assert peak < BIG_OUTPUT_PEAK_LIMIT_BYTES


def test_non_utf8_output_passes_unchanged():
    outcome, sink = profile(SCRIPTS / "raw_bytes.py")
    assert outcome.status == "finished"
    assert bytes(sink.stdout) == b"\xff\xfe\x80 not utf-8 \xc3\x28\n"
    assert bytes(sink.stderr) == b"err \xe9\xff\n"


def test_protocol_lookalike_output_does_not_confuse_the_runner():
    outcome, sink = profile(SCRIPTS / "fake_protocol.py")
    assert b'{"type": "result"' in sink.stdout and b'"type": "error"' in sink.stderr
    assert outcome.status == "script_error" and outcome.script_exit_code == 5
    assert outcome.profile_path != "/nonexistent/fake.prof" and os.path.exists(outcome.profile_path)


def test_spaces_and_non_ascii_in_path_and_args(tmp_path):
    folder = tmp_path / "dir with spaces ü"
    folder.mkdir()
    script = folder / "scrípt ñame.py"
    script.write_text((SCRIPTS / "show_env.py").read_text())
    report = tmp_path / "report é.json"
    outcome, _ = profile(script, report, "a b", "ü", "--flag", "", "{fd}")
    assert outcome.status == "finished", outcome.message
    seen = json.loads(report.read_text(encoding="utf-8"))
    assert seen["argv"] == [str(script), str(report), "a b", "ü", "--flag", "", "{fd}"]
    assert seen["file"] == str(script) and seen["path0"] == str(folder)


# --- Scalene -------------------------------------------------------------------------------


@pytest.mark.slow
def test_scalene_empty_profile_gets_a_clear_message():
    outcome, sink = profile(SCRIPTS / "quick.py", profiler="scalene", scalene_cpu_only=True)
    assert sink.stdout.startswith(b"quick\n")
    assert outcome.notes and "Scalene recorded no samples" in outcome.notes[0]
    assert "Scalene recorded no samples" in outcome.message
    from gpuprof_gui.core.importers import ProfileFormatError

    with pytest.raises(ProfileFormatError):
        load_profile(outcome.profile_path)


@pytest.mark.slow
def test_cli_scalene_empty_profile(tmp_path):
    res = cli("profile", "--profiler", "scalene", "--cpu-only", str(SCRIPTS / "quick.py"))
    assert res.returncode == 3
    assert b"Scalene recorded no samples" in res.stderr and b"Traceback" not in res.stderr


@pytest.mark.slow
def test_scalene_exception_and_exit_status():
    outcome, sink = profile(SCRIPTS / "exits.py", 3, profiler="scalene", scalene_cpu_only=True)
    assert outcome.status == "script_error" and outcome.script_exit_code == 3
    outcome, sink = profile(SCRIPTS / "raises.py", profiler="scalene", scalene_cpu_only=True)
    assert outcome.status == "script_error" and outcome.script_exit_code == 1
    assert b"ValueError: bad value 42" in sink.stderr


@pytest.mark.slow
def test_scalene_cancel_keeps_partial_profile(tmp_path):
    pid_file = tmp_path / "child.pid"
    cancel = threading.Event()
    _cancel_after(cancel, 3.0)  # Scalene needs a moment to start sampling
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    outcome, _ = profile(
        SCRIPTS / "child_outlives.py",
        pid_file,
        "hang",
        profiler="scalene",
        scalene_cpu_only=True,
        cancel=cancel,
        cwd=str(cwd),
    )
    assert outcome.status == "cancelled" and outcome.ok, outcome.message
    # Scalene's empty profile of the stopped child is not left in the working folder.
    assert list(cwd.iterdir()) == []
    prof = load_profile(outcome.profile_path)
    assert any("child_outlives.py" in f.file for f in prof.functions)
    assert process_gone(int(pid_file.read_text()))


@pytest.mark.slow
def test_scalene_segfault_is_a_crash():
    outcome, _ = profile(SCRIPTS / "segfault.py", profiler="scalene", scalene_cpu_only=True)
    assert outcome.status == "crashed" and not outcome.ok
    assert "segmentation fault" in outcome.message


# --- the command line on bad input ---------------------------------------------------------


def test_cli_missing_script_is_one_sentence(tmp_path):
    res = cli("profile", str(tmp_path / "nope.py"))
    assert res.returncode == 2
    assert b"Traceback" not in res.stderr
    assert res.stderr.decode().strip().startswith("The script does not exist")


def test_cli_syntax_error(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("print(1 +)\n")
    res = cli("profile", "--json", str(path))
    assert res.returncode == 2
    doc = json.loads(res.stdout)
    assert doc["status"] == "could_not_start" and f"{path}:1" in doc["message"]


def test_cli_script_exit_status_is_passed_on():
    res = cli("profile", "--json", str(SCRIPTS / "exits.py"), "--", "7")
    assert res.returncode == 7
    doc = json.loads(res.stdout)
    assert doc["exit_code"] == 7 and doc["hotspots"]


def test_cli_segfault_exit_status():
    res = cli("profile", str(SCRIPTS / "segfault.py"))
    assert res.returncode == 3
    assert b"segmentation fault" in res.stderr


def test_cli_non_utf8_output_passes_unchanged():
    res = cli("profile", str(SCRIPTS / "raw_bytes.py"))
    assert res.returncode == 0
    assert res.stdout.startswith(b"\xff\xfe\x80 not utf-8 \xc3\x28\n")
    assert res.stderr.startswith(b"err \xe9\xff\n")


@pytest.mark.slow
def test_cli_timeout_exit_status():
    res = cli("profile", "--timeout", "1", str(SCRIPTS / "hang.py"))
    assert res.returncode == 124
    assert b"Stopped after the 1 s timeout" in res.stderr
    assert b"spin_once" in res.stdout


def _real_prof(tmp_path: Path) -> Path:
    outcome, _ = profile(SCRIPTS / "raises.py", output_dir=str(tmp_path / "run"))
    return Path(outcome.profile_path)


def test_cli_open_truncated_prof(tmp_path):
    data = _real_prof(tmp_path).read_bytes()
    bad = tmp_path / "truncated.prof"
    bad.write_bytes(data[: len(data) // 2])
    res = cli("open", str(bad))
    assert res.returncode == 2 and not res.stdout
    err = res.stderr.decode()
    assert b"Traceback" not in res.stderr and len(err.strip().splitlines()) == 1
    assert "truncated" in err or "damaged" in err


# These garbage bytes make marshal claim a multi-gigabyte object (13 GB
# resident, 12 s, measured without the convert worker's memory cap).
GREEDY_GARBAGE_SEED = 1
# Fails in well under a second with the cap; far less than the uncapped 12 s.
GARBAGE_OPEN_LIMIT_S = 8.0


def test_cli_open_garbage_prof(tmp_path):
    bad = tmp_path / "garbage.prof"
    # "{(" passes the sniff as a marshal dict with a tuple key; the rest is noise.
    bad.write_bytes(b"{(" + random.Random(GREEDY_GARBAGE_SEED).randbytes(4096))
    t0 = time.monotonic()
    res = cli("open", str(bad))
    assert time.monotonic() - t0 < GARBAGE_OPEN_LIMIT_S
    assert res.returncode == 2 and b"Traceback" not in res.stderr
    assert len(res.stderr.decode().strip().splitlines()) == 1
    assert "damaged cProfile dump" in res.stderr.decode()
    noise = tmp_path / "noise.prof"
    noise.write_bytes(random.Random(2).randbytes(4096))
    res = cli("open", str(noise))
    assert res.returncode == 2 and b"Traceback" not in res.stderr


def test_cli_open_good_prof(tmp_path):
    res = cli("open", "--json", str(_real_prof(tmp_path)))
    assert res.returncode == 0, res.stderr
    names = [row["name"] for row in json.loads(res.stdout)["hotspots"]]
    assert "busy_work" in names


def _start_cli_on_hanging_script(tmp_path: Path, profiler: str = "cprofile") -> tuple[subprocess.Popen, int, int]:
    """`gpuprof profile` on a script that hangs with a child; (cli, its worker's pid, child pid)."""
    pid_file = tmp_path / "child.pid"
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "profile",
            "--profiler",
            profiler,
            "--cpu-only",
            str(SCRIPTS / "child_outlives.py"),
            "--",
            str(pid_file),
            "hang",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    # The child's process group is the worker's (the worker leads it).
    return proc, os.getpgid(child), child


@pytest.mark.slow
def test_cli_terminated_cancels_cleanly(tmp_path):
    proc, worker, child = _start_cli_on_hanging_script(tmp_path)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    # Nobody pressed Ctrl-C: a `kill` is told apart from a cancel the user asked for.
    assert b"Stopped by a signal from outside (SIGTERM) after" in err and b"partial profile shown" in err
    assert process_gone(worker) and process_gone(child)


@pytest.mark.slow
@pytest.mark.parametrize("profiler", ["cprofile", "scalene"])
def test_cli_killed_leaves_no_orphans(tmp_path, profiler):
    proc, worker, child = _start_cli_on_hanging_script(tmp_path, profiler)
    proc.kill()  # no chance to clean up: the worker notices its parent died
    proc.communicate(timeout=30)
    assert process_gone(worker, wait_s=STOP_GRACE_S + ORPHAN_WAIT_S)
    assert process_gone(child, wait_s=ORPHAN_WAIT_S)
