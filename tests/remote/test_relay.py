"""The relay driven by a scripted agent: exact frame sequences, no ssh, no host.

A tiny Python process plays the agent: it writes the given frames on its stdout, closes it
(the connection ends there) and reads what the relay sends until the relay closes it. The
relay's channel is a file; its messages are read back through the app's outcome tracker.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
from pathlib import Path

import pytest

from gpuprof_gui.jobs.outcome import OutcomeTracker, RunOutcome
from gpuprof_gui.jobs.remote import relay as relay_mod
from gpuprof_gui.protocol import LineDecoder
from gpuprof_gui.workers._channel import Channel
from gpuprof_gui.workers.remote_frames import (
    PROTOCOL_VERSION,
    STREAM_CHANNEL,
    STREAM_FILE,
    STREAM_STDOUT,
    control_frame,
    encode_frame,
)

FAKE_AGENT = (
    "import os, sys\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "os.write(1, data)\n"  # a pipe takes it whole: the test's frames are small
    "os.close(1)\n"
    "sys.stdin.buffer.read()\n"
)
HELLO = control_frame({"type": "hello", "protocol": PROTOCOL_VERSION})


class ScriptedRelay(relay_mod.Relay):
    """A relay whose agent is :data:`FAKE_AGENT` saying ``frames``; ``seen`` notes the output folder
    after every file frame."""

    def __init__(self, job: dict, channel: Channel, frames: bytes, tmp_path: Path) -> None:
        super().__init__(job, channel)
        self.script = tmp_path / "frames.bin"
        self.script.write_bytes(frames)
        self.seen: list[list[str]] = []

    def connect(self) -> None:
        self.argv = ["worker"]
        self.open_link([sys.executable, "-c", FAKE_AGENT, str(self.script)])

    def handle(self, stream: int, payload: bytes):
        msg = super().handle(stream, payload)
        if stream == STREAM_FILE:
            self.seen.append(sorted(os.listdir(self.output_dir)))
        return msg


def _run(tmp_path: Path, frames: bytes) -> tuple[RunOutcome, ScriptedRelay]:
    out = tmp_path / "run"
    out.mkdir()
    channel_path = tmp_path / "channel.jsonl"
    fd = os.open(channel_path, os.O_WRONLY | os.O_CREAT, 0o600)
    job = {"host": "gpu-box", "output_dir": str(out), "module": "m", "worker_args": []}
    relay = ScriptedRelay(job, Channel(fd), frames, tmp_path)
    try:
        code = relay_mod.run_relay(relay, relay.channel)
    finally:
        os.close(fd)
    tracker = OutcomeTracker(output_dir=str(out))
    for msg in LineDecoder().feed(channel_path.read_bytes()):
        tracker.feed(msg)
    return tracker.finish(code), relay


def _error(kind: str, message: str) -> bytes:
    return control_frame({"type": "error", "kind": kind, "message": message})


STARTED = control_frame({"type": "started", "pid": 1, "scratch": "/scratch/run-1"})


@pytest.mark.parametrize("kind", ["connection", "agent", "protocol", "disk_full"])
def test_an_agent_error_after_started_is_interrupted_in_the_agents_words(tmp_path, capfd, kind):
    said = f"The agent's own sentence about {kind}."
    # all in one read: the relay must not lose what follows 'started' in the same read
    outcome, _ = _run(tmp_path, HELLO + STARTED + encode_frame(STREAM_STDOUT, b"partial\n") + _error(kind, said))
    assert outcome.status == "interrupted", outcome.message
    assert said in outcome.message and "gpu-box" in outcome.message
    assert "partial" in capfd.readouterr().out  # what came back before is passed on


@pytest.mark.parametrize("kind", ["could_not_start", "upload_refused", "protocol"])
def test_an_agent_error_before_started_is_could_not_start(tmp_path, kind):
    said = f"The agent's own sentence about {kind}."
    outcome, _ = _run(tmp_path, HELLO + _error(kind, said))
    assert outcome.status == "could_not_start"
    assert outcome.message == said


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_the_results_come_to_a_file_beside_them_that_is_removed_after_unpacking(tmp_path):
    prof = _tar({"profile.prof": b"p" * 5000, "notes/x.txt": b"x"})
    result = {"type": "result", "profile_path": "/scratch/run-1/out/profile.prof", "status": "ok"}
    frames = HELLO + STARTED + control_frame({"type": "exit", "returncode": 0})
    frames += b"".join(encode_frame(STREAM_FILE, prof[i : i + 4096]) for i in range(0, len(prof), 4096))
    frames += control_frame({"type": "files_end", "bytes": len(prof)}) + control_frame({"type": "bye"})
    frames = frames.replace(STARTED, STARTED + encode_frame(STREAM_CHANNEL, (json.dumps(result) + "\n").encode()))
    outcome, relay = _run(tmp_path, frames)
    run = tmp_path / "run"
    assert outcome.status == "finished" and outcome.profile_path == str(run / "profile.prof"), outcome.message
    assert (run / "profile.prof").read_bytes() == b"p" * 5000 and (run / "notes" / "x.txt").read_bytes() == b"x"
    assert relay.seen and all(any(n.startswith(".remote-files-") for n in names) for names in relay.seen)
    assert sorted(os.listdir(run)) == ["notes", "profile.prof"]


def test_a_connection_that_drops_while_the_results_come_removes_their_file(tmp_path):
    prof = _tar({"profile.prof": os.urandom(20000)})
    frames = HELLO + STARTED + control_frame({"type": "exit", "returncode": 0})
    frames += encode_frame(STREAM_FILE, prof[:8192])  # ... and the connection ends here
    outcome, relay = _run(tmp_path, frames)
    assert outcome.status == "interrupted" and not outcome.ok, outcome.message
    assert relay.seen and any(n.startswith(".remote-files-") for n in relay.seen[0])  # it was there
    assert os.listdir(tmp_path / "run") == []  # and is gone


def test_a_result_whose_files_all_came_back_is_kept_when_the_agent_fails_after_them(tmp_path):
    prof = _tar({"profile.prof": b"whole"})
    result = {"type": "result", "profile_path": "/scratch/run-1/out/profile.prof", "status": "ok"}
    frames = HELLO + STARTED + encode_frame(STREAM_CHANNEL, (json.dumps(result) + "\n").encode())
    frames += control_frame({"type": "exit", "returncode": 0}) + encode_frame(STREAM_FILE, prof)
    frames += control_frame({"type": "files_end", "bytes": len(prof)})
    frames += _error("agent", "The remote agent failed unexpectedly (OSError: scratch).")
    outcome, _ = _run(tmp_path, frames)
    assert outcome.status == "interrupted" and outcome.ok, outcome.message
    assert outcome.profile_path == str(tmp_path / "run" / "profile.prof")
    assert (tmp_path / "run" / "profile.prof").read_bytes() == b"whole"
