"""A profile run on a remote host, end to end, against a real OpenSSH server on 127.0.0.1.

The "host" is this machine reached through sshd, with a home of its own (``sshd.remote_home``):
the worker's code is sent there, the script's folder is copied to a private scratch folder, the
profile comes back, and nothing is left behind, also when the connection drops or the run is
cancelled. The faults' sentences are checked where the user reads them (the run's message).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.jobs.outcome import OutcomeTracker
from gpuprof_gui.jobs.remote import remote_run
from gpuprof_gui.jobs.remote.relay import Relay, run_relay
from gpuprof_gui.jobs.remote.ssh import close_master, master_pid, parse_host
from gpuprof_gui.jobs.runner import RunSpec, run_profile
from gpuprof_gui.protocol import LineDecoder
from gpuprof_gui.workers._channel import Channel

REPO_ROOT = Path(__file__).resolve().parents[2]


def _runs_left(sshd) -> list[str]:
    runs = Path(sshd.remote_home) / ".cache" / "gpuprof-gui" / "remote" / "runs"
    return sorted(os.listdir(runs)) if runs.is_dir() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pids: list[int], within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        alive = [p for p in pids if _alive(p)]
        if not alive:
            return []
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def _project(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "proj"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "work.py").write_text(
        "def crunch(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n"
    )
    (folder / "data.txt").write_text("40000\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("never sent\n")
    script = folder / "main.py"
    script.write_text(body)
    return script


def test_a_script_profiled_on_the_host_comes_back_as_a_local_run(sshd, tmp_path):
    script = _project(
        tmp_path,
        "import os, sys\nfrom pkg.work import crunch\n"
        "n = int(open('data.txt').read())\n"  # the folder came along, and is the working directory
        "print('ran in', os.getcwd(), 'git' if os.path.exists('.git') else 'no-git', flush=True)\n"
        "for _ in range(20):\n    crunch(n)\n",
    )
    out: list[bytes] = []
    outcome = run_profile(
        RunSpec(str(script), host=sshd.alias, output_dir=str(tmp_path / "run"), timeout_s=120),
        on_stdout=out.append,
    )
    assert outcome.status == "finished", outcome.message
    assert outcome.profile_path and outcome.profile_path.startswith(str(tmp_path / "run")), outcome.profile_path
    profile = load_profile(outcome.profile_path, trusted=True)
    crunch = [f for f in profile.functions if f.name == "crunch"]
    assert crunch and crunch[0].calls == 20
    text = b"".join(out).decode()
    scratch = text.split("ran in ", 1)[1].split()[0]
    assert scratch.startswith(str(sshd.remote_home)) and "no-git" in text, text
    assert not os.path.exists(scratch) and _runs_left(sshd) == []  # the scratch folder is removed
    bundles = Path(sshd.remote_home) / ".cache" / "gpuprof-gui" / "remote"
    assert any(p.name != "runs" for p in bundles.iterdir())  # the worker's code stays, for the next run
    # replay: the profile that came back opens here like any other
    done = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "open", "--json", outcome.profile_path],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "crunch" in done.stdout, done.stderr


def _start_in_thread(spec: RunSpec, out: list[bytes], cancel: threading.Event | None = None):
    box: dict = {}

    def go() -> None:
        box["outcome"] = run_profile(spec, on_stdout=out.append, cancel=cancel)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread, box


def _wait_for_marker(out: list[bytes], marker: str, within_s: float = 60.0) -> str:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        text = b"".join(out).decode(errors="replace")
        if marker in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"no {marker!r} in {b''.join(out)[-400:]!r}")


LONG_RUN = (
    "import os, subprocess, time\n"
    "child = subprocess.Popen(['sleep', '300'])\n"
    "loose = subprocess.Popen(['setsid', 'sleep', '301'])\n"
    "print('PIDS', os.getpid(), child.pid, loose.pid, flush=True)\n"
    "t = time.time()\n"
    "while time.time() - t < 120:\n"
    "    sum(range(10000))\n"
)


def test_a_dropped_connection_leaves_no_process_on_the_host_and_says_interrupted(sshd, tmp_path):
    script = _project(tmp_path, LONG_RUN)
    out: list[bytes] = []
    thread, box = _start_in_thread(
        RunSpec(str(script), host=sshd.alias, output_dir=str(tmp_path / "run"), timeout_s=200), out
    )
    text = _wait_for_marker(out, "PIDS")
    pids = [int(p) for p in text.split("PIDS", 1)[1].split()[:3]]
    master = master_pid(parse_host(sshd.alias))
    assert master is not None
    os.kill(master, signal.SIGKILL)  # the network drops: the connection is gone at once
    thread.join(60)
    assert not thread.is_alive()
    outcome = box["outcome"]
    assert outcome.status == "interrupted", outcome.message
    assert "lost" in outcome.message and sshd.alias in outcome.message
    assert "PIDS" in b"".join(out).decode()  # what came back before is kept
    assert _wait_gone(pids, 20.0) == [], "processes left on the host"
    deadline = time.monotonic() + 10
    while _runs_left(sshd) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _runs_left(sshd) == []
    # the next run works: a new master connection is made
    again = run_profile(RunSpec(str(_project(tmp_path / "b", "print('again')\n")), host=sshd.alias, timeout_s=120))
    assert again.status == "finished", again.message


def test_cancel_stops_the_run_on_the_host_and_its_partial_profile_comes_back(sshd, tmp_path):
    script = _project(tmp_path, LONG_RUN)
    out: list[bytes] = []
    cancel = threading.Event()
    thread, box = _start_in_thread(
        RunSpec(str(script), host=sshd.alias, output_dir=str(tmp_path / "run"), timeout_s=200), out, cancel
    )
    text = _wait_for_marker(out, "PIDS")
    pids = [int(p) for p in text.split("PIDS", 1)[1].split()[:3]]
    time.sleep(0.5)
    cancel.set()
    thread.join(60)
    outcome = box["outcome"]
    assert outcome.status == "cancelled" and outcome.ok, outcome.message
    assert load_profile(outcome.profile_path, trusted=True).total_s > 0
    assert _wait_gone(pids, 20.0) == []
    assert _runs_left(sshd) == []


def test_a_changed_host_key_is_refused_in_one_sentence(sshd, tmp_path):
    close_master(parse_host(sshd.alias))
    sshd.write_wrong_host_key()
    try:
        outcome = run_profile(RunSpec(str(_project(tmp_path, "print(1)\n")), host=sshd.alias, timeout_s=60))
    finally:
        sshd.trust_host_key()
    assert outcome.status == "could_not_start"
    assert "changed" in outcome.message.lower() and "\n" not in outcome.message.strip()
    assert _runs_left(sshd) == []


def test_an_unknown_host_key_is_never_accepted_silently(sshd, tmp_path):
    close_master(parse_host(sshd.alias))
    sshd.forget_host_key()
    try:
        outcome = run_profile(RunSpec(str(_project(tmp_path, "print(1)\n")), host=sshd.alias, timeout_s=60))
        assert sshd.known_hosts.read_text() == ""  # nothing was added behind the user's back
    finally:
        sshd.trust_host_key()
    assert outcome.status == "could_not_start"
    assert "not known" in outcome.message and f"ssh {sshd.alias}" in outcome.message


def test_a_missing_python_on_the_host_is_one_sentence(sshd, tmp_path):
    outcome = run_profile(
        RunSpec(str(_project(tmp_path, "print(1)\n")), host=sshd.alias, python="/no/such/python3", timeout_s=60)
    )
    assert outcome.status == "could_not_start"
    assert "/no/such/python3" in outcome.message and "--python" in outcome.message


def test_a_path_on_the_host_runs_as_it_is_without_copying(sshd, tmp_path):
    on_host = Path(sshd.remote_home) / "already_there.py"
    on_host.write_text("import os\nprint('cwd', os.getcwd(), flush=True)\nsum(range(100000))\n")
    out: list[bytes] = []
    outcome = run_profile(
        RunSpec(str(on_host), host=sshd.alias, on_host=True, output_dir=str(tmp_path / "run"), timeout_s=60),
        on_stdout=out.append,
    )
    assert outcome.status == "finished", outcome.message
    assert f"cwd {sshd.remote_home}" in b"".join(out).decode()


def test_trace_gpu_on_a_host_without_cupti_says_so_and_still_profiles(sshd, tmp_path):
    outcome = run_profile(
        RunSpec(str(_project(tmp_path, "sum(range(100000))\n")), host=sshd.alias, gpu_trace=True, timeout_s=60)
    )
    assert outcome.status == "finished" and outcome.ok, outcome.message
    assert any("CUPTI" in n or "GPU" in n for n in outcome.notes), outcome.notes


@pytest.mark.parametrize("host", ["gpu.invalid", "nobody@127.0.0.1:1"])
def test_a_host_that_cannot_be_reached_is_one_sentence(sshd, tmp_path, host):
    outcome = run_profile(RunSpec(str(_project(tmp_path, "print(1)\n")), host=host, timeout_s=60))
    assert outcome.status == "could_not_start"
    assert host.split("@")[-1].split(":")[0] in outcome.message and "\n" not in outcome.message.strip()


def test_cancel_while_the_folder_is_copied_stops_the_copy_and_leaves_nothing_there(sshd, tmp_path):
    script = _project(tmp_path, "print('never runs')\n")
    with open(script.parent / "weights.bin", "wb") as fh:  # big enough that the copy takes a while
        for _ in range(160):
            fh.write(os.urandom(1 << 20))
    out: list[bytes] = []
    cancel = threading.Event()
    thread, box = _start_in_thread(
        RunSpec(str(script), host=sshd.alias, output_dir=str(tmp_path / "run"), timeout_s=200), out, cancel
    )
    runs = Path(sshd.remote_home) / ".cache" / "gpuprof-gui" / "remote" / "runs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(runs.glob("run-*/src/*")):
        time.sleep(0.02)  # the copy has begun: files arrive in the scratch folder
    assert thread.is_alive(), box.get("outcome")
    cancel.set()
    thread.join(60)
    outcome = box["outcome"]
    assert outcome.status == "cancelled" and not outcome.ok, outcome.message
    assert b"never runs" not in b"".join(out)
    deadline = time.monotonic() + 15
    while _runs_left(sshd) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _runs_left(sshd) == []


def test_an_agent_that_fails_after_the_run_started_ends_it_as_interrupted_in_its_own_words(sshd, tmp_path):
    # Something on the host (an administrator, a shutdown) terminates the agent while the script runs:
    # the agent stops the run, removes its files and says why, and the link still carries its sentence.
    script = _project(
        tmp_path,
        "import os, signal, time\nos.kill(os.getppid(), signal.SIGTERM)\ntime.sleep(60)\n",
    )
    outcome = run_profile(RunSpec(str(script), host=sshd.alias, output_dir=str(tmp_path / "run"), timeout_s=120))
    assert outcome.status == "interrupted", outcome.message
    assert "the agent got SIGTERM" in outcome.message and sshd.alias in outcome.message, outcome.message


BIG_BYTES = 48 << 20


def _big_data() -> bytes:
    import random

    return random.Random(7).randbytes(BIG_BYTES)


def test_a_large_result_comes_back_byte_for_byte_without_being_held_in_memory(sshd, tmp_path):
    # The script writes into the run's output folder on the host (``../out`` of its working folder).
    script = _project(
        tmp_path,
        f"import random\nopen('../out/big.bin', 'wb').write(random.Random(7).randbytes({BIG_BYTES}))\n",
    )
    output_dir = str(tmp_path / "run")
    os.makedirs(output_dir)
    job_path, failure = remote_run.prepare(
        RunSpec(str(script), host=sshd.alias, output_dir=output_dir, timeout_s=120), output_dir
    )
    assert failure is None, failure
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    os.remove(job_path)
    channel_path = tmp_path / "channel.jsonl"
    fd = os.open(channel_path, os.O_WRONLY | os.O_CREAT, 0o600)
    relay = Relay(job, Channel(fd))
    tracemalloc.start()
    try:
        code = run_relay(relay, relay.channel)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        os.close(fd)
    tracker = OutcomeTracker(output_dir=output_dir)
    for msg in LineDecoder().feed(channel_path.read_bytes()):
        tracker.feed(msg)
    outcome = tracker.finish(code)
    assert outcome.status == "finished", outcome.message
    big = Path(output_dir) / "big.bin"
    assert big.stat().st_size == BIG_BYTES
    assert hashlib.sha256(big.read_bytes()).digest() == hashlib.sha256(_big_data()).digest()
    assert not [n for n in os.listdir(output_dir) if n.startswith(".remote-")]  # the tar that came is removed
    held = {k: len(v) for k, v in vars(relay).items() if isinstance(v, (bytes, bytearray))}
    assert all(n < (1 << 20) for n in held.values()), held
    assert peak < BIG_BYTES // 4, f"the relay peaked at {peak} bytes for a {BIG_BYTES}-byte result"
