"""The app's agent on a remote GPU host: runs one worker there, its stdin and stdout being the ssh channel.

The app starts ``python3 <bundle>/gpuprof_worker_main.py gpuprof_gui.workers.remote_agent``
through ssh. The agent greets, takes one job, makes a private scratch folder (``src/`` for
the uploaded project, ``out/`` for the results), runs the worker with a protocol pipe of
its own, and multiplexes the worker's channel, stdout and stderr as frames on its stdout
(:mod:`remote_frames`). Control messages, in order::

    agent → app   {"type":"hello","protocol":1,"agent":"1","python":[3,11,7],"executable":...,
                   "pid":...,"home":...,"host":...}
    app → agent   {"type":"job","protocol":1,"argv":[...],"env":{...},"cwd":str|None,
                   "upload":bool,"max_upload_bytes":int,"fetch":bool}
    app → agent   (upload) STREAM_FILE frames of an uncompressed tar, then {"type":"upload_end"}
    agent → app   {"type":"uploaded","path":src}
    agent → app   {"type":"started","pid":pid,"scratch":scratch}
    agent → app   CHANNEL / STDOUT / STDERR frames, raw bytes, as the worker writes them
    app → agent   {"type":"ping"} every second; {"type":"stop"} (SIGTERM, SIGKILL 5 s later)
    agent → app   {"type":"exit","returncode":rc,"stopped":bool}   (rc < 0: ended by that signal)
    agent → app   (fetch) STREAM_FILE frames of a tar of out/ (plain files and folders only), then
                  {"type":"files_end","bytes":n,"skipped":[names left out: links, unreadable files]}
    agent → app   {"type":"bye"}
    agent → app   {"type":"error","kind":...,"message":one sentence} and the agent exits
                  (kinds: protocol, disk_full, upload_refused, upload_too_large, could_not_start,
                  connection, agent; a stop before "started" is answered by "bye" alone)

A connection that is gone (stdin at end, no byte for ``HEARTBEAT_TIMEOUT_S``, a failed or
stalled write, SIGTERM/SIGHUP) kills the worker's whole tree and removes the scratch folder:
nothing the run started outlives it on the host. Standard library only, Python 3.9+, Linux.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import traceback
from typing import Any

from gpuprof_gui.workers import remote_host as host
from gpuprof_gui.workers.remote_frames import (
    PROTOCOL_VERSION,
    STREAM_CHANNEL,
    STREAM_CONTROL,
    STREAM_FILE,
    STREAM_STDERR,
    STREAM_STDOUT,
    FrameDecoder,
    FrameError,
    FrameWriter,
    decode_control,
)
from gpuprof_gui.workers.remote_host import RunError

AGENT_VERSION = "1"
HEARTBEAT_TIMEOUT_S = 10.0
"""The app pings every second: ten missed pings mean the connection is gone."""
HEARTBEAT_ENV = "GPUPROF_AGENT_HEARTBEAT_S"
STOP_GRACE_S = 5.0
"""SIGTERM to SIGKILL: time for the worker to write a partial profile of a large run."""
TICK_S = 0.1
"""How long the loop waits with nothing to read before it checks the heartbeat and the stop."""
READ_CHUNK_BYTES = 64 * 1024  # the Linux pipe capacity: one read empties a full pipe
DRAIN_QUIET_S = 2.0
DRAIN_LIMIT_S = 30.0
"""After the worker exits, its pipes are read until quiet this long, and no longer than that."""
KILL_WAIT_S = 30.0
"""How long a killed worker may take to go (one in the GPU driver's uninterruptible sleep) before the agent leaves."""
TOKENS = re.compile(r"\{(channel_fd|scratch|src|out)\}")
"""What argv, cwd and env values may name: the channel's write fd, the scratch folder, its src/ and out/."""


class LinkLostError(Exception):
    """The connection to the app is gone: leave nothing behind and exit."""


class StoppedEarlyError(Exception):
    """A stop came before the worker started."""


def heartbeat_timeout_s() -> float:
    try:
        value = float(os.environ.get(HEARTBEAT_ENV, ""))
    except ValueError:
        return HEARTBEAT_TIMEOUT_S
    return value if value > 0 else HEARTBEAT_TIMEOUT_S


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each of :data:`TOKENS` replaced by its value (in one pass: a value is not read again)."""
    return TOKENS.sub(lambda m: values[m.group(1)], text)


class Agent:
    def __init__(self, in_fd: int = 0, out_fd: int = 1) -> None:
        self.heartbeat_s = heartbeat_timeout_s()
        self.in_fd = in_fd
        self.out = FrameWriter(out_fd, stall_timeout_s=self.heartbeat_s)
        self.decoder = FrameDecoder()
        self.inbox: list[tuple[int, bytes]] = []
        self.last_frame = time.monotonic()
        self.scratch: str | None = None
        self.proc: subprocess.Popen | None = None
        self.upload: host.Upload | None = None
        self.tree = host.ProcessTree()
        self.stop_at: float | None = None
        self.leaving = False

    # -- the link ------------------------------------------------------------------------------

    def send(self, obj: dict[str, Any]) -> None:
        self.write(STREAM_CONTROL, obj)

    def write(self, stream: int, data: Any) -> None:
        try:
            if stream == STREAM_CONTROL:
                self.out.control(data)
            else:
                self.out.write(stream, data)
        except OSError as exc:  # EPIPE, or a reader that stalled: nobody is listening any more
            raise LinkLostError(f"writing to the app failed ({exc})") from None

    def read_link(self, timeout: float) -> None:
        """Read what the app sent within ``timeout`` into :attr:`inbox`; raise LinkLostError when it has gone."""
        sel = selectors.DefaultSelector()
        sel.register(self.in_fd, selectors.EVENT_READ)
        try:
            ready = sel.select(timeout)
        finally:
            sel.close()
        if ready:
            self.take_link_bytes()
        self.check_heartbeat()

    def take_link_bytes(self) -> None:
        try:
            data = os.read(self.in_fd, READ_CHUNK_BYTES)
        except BlockingIOError:
            return
        except OSError as exc:
            raise LinkLostError(f"reading from the app failed ({exc})") from None
        if not data:
            raise LinkLostError("the app closed the connection")
        self.last_frame = time.monotonic()  # any byte counts: a big frame on a slow link takes a while
        try:
            self.inbox.extend(self.decoder.feed(data))
        except FrameError as exc:
            raise RunError("protocol", f"The app sent bytes the agent cannot read as frames ({exc}).") from None

    def check_heartbeat(self) -> None:
        if time.monotonic() - self.last_frame > self.heartbeat_s:
            raise LinkLostError(f"no word from the app for {self.heartbeat_s:g} s")

    def next_frame(self) -> tuple[int, bytes]:
        while not self.inbox:
            self.read_link(TICK_S)
        return self.inbox.pop(0)

    def next_control(self) -> dict[str, Any]:
        """The next control message other than a ping (data frames out of place are an error)."""
        while True:
            stream, payload = self.next_frame()
            if stream != STREAM_CONTROL:
                raise RunError("protocol", f"The app sent data on stream {stream} where a message was expected.")
            msg = self.control(payload)
            if msg["type"] != "ping":
                return msg

    def control(self, payload: bytes) -> dict[str, Any]:
        try:
            return decode_control(payload)
        except FrameError as exc:
            raise RunError("protocol", f"The app sent a message the agent cannot read ({exc}).") from None

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> int:
        self.send(hello())
        host.prune_scratch()  # the folders of agents killed before they could clean up
        job = check_job(self.next_control())
        self.scratch = host.make_scratch()
        src, out = os.path.join(self.scratch, "src"), os.path.join(self.scratch, "out")
        if job["upload"]:
            self.receive_upload(src, job["max_upload_bytes"])
            self.send({"type": "uploaded", "path": src})
        channel_r, channel_w = os.pipe()
        values = {"channel_fd": str(channel_w), "scratch": self.scratch, "src": src, "out": out}
        try:
            self.proc = start_worker(job, values, channel_w)
        finally:
            os.close(channel_w)
        self.send({"type": "started", "pid": self.proc.pid, "scratch": self.scratch})
        returncode = self.pump(channel_r)
        self.send({"type": "exit", "returncode": returncode, "stopped": self.stop_at is not None})
        if job["fetch"]:
            sent, skipped = host.send_tar(out, lambda data: self.write(STREAM_FILE, data))
            self.send({"type": "files_end", "bytes": sent, "skipped": skipped})
        host.remove_tree(self.scratch)
        self.scratch = None
        self.send({"type": "bye"})
        return 0

    def receive_upload(self, src: str, limit: int) -> None:
        self.upload = upload = host.Upload(src, limit)
        while True:
            stream, payload = self.next_frame()
            if stream == STREAM_FILE:
                upload.feed(payload)
            elif stream == STREAM_CONTROL:
                kind = self.control(payload)["type"]
                if kind == "upload_end":
                    break
                if kind == "stop":
                    raise StoppedEarlyError()
                if kind != "ping":
                    raise RunError("protocol", f"The app sent '{kind}' in the middle of the upload.")
            upload.check()
        upload.finish()
        self.upload = None

    def pump(self, channel_r: int) -> int:
        """Forward the worker's output until it exits and its pipes are drained; its return code."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None and proc.stderr is not None
        sel = selectors.DefaultSelector()
        streams = {channel_r: STREAM_CHANNEL, proc.stdout.fileno(): STREAM_STDOUT, proc.stderr.fileno(): STREAM_STDERR}
        for fd in streams:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        sel.register(self.in_fd, selectors.EVENT_READ)

        def forward(timeout: float) -> bool:
            got = False
            for key, _ in sel.select(timeout):
                if key.fd == self.in_fd:
                    self.take_link_bytes()
                    continue
                try:
                    data = os.read(key.fd, READ_CHUNK_BYTES)
                except BlockingIOError:
                    continue
                if data:
                    got = True
                    self.write(streams[key.fd], data)
                else:
                    sel.unregister(key.fd)
            self.handle_inbox()
            self.check_heartbeat()
            return got

        try:
            while proc.poll() is None:
                self.tree.look(proc.pid)
                if self.stop_at is not None and time.monotonic() - self.stop_at >= STOP_GRACE_S:
                    self.tree.look(proc.pid, now=True)
                    host.kill_group(proc.pid, signal.SIGKILL)
                forward(TICK_S)
            host.kill_group(proc.pid, signal.SIGKILL)  # what the script left behind dies with the run
            self.tree.kill_all()
            quiet_until = time.monotonic() + DRAIN_QUIET_S
            give_up = time.monotonic() + DRAIN_LIMIT_S
            while len(sel.get_map()) > 1 and time.monotonic() < min(quiet_until, give_up):
                if forward(TICK_S):
                    quiet_until = time.monotonic() + DRAIN_QUIET_S
        finally:
            sel.close()
            os.close(channel_r)
            proc.stdout.close()
            proc.stderr.close()
        return proc.returncode

    def handle_inbox(self) -> None:
        while self.inbox:
            stream, payload = self.inbox.pop(0)
            if stream == STREAM_CONTROL and self.control(payload)["type"] == "stop" and self.stop_at is None:
                assert self.proc is not None
                self.stop_at = time.monotonic()
                host.kill_group(self.proc.pid, signal.SIGTERM)

    def abandon(self) -> None:
        """Kill everything the run started and remove its scratch folder (idempotent)."""
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        if self.upload is not None:
            self.upload.abort()
        if self.proc is not None:
            self.tree.look(self.proc.pid, now=True)
            host.kill_group(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):  # a process stuck in the GPU driver
                self.proc.wait(KILL_WAIT_S)
        self.tree.kill_all()
        if self.scratch is not None:
            host.remove_tree(self.scratch)
            self.scratch = None

    def on_signal(self, signum: int, _frame: Any) -> None:
        if not self.leaving:
            self.leaving = True
            raise LinkLostError(f"the agent got {signal.Signals(signum).name}")

    def say(self, kind: str, message: str, **extra: Any) -> None:
        """Send an error if the link still takes it."""
        with contextlib.suppress(LinkLostError):
            self.send({"type": "error", "kind": kind, "message": message, **extra})


def hello() -> dict[str, Any]:
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "agent": AGENT_VERSION,
        "python": list(sys.version_info[:3]),
        "executable": sys.executable,
        "pid": os.getpid(),
        "home": os.path.expanduser("~"),
        "host": socket.gethostname(),
    }


