"""The remote agent, run here as ssh would run it: a subprocess whose stdin and stdout are its link.

A small client made of :mod:`remote_frames` plays the app's part. The runs are real: the
profile worker profiles an uploaded script, its output and results come back, and a run
whose connection is dropped leaves no process and no folder behind.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import pstats
import queue
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest

from gpuprof_gui.workers.remote_frames import (
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    STREAM_CHANNEL,
    STREAM_CONTROL,
    STREAM_FILE,
    STREAM_STDERR,
    STREAM_STDOUT,
    FrameDecoder,
    FrameError,
    control_frame,
    decode_control,
    encode_frame,
)
from gpuprof_gui.workers.remote_host import owner_marker

REPO_ROOT = Path(__file__).resolve().parents[2]
AGENT = "gpuprof_gui.workers.remote_agent"
WAIT_S = 120.0
"""The longest any step may take before the test fails instead of hanging (not a timing check)."""

pytestmark = pytest.mark.timeout(300)


class Client:
    """The app's end of the link: frames in, frames out, a ping every 0.2 s while ``pinging``."""

    def __init__(self, tmp_path: Path, command: list[str] | None = None, env: dict[str, str] | None = None) -> None:
        self.home = tmp_path / "home"
        self.cache = self.home / ".cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        full_env = dict(os.environ, HOME=str(self.home), XDG_CACHE_HOME=str(self.cache), PYTHONPATH=str(REPO_ROOT))
        self.stderr_path = tmp_path / "agent-stderr.txt"
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                command or [sys.executable, "-m", AGENT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env={**full_env, **(env or {})},
                cwd=tmp_path,
            )
        self.inbox: queue.Queue = queue.Queue()
        self.messages: list[dict] = []
        self.data: dict[int, bytearray] = {s: bytearray() for s in (STREAM_CHANNEL, STREAM_STDOUT, STREAM_STDERR)}
        self.files = bytearray()
        self.ended = False
        self.pinging = threading.Event()
        self.pinging.set()
        self.reading = threading.Event()
        self.reading.set()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._ping, daemon=True).start()

    def _read(self) -> None:
        decoder = FrameDecoder()
        assert self.proc.stdout is not None
        while self.reading.wait() and (data := os.read(self.proc.stdout.fileno(), 1 << 16)):
            for frame in decoder.feed(data):
                self.inbox.put(frame)
        self.inbox.put(None)

    def _ping(self) -> None:
        while self.proc.poll() is None:
            if self.pinging.is_set():
                try:
                    self.send({"type": "ping"})
                except (OSError, ValueError):
                    return
            time.sleep(0.2)

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        with self._lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def send(self, obj: dict) -> None:
        self.write(control_frame(obj))

    def take_frame(self) -> dict | bool:
        """Take one frame: a control message is returned, data is kept (True); False at the end."""
        if self.ended:
            return False
        try:
            frame = self.inbox.get(timeout=WAIT_S)
        except queue.Empty:
            raise AssertionError(f"the agent said nothing for {WAIT_S} s; got {self.messages}") from None
        if frame is None:
            self.ended = True
            return False
        stream, payload = frame
        if stream == STREAM_CONTROL:
            self.messages.append(decode_control(payload))
            return self.messages[-1]
        if stream == STREAM_FILE:
            self.files += payload
        else:
            self.data[stream] += payload
        return True

    def next_message(self) -> dict | None:
        """The next control message (data frames on the way are kept); None at the end of the stream."""
        while (got := self.take_frame()) is not False:
            if isinstance(got, dict):
                return got
        return None

    def until(self, kind: str) -> dict:
        while (msg := self.next_message()) is not None:
            if msg["type"] == kind:
                return msg
        raise AssertionError(f"no {kind!r} came; got {self.messages}, stderr: {self.stderr()}")

    def until_stdout(self, text: bytes) -> None:
        """Read on until the worker's stdout holds ``text``."""
        while text not in self.data[STREAM_STDOUT]:
            if self.take_frame() is False:
                raise AssertionError(f"{text!r} never came; stdout {bytes(self.data[STREAM_STDOUT])!r}")

    def to_end(self) -> list[dict]:
        while self.next_message() is not None:
            pass
        self.proc.wait(timeout=WAIT_S)
        return self.messages

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def close(self) -> None:
        self.pinging.clear()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


