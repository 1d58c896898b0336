"""A worker that runs on a remote host, seen from here as if it ran locally.

Run as ``python -m gpuprof_gui.jobs.remote.relay --channel-fd N JOB.json``. The app
starts this relay exactly as it starts a local worker (:func:`gpuprof_gui.jobs.supervisor
.supervise`): the same channel, stdout and stderr, the same SIGTERM for Cancel. The relay
reaches the host through the host's SSH master connection, sends the worker's code once
(:mod:`.bundle`) and the script's folder (:mod:`.transfer`), and talks to the remote agent
(:mod:`gpuprof_gui.workers.remote_agent`) in frames: the worker's protocol lines and the
script's output come back as they happen; the run's output folder comes back at the end
and the ``result`` message is passed on with its paths made local.

- Cancel (SIGTERM here) asks the agent to stop the worker, which saves its partial profile;
  it still comes back.
- A connection that drops ends the run as ``interrupted`` (:attr:`ExitCode.CONNECTION_LOST`):
  the agent on the host kills the worker's process group when its connection or its
  heartbeat stops, and removes the run's scratch folder, so nothing is left there. So does
  an error the agent reports once the run has started, in the agent's own words; before
  that, its error means the run could not start (:attr:`ExitCode.REMOTE_FAILED`).
- The output folder comes back as a tar streamed into a file in the local output folder,
  unpacked from there and removed (also when the connection drops): never held in memory.
- The ssh process sits in its own session: Cancel reaches the relay, not the connection.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from typing import Any

from gpuprof_gui import protocol
from gpuprof_gui.jobs.remote.bundle import ensure_bundle
from gpuprof_gui.jobs.remote.ssh import HostError, classify_ssh_error, parse_host, ssh_argv
from gpuprof_gui.jobs.remote.transfer import TransferError, plan_upload, tar_chunks, unpack_tar
from gpuprof_gui.protocol import ExitCode, MsgType
from gpuprof_gui.workers import remote_frames as rf
from gpuprof_gui.workers._channel import Channel

RELAY_MODULE = "gpuprof_gui.jobs.remote.relay"
HEARTBEAT_S = 1.0
STOP_GRACE_S = 15.0
"""How long a Cancel may take on a remote host: the partial profile is written there and copied back."""


class _LostError(Exception):
    """The connection ended before the agent said goodbye."""


class _AgentFailedError(Exception):
    """The agent reported an error after the run had started: the run there was stopped."""


class Relay:
    def __init__(self, job: dict[str, Any], channel: Channel) -> None:
        self.job = job
        self.channel = channel
        self.host = parse_host(str(job["host"]))
        self.output_dir = os.path.abspath(str(job["output_dir"]))
        self.stop_requested = False
        self.stop_sent = False
        self.decoder = rf.FrameDecoder()
        self.proc: subprocess.Popen[bytes] | None = None
        self.writer: rf.FrameWriter | None = None
        self.held: list[dict[str, Any]] = []  # result messages, passed on once their files are here
        self.line_buf = b""
        self.backlog: list[tuple[int, bytes]] = []
        self.remote_out: str | None = None
        self.returncode: int | None = None
        self.files_path: str | None = None  # the tar of the output folder, as it comes
        self.files_fd: int | None = None
        self.files_done = False
        self.finished = False
        self.said_bye = False
        self.ssh_err = bytearray()
        self.started_at: float | None = None

    # -- the connection ------------------------------------------------------------------------
    def connect(self) -> None:
        # The app made the master connection (jobs.runner); without one ssh connects anew. Never
        # start a master here: it would be a daemon below this process, swept with it after the run.
        least = self.job.get("min_version")
        bundle = ensure_bundle(self.host, str(self.job.get("python") or "python3"), tuple(least) if least else None)
        self.argv = bundle.module_argv(str(self.job["module"])) + [str(a) for a in self.job["worker_args"]]
        self.open_link(ssh_argv(self.host, bundle.module_argv("gpuprof_gui.workers.remote_agent")))

    def open_link(self, agent_argv: list[str]) -> None:
        """Start the agent (``agent_argv``: through ssh) and read its stdout and stderr from here on."""
        self.proc = subprocess.Popen(
            agent_argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.proc.stdin is not None
        self.writer = rf.FrameWriter(self.proc.stdin.fileno())
        self.sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        for stream in (self.proc.stdout, self.proc.stderr):
            os.set_blocking(stream.fileno(), False)
            self.sel.register(stream.fileno(), selectors.EVENT_READ)

    def send(self, obj: dict[str, Any]) -> None:
        assert self.writer is not None
        try:
            self.writer.control(obj)
        except OSError as exc:  # the agent or ssh has gone; the reader will see why
            raise _LostError(str(exc)) from exc

    def _read(self, timeout: float) -> list[tuple[int, bytes]]:
        assert self.proc is not None and self.proc.stdout is not None
        if self.backlog:  # what came in one read with the message a wait was for
            frames, self.backlog = self.backlog, []
            return frames
        frames = []
        for key, _ in self.sel.select(timeout):
            data = os.read(key.fd, 1 << 16)
            if key.fd == self.proc.stdout.fileno():
                if not data:
                    self.sel.unregister(key.fd)
                    raise _LostError("end of stream")
                frames += self.decoder.feed(data)
            elif data:
                self.ssh_err += data
                del self.ssh_err[:-4096]
            else:
                self.sel.unregister(key.fd)
        return frames

    def wait_for(self, kind: str, timeout_s: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            frames = self._read(0.2)
            for i, (stream, payload) in enumerate(frames):
                msg = self.handle(stream, payload)
                if msg is not None and msg.get("type") == kind:
                    self.backlog = frames[i + 1 :]
                    return msg
        raise _LostError(f"no {kind!r} from the host within {timeout_s:.0f} s")

    # -- frames ------------------------------------------------------------------------------------
    def handle(self, stream: int, payload: bytes) -> dict[str, Any] | None:
        if stream == rf.STREAM_CHANNEL:
            self._channel_bytes(payload)
        elif stream == rf.STREAM_STDOUT:
            _write_all(1, payload)
        elif stream == rf.STREAM_STDERR:
            _write_all(2, payload)
        elif stream == rf.STREAM_FILE:
            self._file_bytes(payload)
        elif stream == rf.STREAM_CONTROL:
            msg = rf.decode_control(payload)
            kind = msg.get("type")
            if kind == "error":
                text = str(msg.get("message") or "The host's agent failed.")
                raise HostError(text) if self.started_at is None else _AgentFailedError(text)
            if kind == "started":
                self.remote_out = str(msg.get("scratch", "")).rstrip("/") + "/out"
                self.started_at = time.monotonic()
            elif kind == "exit":
                self.returncode = int(msg.get("returncode", 1))
            elif kind == "files_end":
                self.files_done = True
            elif kind == "bye":
                self.said_bye = True
            return msg
        return None

    def _file_bytes(self, data: bytes) -> None:
        try:
            if self.files_fd is None:
                os.makedirs(self.output_dir, exist_ok=True)
                self.files_fd, self.files_path = tempfile.mkstemp(prefix=".remote-files-", dir=self.output_dir)
            _write_all(self.files_fd, data, quiet=False)
        except OSError as exc:
            where = self.output_dir
            raise TransferError(f"What the run made could not be written to {where}: {exc.strerror or exc}.") from None

    def _drop_files(self) -> None:
        if self.files_fd is not None:
            os.close(self.files_fd)
            self.files_fd = None
        if self.files_path is not None:
            with contextlib.suppress(OSError):
                os.remove(self.files_path)
            self.files_path = None

    def _channel_bytes(self, data: bytes) -> None:
        self.line_buf += data
        *lines, self.line_buf = self.line_buf.split(b"\n")
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                msg = None
            if isinstance(msg, dict) and msg.get("type") == MsgType.RESULT:
                self.held.append(msg)
            else:
                self.channel.send_raw(line + b"\n")

    # -- the run ------------------------------------------------------------------------------------
    def run(self) -> int:
        upload = self.job.get("upload_folder")
        plan = plan_upload(str(upload)) if upload else None
        self.connect()
        hello = self.wait_for("hello", 30.0)
        if hello.get("protocol") != rf.PROTOCOL_VERSION:
            raise HostError(
                f"The agent on {self.host.label} speaks protocol {hello.get('protocol')}, this app "
                f"{rf.PROTOCOL_VERSION}: its cached code is stale; delete ~/.cache/gpuprof-gui/remote there."
            )
        self.send(
            {
                "type": "job",
                "protocol": rf.PROTOCOL_VERSION,
                "argv": self.argv,
                "env": dict(self.job.get("env") or {}),
                "cwd": self.job.get("cwd"),
                "upload": plan is not None,
                "max_upload_bytes": (plan.total_bytes + (1 << 20)) * 2 if plan else 0,
                "fetch": True,
            }
        )
        if plan is not None:
            assert self.writer is not None
            for chunk in tar_chunks(plan):
                for start in range(0, len(chunk), rf.MAX_FRAME_BYTES):
                    try:
                        self.writer.write(rf.STREAM_FILE, chunk[start : start + rf.MAX_FRAME_BYTES])
                    except OSError as exc:
                        self._read(1.0)  # the agent's reason (a full disk) comes before its end
                        raise _LostError(str(exc)) from exc
                if self.stop_requested:
                    raise _CancelledError()
            self.send({"type": "upload_end"})
            self.wait_for("uploaded", 120.0)
        self.wait_for("started", 60.0)
        threading.Thread(target=self._heartbeat, daemon=True).start()
        while not self.said_bye:
            if self.stop_requested and not self.stop_sent:
                self.stop_sent = True
                self.send({"type": "stop"})
            for stream, payload in self._read(0.1):
                self.handle(stream, payload)
        self._finish()
        return self.returncode if self.returncode is not None else 1

    def _heartbeat(self) -> None:
        while not self.said_bye:
            time.sleep(HEARTBEAT_S)
            try:
                self.send({"type": "ping"})
            except _LostError:
                return

    def _finish(self) -> None:
        self.finished = True
        if self.files_path is not None:
            try:
                unpack_tar(self.files_path, self.output_dir)
            finally:
                self._drop_files()
        for msg in self.held:
            local = _localised(msg, self.remote_out, self.output_dir) if self.remote_out else msg
            self.channel.send_raw((json.dumps(local, separators=(",", ":"), default=str) + "\n").encode())
        self.held.clear()

    def salvage(self) -> None:
        """After a fault late in the run: pass on the results if their files had all come back."""
        if self.files_done and not self.finished:
            with contextlib.suppress(OSError, tarfile.TarError):
                self._finish()

    def close(self) -> None:
        self._drop_files()
        if self.proc is not None:
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            try:
                self.proc.wait(5.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def last_ssh_line(self) -> str:
        lines = [ln for ln in bytes(self.ssh_err).decode("utf-8", "replace").splitlines() if ln.strip()]
        return lines[-1].strip() if lines else ""


class _CancelledError(Exception):
    """Cancel came while the files were still on their way: nothing ran."""


def _localised(value: Any, remote: str, local: str) -> Any:
    """``value`` with every path under the remote output folder made a path under the local one."""
    if isinstance(value, str) and (value == remote or value.startswith(remote + "/")):
        return os.path.join(local, *value[len(remote) :].lstrip("/").split("/")) if value != remote else local
    if isinstance(value, dict):
        return {k: _localised(v, remote, local) for k, v in value.items()}
    if isinstance(value, list):
        return [_localised(v, remote, local) for v in value]
    return value


def _write_all(fd: int, data: bytes, quiet: bool = True) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        if not quiet:
            raise


def run_relay(relay: Relay, channel: Channel) -> int:
    """Carry out the run; a fault is told on ``channel`` as the error the app reads. The exit code."""
    try:
        return relay.run()
    except (HostError, TransferError) as exc:
        channel.error(ExitCode.REMOTE_FAILED, str(exc))
        return int(ExitCode.REMOTE_FAILED)
    except _CancelledError:  # the run never started: the app says "Cancelled", as for a local run
        return 1
    except _AgentFailedError as exc:
        relay.salvage()
        channel.error(
            ExitCode.CONNECTION_LOST,
            f"The run on {relay.host.label} ended early: {exc} What came back before is kept.",
        )
        return int(ExitCode.CONNECTION_LOST)
    except (_LostError, rf.FrameError) as exc:
        if relay.started_at is None:  # it never ran: a connection that failed, not one that dropped
            err = bytes(relay.ssh_err).decode("utf-8", "replace")
            text = classify_ssh_error(err, relay.host) if err.strip() else f"The host's agent did not answer ({exc})."
            channel.error(ExitCode.REMOTE_FAILED, text)
            return int(ExitCode.REMOTE_FAILED)
        relay.salvage()
        ran = f" {time.monotonic() - relay.started_at:.1f} s into the run"
        why = relay.last_ssh_line() or str(exc)
        channel.error(
            ExitCode.CONNECTION_LOST,
            f"The connection to {relay.host.label} was lost{ran} ({why}); the run there was stopped "
            f"and its scratch folder removed. What came back before is kept.",
        )
        return int(ExitCode.CONNECTION_LOST)
    finally:
        relay.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpuprof-relay")
    parser.add_argument(protocol.CHANNEL_FD_ARG, dest="channel_fd", type=int, required=True)
    parser.add_argument("job")
    args = parser.parse_args(argv)
    os.set_inheritable(args.channel_fd, False)
    channel = Channel(args.channel_fd)
    with open(args.job, encoding="utf-8") as fh:
        job = json.load(fh)
    relay = Relay(job, channel)

    def on_term(_signum: int, _frame: object) -> None:
        relay.stop_requested = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    code = run_relay(relay, channel)
    if code < 0:  # the worker died of a signal on the host: so does its stand-in here
        sys.stdout.flush()
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main())