def check_job(job: dict[str, Any]) -> dict[str, Any]:
    """The job message, checked: a protocol mismatch or a malformed field is a :class:`RunError`."""
    if job["type"] == "stop":
        raise StoppedEarlyError()
    if job["type"] != "job":
        raise RunError("protocol", f"The app sent '{job['type']}' where the agent expected a job.")
    theirs = job.get("protocol")
    if theirs != PROTOCOL_VERSION:
        raise RunError(
            "protocol",
            f"The app speaks remote protocol {theirs} but the agent on this host speaks {PROTOCOL_VERSION}: "
            "use the same version of gpuprof-gui on both sides.",
        )
    argv, env, cwd = job.get("argv"), job.get("env") or {}, job.get("cwd")
    limit = job.get("max_upload_bytes", 0)
    problems = [
        (not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv), "argv"),
        (not isinstance(env, dict) or not all(isinstance(v, str) for v in [*env, *env.values()]), "env"),
        (cwd is not None and not isinstance(cwd, str), "cwd"),
        (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0, "max_upload_bytes"),
    ]
    bad = [name for wrong, name in problems if wrong]
    if bad:
        raise RunError("protocol", f"The job the app sent has a malformed {', '.join(bad)}.")
    return dict(job, env=env, upload=bool(job.get("upload")), fetch=bool(job.get("fetch")), max_upload_bytes=limit)


