"""The profile worker's processes: forked children, signals, escaping daemons, exit status."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gpuprof_gui.jobs.runner import RunSpec, run_profile

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"

REPO_ROOT = SCRIPTS.parents[1]

pytestmark = pytest.mark.timeout(300)


def pid_alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped by whoever adopted it, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)


def read_pid(pid_file: Path, timeout_s: float = 60.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{pid_file} was never written")


def gpuprof(*args: str, timeout_s: float = 170) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=timeout_s,
    )


def _run(spec: RunSpec, **kw):
    out: list[bytes] = []
    err: list[bytes] = []
    outcome = run_profile(spec, on_stdout=out.append, on_stderr=err.append, **kw)
    return outcome, b"".join(out).decode(errors="replace"), b"".join(err).decode(errors="replace")


def test_fork_pool_terminate_is_quiet_and_ends(tmp_path):
    """Pool workers get SIGTERM with its default action, even while they are still starting."""
    for i in range(10):
        spec = RunSpec(str(SCRIPTS / "fork_pool_terminate.py"), timeout_s=60, output_dir=str(tmp_path / str(i)))
        outcome, out, err = _run(spec)
        assert "_Cancelled" not in err, err
        assert outcome.status == "finished", (i, outcome.message, err)
        assert "pools terminated" in out


def test_a_forked_child_keeps_the_signal_handlers_the_script_installed(tmp_path):
    """Only the worker's own handlers are reset in a fork; the script's are inherited as under plain Python."""
    plain = subprocess.run(
        [sys.executable, str(SCRIPTS / "fork_keeps_own_handler.py")], capture_output=True, text=True, timeout=60
    )
    outcome, out, err = _run(RunSpec(str(SCRIPTS / "fork_keeps_own_handler.py"), output_dir=str(tmp_path)))
    assert outcome.status == "finished", (outcome.message, err)
    assert (
        out.splitlines()
        == plain.stdout.splitlines()
        == [
            "child handled SIGHUP",
            "child handled SIGTERM",
            "child exit status 0",
        ]
    )


def test_fork_pool_terminate_under_scalene_ends(tmp_path):
    """Scalene's SIGTERM handler, inherited by a fork, used to hang Pool.terminate() until the timeout."""
    pytest.importorskip("scalene")
    spec = RunSpec(str(SCRIPTS / "fork_pool_terminate.py"), profiler="scalene", timeout_s=90, output_dir=str(tmp_path))
    outcome, out, err = _run(spec)
    assert outcome.status == "finished", (outcome.message, err)
    assert "pools terminated" in out
    assert "Traceback" not in err, err


# --- daemons (double fork + setsid) that leave the worker's process group ---------------------

DAEMON = str(SCRIPTS / "daemonizes.py")


def _kill_if_alive(pid: int) -> None:
    if pid_alive(pid):
        os.kill(pid, 9)


@pytest.mark.parametrize(
    ("mode", "timeout_s", "status"),
    [
        ("", None, "finished"),
        # The script SIGKILLs its own process (the worker): the worker cannot sweep, the supervisor does.
        ("kill-self", None, "crashed"),
        # The script blocks SIGTERM: the timeout ends in SIGKILL after the grace period.
        ("deaf-hang", 3, "timed_out"),
    ],
    ids=["run-ends", "worker-killed", "worker-needs-sigkill"],
)
def test_daemon_is_gone_when_the_run_is_over(tmp_path, mode, timeout_s, status):
    pid_file = tmp_path / "daemon.pid"
    spec = RunSpec(DAEMON, [str(pid_file), mode], timeout_s=timeout_s, output_dir=str(tmp_path / "out"))
    outcome, out, _ = _run(spec)
    assert "daemon started" in out
    assert outcome.status == status, outcome.message
    daemon = read_pid(pid_file)
    try:
        assert wait_gone(daemon), "the daemon outlived the run"
    finally:
        _kill_if_alive(daemon)