@pytest.fixture
def client_for(tmp_path):
    made: list[Client] = []

    def make(**kw) -> Client:
        made.append(Client(tmp_path, **kw))
        return made[-1]

    yield make
    for client in made:
        client.close()


def make_tar(files: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info in extra:  # first: a link, then a file written through it
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def job(argv: list[str], **fields) -> dict:
    return {
        "type": "job",
        "protocol": PROTOCOL_VERSION,
        "argv": argv,
        "env": {},
        "cwd": None,
        "upload": False,
        "max_upload_bytes": 50 << 20,
        "fetch": False,
        **fields,
    }


def profile_job(*script_args: str, **fields) -> dict:
    argv = [sys.executable, "-m", "gpuprof_gui.workers.profile_worker", "--channel-fd", "{channel_fd}"]
    argv += ["--profiler", "cprofile", "--output-dir", "{out}", "{src}/script.py", "--", *script_args]
    return job(argv, env={"PYTHONPATH": str(REPO_ROOT)}, cwd="{src}", upload=True, fetch=True, **fields)


def start(client: Client, job_msg: dict, tar: bytes | None = None) -> dict:
    """Greet, send the job and the upload (in frames of 64 KiB); the hello."""
    hello = client.until("hello")
    client.send(job_msg)
    if tar is not None:
        try:
            for at in range(0, len(tar), 1 << 16):
                client.write(encode_frame(STREAM_FILE, tar[at : at + (1 << 16)]))
            client.send({"type": "upload_end"})
        except BrokenPipeError:
            pass  # the agent refused the upload and left: its error message says why
    return hello


def runs_left(client: Client) -> list[str]:
    return glob.glob(str(client.cache / "gpuprof-gui" / "remote" / "runs" / "*"))


def channel_messages(client: Client) -> list[dict]:
    import json

    return [json.loads(line) for line in bytes(client.data[STREAM_CHANNEL]).splitlines() if line.strip()]


def fetched(client: Client) -> tarfile.TarFile:
    return tarfile.open(fileobj=io.BytesIO(bytes(client.files)), mode="r:")


def pid_alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, limit_s: float = 10.0) -> bool:
    deadline = time.monotonic() + limit_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)


# -- frames ---------------------------------------------------------------------------------------


def test_frames_round_trip_in_any_slicing():
    big = os.urandom(MAX_FRAME_BYTES + 10)
    stream = control_frame({"type": "ping"}) + encode_frame(STREAM_STDOUT, b"") + encode_frame(STREAM_FILE, big)
    decoder = FrameDecoder()
    frames = []
    for at in range(0, len(stream), 4099):  # cuts through headers and payloads alike
        frames += decoder.feed(stream[at : at + 4099])
    assert [s for s, _ in frames] == [STREAM_CONTROL, STREAM_STDOUT, STREAM_FILE, STREAM_FILE]
    assert decode_control(frames[0][1]) == {"type": "ping"}
    assert b"".join(p for _, p in frames[2:]) == big and decoder.pending == 0


@pytest.mark.parametrize(
    "garbage",
    [b"\x07\x00\x00\x00\x01x", b"\x01\xff\xff\xff\xff", b"GET / HTTP/1.1\r\n", b"\x04\x00\x10\x00\x01"],
    ids=["unknown-stream", "4-GiB-length", "text", "just-over-1-MiB"],
)
def test_the_decoder_rejects_garbage_before_waiting_for_its_payload(garbage):
    decoder = FrameDecoder()
    with pytest.raises(FrameError):
        decoder.feed(garbage)
    with pytest.raises(FrameError):  # the framing is lost for good
        decoder.feed(control_frame({"type": "ping"}))


@pytest.mark.parametrize("payload", [b"\xff\xfe", b"[1, 2]", b'{"no": "type"}', b"{"])
def test_a_control_payload_must_be_an_object_with_a_type(payload):
    with pytest.raises(FrameError):
        decode_control(payload)


def test_a_control_message_is_never_split():
    with pytest.raises(FrameError):
        control_frame({"type": "job", "env": {"X": "y" * MAX_FRAME_BYTES}})


# -- real runs ------------------------------------------------------------------------------------

SCRIPT = """\
import os, sys
from pkg.helper import work

out = sys.argv[1]
for i in range(300):
    print(f"line {i}", flush=True)
print("to stderr", file=sys.stderr, flush=True)
work(20000)
os.makedirs(os.path.join(out, "extra"))
with open(os.path.join(out, "extra", "data.txt"), "w") as fh:
    fh.write("made by the script")
os.symlink("/etc/passwd", os.path.join(out, "link"))
"""
HELPER = "def work(n):\n    return sum(i * i for i in range(n))\n"