def start_worker(job: dict[str, Any], values: dict[str, str], channel_w: int) -> subprocess.Popen:
    argv = [fill(arg, values) for arg in job["argv"]]
    env = dict(os.environ)
    env.update({key: fill(value, values) for key, value in job["env"].items()})
    cwd = fill(job["cwd"], values) if job.get("cwd") else None
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(channel_w,),
            start_new_session=True,
        )
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise RunError(
            "could_not_start", f"The worker could not start on the host: {exc.strerror or exc}{where}."
        ) from None


def log(text: str) -> None:
    """A line for the host's side of ssh (the app shows the agent's stderr when it fails)."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text.rstrip("\n") + "\n")
        sys.stderr.flush()


def main() -> int:
    sys.stdout = sys.stderr  # fd 1 carries frames only: a stray print must not break them
    agent = Agent()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, agent.on_signal)
    agent.tree.subreaper = host.become_subreaper()
    try:
        try:
            return agent.run()
        finally:
            agent.leaving = True
    except StoppedEarlyError:
        agent.abandon()
        with contextlib.suppress(LinkLostError):
            agent.send({"type": "bye"})
        return 0
    except LinkLostError as exc:
        agent.abandon()
        log(f"gpuprof remote agent: {exc}; the run was stopped and its files removed")
        agent.say("connection", f"The connection was lost ({exc}): the run was stopped and its files removed.")
        return 3
    except RunError as exc:
        agent.abandon()
        agent.say(exc.kind, exc.message)
        return 1
    except Exception as exc:  # noqa: BLE001 - the agent's last word: the app hears a sentence, not a traceback
        text = traceback.format_exc()
        log(text)
        agent.abandon()
        agent.say("agent", f"The remote agent failed unexpectedly ({type(exc).__name__}: {exc}).", traceback=text)
        return 1


if __name__ == "__main__":
    sys.exit(main())