def test_daemon_is_gone_after_a_timeout(tmp_path):
    pid_file = tmp_path / "daemon.pid"
    res = gpuprof("profile", "--timeout", "2", DAEMON, "--", str(pid_file), "hang")
    assert "timeout" in res.stderr, res.stderr
    daemon = read_pid(pid_file)
    try:
        assert wait_gone(daemon), "the daemon outlived the timeout"
    finally:
        _kill_if_alive(daemon)


def test_daemon_is_gone_after_cancel(tmp_path):
    pid_file = tmp_path / "daemon.pid"
    cancel = threading.Event()
    pids: list[int] = []

    def cancel_once_started() -> None:
        pids.append(read_pid(pid_file))
        cancel.set()

    waiter = threading.Thread(target=cancel_once_started, daemon=True)
    waiter.start()
    outcome, _, _ = _run(RunSpec(DAEMON, [str(pid_file), "hang"], output_dir=str(tmp_path / "out")), cancel=cancel)
    waiter.join(60)
    assert outcome.status == "cancelled", outcome.message
    try:
        assert wait_gone(pids[0]), "the daemon outlived the cancel"
    finally:
        _kill_if_alive(pids[0])


def test_daemon_holding_stdout_does_not_keep_the_run_going(tmp_path):
    """The daemon sleeps a minute with the output pipe open: the run still ends, and takes it along."""
    pid_file = tmp_path / "daemon.pid"
    res = gpuprof("profile", DAEMON, "--", str(pid_file), "keep-stdout", timeout_s=50)
    assert res.returncode == 0, res.stderr
    assert "daemon started" in res.stdout
    daemon = read_pid(pid_file)
    try:
        assert wait_gone(daemon), "the daemon outlived the run"
    finally:
        _kill_if_alive(daemon)


# --- signals from outside --------------------------------------------------------------------


def test_script_signalling_its_own_process_is_not_called_a_cancel(tmp_path):
    """The script runs inside the profiler's worker: the outcome says a SIGTERM nobody asked for came."""
    spec = RunSpec(str(SCRIPTS / "kills_parent.py"), ["self"], output_dir=str(tmp_path / "out"))
    outcome, out, _ = _run(spec)
    assert "signalling myself" in out
    assert not outcome.message.startswith("Cancelled"), outcome.message
    assert "SIGTERM that gpuprof did not send" in outcome.message and "the script itself" in outcome.message
    assert outcome.ok  # the profile so far is kept


def test_script_signalling_its_parent_stops_gpuprof_in_plain_words(tmp_path):
    """Its parent is `gpuprof profile`: the run stops, and it is not called a cancel by the user."""
    res = gpuprof("profile", str(SCRIPTS / "kills_parent.py"), timeout_s=60)
    assert "signalling my parent" in res.stdout
    assert "Stopped by a signal from outside (SIGTERM) after" in res.stderr, res.stderr
    assert "Cancelled" not in res.stderr


@pytest.mark.parametrize("attempt", range(3))
def test_a_signal_from_outside_loses_none_of_the_output_before_it(attempt):
    """Each line the script wrote before it signalled gpuprof reaches gpuprof's stdout, in order.

    The stop signal used to raise inside the output pump, dropping a chunk already read.
    """
    count = 20_000
    res = gpuprof("profile", str(SCRIPTS / "floods_then_signals_parent.py"), str(count), timeout_s=120)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("line ")]
    missing = sorted(set(range(count)) - {int(ln.split()[1]) for ln in lines})
    assert not missing, f"{len(missing)} lines lost, {missing[:2]}..{missing[-2:]}; stderr: {res.stderr[-600:]}"
    assert [int(ln.split()[1]) for ln in lines] == list(range(count))
    assert "last line before the signal" in res.stdout
    assert "Stopped by a signal from outside (SIGTERM)" in res.stderr, res.stderr


def test_ctrl_c_is_still_a_cancel(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "gpuprof_gui.cli", "profile", str(SCRIPTS / "hang.py")],
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # not a timing assertion: Ctrl-C at any moment must read as a cancel
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert b"Cancelled after" in err, err
    assert b"from outside" not in err