def test_a_profile_run_on_an_uploaded_folder_comes_back_whole(client_for):
    client = client_for()
    tar = make_tar({"script.py": SCRIPT.encode(), "pkg/__init__.py": b"", "pkg/helper.py": HELPER.encode()})
    hello = start(client, profile_job("{out}"), tar)
    assert hello["protocol"] == PROTOCOL_VERSION and hello["pid"] == client.proc.pid
    assert hello["home"] == str(client.home) and hello["python"] == list(sys.version_info[:3])
    uploaded = client.until("uploaded")
    started = client.until("started")
    scratch = Path(started["scratch"])
    assert uploaded["path"] == str(scratch / "src") and scratch.parent == client.cache / "gpuprof-gui/remote/runs"
    assert scratch.stat().st_mode & 0o777 == 0o700
    exit_msg = client.until("exit")
    assert exit_msg == {"type": "exit", "returncode": 0, "stopped": False}, client.stderr()
    files_end = client.until("files_end")
    assert client.to_end()[-1] == {"type": "bye"} and client.proc.returncode == 0
    expected = "".join(f"line {i}\n" for i in range(300)).encode()
    assert bytes(client.data[STREAM_STDOUT]) == expected
    assert b"to stderr\n" in client.data[STREAM_STDERR]
    messages = channel_messages(client)
    assert messages[0]["type"] == "hello" and messages[-1]["type"] == "result", messages
    assert messages[-1]["status"] == "finished" and messages[-1]["profile_path"] == str(scratch / "out/profile.prof")
    assert files_end["bytes"] == len(client.files) and files_end["skipped"] == ["link"]
    with fetched(client) as tar_back:
        names = tar_back.getnames()
        assert "profile.prof" in names and "extra/data.txt" in names and "link" not in names
        tar_back.extractall(client.home / "back", filter="data")
    stats = pstats.Stats(str(client.home / "back" / "profile.prof")).stats  # type: ignore[attr-defined]
    assert any(name == "work" and file.endswith("helper.py") for file, _line, name in stats)
    assert not scratch.exists() and runs_left(client) == []


STOPPABLE = """\
def spin():
    print("ready", flush=True)
    while True:
        sum(range(1000))

spin()
"""


def test_stop_mid_run_brings_back_the_partial_profile(client_for):
    client = client_for()
    start(client, profile_job(), make_tar({"script.py": STOPPABLE.encode()}))
    started = client.until("started")
    client.until_stdout(b"ready\n")
    client.send({"type": "stop"})
    exit_msg = client.until("exit")
    assert exit_msg["stopped"] is True
    client.until("files_end")
    assert client.to_end()[-1] == {"type": "bye"}
    result = channel_messages(client)[-1]
    assert result["type"] == "result" and result["status"] == "cancelled", result
    with fetched(client) as tar_back:
        tar_back.extractall(client.home / "back", filter="data")
    stats = pstats.Stats(str(client.home / "back" / "profile.prof")).stats  # type: ignore[attr-defined]
    assert any(name == "spin" for _file, _line, name in stats)
    assert not Path(started["scratch"]).exists()


ESCAPER = """\
import os, subprocess, time

in_group = subprocess.Popen(["sleep", "300"])
own_session = subprocess.Popen(["sleep", "301"], start_new_session=True)
r, w = os.pipe()
child = os.fork()
if child == 0:  # a daemon: double fork and setsid, its first parent gone at once
    os.setsid()
    if os.fork() == 0:
        os.write(w, str(os.getpid()).encode())
        os.execvp("sleep", ["sleep", "302"])
    os._exit(0)
os.close(w)
os.waitpid(child, 0)
daemon = int(os.read(r, 32))
print("pids", in_group.pid, own_session.pid, daemon, flush=True)
while True:
    print("x" * 1000, flush=True)  # fills every pipe on the way when the app stops reading
    time.sleep(0.001)
"""


def _drop(client: Client, how: str) -> None:
    if how == "not-reading":
        client.reading.clear()  # pings go on, but the app reads nothing: a hung app
    elif how == "stdin-closed":
        client.pinging.clear()
        with client._lock:
            client.proc.stdin.close()
    elif how == "silence":
        client.pinging.clear()  # the link stays open; the app just says nothing any more
    else:
        client.proc.send_signal(getattr(signal, how))


@pytest.mark.parametrize("how", ["stdin-closed", "silence", "not-reading", "SIGTERM", "SIGHUP"])
def test_a_lost_connection_leaves_no_process_and_no_folder(client_for, how):
    client = client_for(env={"GPUPROF_AGENT_HEARTBEAT_S": "2"})
    start(client, profile_job(), make_tar({"script.py": ESCAPER.encode()}))
    started = client.until("started")
    client.until_stdout(b"\n")
    line = bytes(client.data[STREAM_STDOUT]).decode().splitlines()[0]
    pids = [started["pid"], *map(int, line.split()[1:4])]
    assert line.startswith("pids") and all(map(pid_alive, pids)), line  # so the test means something
    _drop(client, how)
    if how == "not-reading":
        client.proc.wait(timeout=WAIT_S)
        client.reading.set()
    client.to_end()
    gone = {pid: wait_gone(pid) for pid in pids}
    assert all(gone.values()), (gone, client.stderr())
    assert not Path(started["scratch"]).exists() and runs_left(client) == []
    assert client.proc.returncode == 3
    if how == "silence":
        assert client.messages[-1]["kind"] == "connection", client.messages


# -- refusals -------------------------------------------------------------------------------------


def test_a_protocol_mismatch_is_one_sentence_naming_both_versions(client_for):
    client = client_for()
    start(client, job(["true"], protocol=PROTOCOL_VERSION + 98))
    error = client.until("error")
    assert error["kind"] == "protocol"
    assert (
        f"protocol {PROTOCOL_VERSION + 98} " in error["message"] and f"speaks {PROTOCOL_VERSION}:" in error["message"]
    )
    assert error["message"].count(".") == 1 and error["message"].endswith(".")
    client.to_end()
    assert client.proc.returncode == 1 and runs_left(client) == []


def test_a_missing_program_could_not_start(client_for):
    client = client_for()
    start(client, job(["/nonexistent/python3", "-c", "pass"]))
    error = client.until("error")
    assert error["kind"] == "could_not_start" and "/nonexistent/python3" in error["message"]
    client.to_end()
    assert runs_left(client) == []


def test_garbage_from_the_app_ends_the_run(client_for):
    client = client_for()
    client.until("hello")
    client.write(b"\x09garbage")
    assert client.until("error")["kind"] == "protocol"
    client.to_end()


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _device(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return info


HOSTILE = {
    "dot-dot": ({"../../../../escape-dotdot.txt": b"x"}, []),
    "absolute": ({"{tmp}/escape-absolute.txt": b"x"}, []),
    "symlink-to-etc": ({"etc/escape-link.txt": b"x"}, [_link("etc", "/etc")]),
    "hard-link": ({}, [_link("passwd", "/etc/passwd", tarfile.LNKTYPE)]),
    "device": ({}, [_device("null")]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_tar_is_refused_and_writes_nothing_outside_src(client_for, tmp_path, case):
    files, extra = HOSTILE[case]
    files = {name.replace("{tmp}", str(tmp_path)): data for name, data in files.items()}
    client = client_for()
    before = set(os.listdir("/etc"))
    start(client, job(["true"], upload=True), make_tar({"ok.txt": b"fine", **files}, extra))
    error = client.until("error")
    assert error["kind"] == "upload_refused" and error["message"].startswith("The upload was refused: ")
    client.to_end()
    assert not glob.glob(str(tmp_path / "**" / "escape-*"), recursive=True)
    assert set(os.listdir("/etc")) == before and runs_left(client) == []


def test_an_upload_over_the_limit_is_refused(client_for):
    client = client_for()
    start(client, job(["true"], upload=True, max_upload_bytes=100_000), make_tar({"big.bin": b"\0" * 300_000}))
    error = client.until("error")
    assert error["kind"] == "upload_too_large" and "100,000 bytes" in error["message"]
    client.to_end()
    assert runs_left(client) == []


def test_a_member_claiming_more_than_the_limit_is_refused_at_its_header(client_for):
    """A header that claims 1 GiB is refused at once, without waiting for (or storing) its bytes."""
    info = tarfile.TarInfo("huge.bin")
    info.size = 1 << 30
    header = info.tobuf(tarfile.PAX_FORMAT)
    client = client_for()
    start(client, job(["true"], upload=True, max_upload_bytes=1 << 20))
    # 16 KiB of it (tarfile reads a stream in records of 10 KiB), and the upload never ends
    client.write(encode_frame(STREAM_FILE, header + b"\0" * (16 << 10)))
    error = client.until("error")
    assert error["kind"] == "upload_too_large"
    client.to_end()
    assert runs_left(client) == []


def test_a_stop_during_the_upload_ends_with_bye_and_leaves_nothing(client_for):
    client = client_for()
    start(client, job(["true"], upload=True))
    client.write(encode_frame(STREAM_FILE, make_tar({"a.txt": b"a" * 20000})[:5000]))
    client.send({"type": "stop"})
    assert [m["type"] for m in client.to_end()] == ["hello", "bye"]
    assert client.proc.returncode == 0 and runs_left(client) == []


def test_the_folders_of_killed_agents_of_this_host_are_removed(client_for):
    client = client_for()
    runs = client.cache / "gpuprof-gui" / "remote" / "runs"
    me = owner_marker(os.getpid()).split()
    dead_pid = _a_finished_pid()
    markers = {
        "run-dead": f"{me[0]} {me[1]} {dead_pid} 12345",  # this host, this boot, its agent gone
        "run-rebooted": f"{me[0]} another-boot {me[2]} {me[3]}",
        "run-live": " ".join(me),  # this test's own process stands in for a live agent
        "run-other-host": f"elsewhere {me[1]} {dead_pid} 12345",  # a home shared with another host
        "run-no-marker": None,  # being made right now
    }
    for name, marker in markers.items():
        (runs / name / "src").mkdir(parents=True)
        if marker is not None:
            (runs / name / ".agent").write_text(marker + "\n")
    start(client, job(["true"], protocol=-1))
    client.to_end()
    assert sorted(os.listdir(runs)) == ["run-live", "run-no-marker", "run-other-host"]


def _a_finished_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _tmpfs_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d"],
        capture_output=True,
    )
    return probe.returncode == 0


def test_a_full_disk_is_one_sentence_and_leaves_nothing(client_for, tmp_path):
    """The agent's cache is a 256 KiB tmpfs of its own (a user and mount namespace); 1 MiB is uploaded."""
    if not _tmpfs_works():
        pytest.skip("no user+mount namespaces here (unshare -rm) to mount a small tmpfs")
    mount = 'mount -t tmpfs -o size=256k tmpfs "$XDG_CACHE_HOME" && exec "$0" -m ' + AGENT
    client = client_for(command=["unshare", "-rm", "sh", "-c", mount, sys.executable])
    start(client, job(["true"], upload=True, max_upload_bytes=1 << 40), make_tar({"big.bin": os.urandom(1 << 20)}))
    error = client.until("error")
    assert error["kind"] == "disk_full", error
    assert error["message"].startswith(
        "The host's disk is full (No space left on device): free some space in ~/.cache on "
    )
    assert error["message"].count(". ") == 0 and error["message"].endswith(" and try again.")
    client.to_end()


# -- Python 3.9 -----------------------------------------------------------------------------------


def _python39() -> str | None:
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(glob.escape(pyenv), "versions/3.9*/bin/python3")))
    return found[0] if found else shutil.which("python3.9")


def test_the_agent_runs_a_profile_under_python_3_9(client_for):
    """The oldest Python the agent must run in: the whole flow, not just its syntax."""
    python = _python39()
    if python is None:
        pytest.skip("no Python 3.9 on this machine (pyenv or PATH)")
    for name in ("remote_frames", "remote_host", "remote_agent"):
        path = REPO_ROOT / "gpuprof_gui" / "workers" / f"{name}.py"
        compiled = subprocess.run([python, "-c", f"import ast; ast.parse(open({str(path)!r}).read())"])
        assert compiled.returncode == 0, name
    client = client_for(command=[python, "-m", AGENT])
    msg = profile_job()
    msg["argv"][0] = python
    hello = start(client, msg, make_tar({"script.py": b"print('under', __import__('sys').version_info[:2])\n"}))
    assert hello["python"][:2] == [3, 9]
    assert client.until("exit")["returncode"] == 0, client.stderr()
    client.until("files_end")
    assert client.to_end()[-1] == {"type": "bye"}
    assert bytes(client.data[STREAM_STDOUT]) == b"under (3, 9)\n"
    with fetched(client) as tar_back:
        assert "profile.prof" in tar_back.getnames()
