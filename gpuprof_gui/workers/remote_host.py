"""What the remote agent (:mod:`remote_agent`) does on the GPU host's disk and process table.

The run's private scratch folder, the uploaded project unpacked into it safely, the tar
of its results, and the tree of processes the run started — so that none outlives it.
Standard library only, Python 3.9+ (no tarfile extraction filters there), Linux.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

RUNS_FOLDER = ("gpuprof-gui", "remote", "runs")
MARKER = ".agent"
"""In each scratch folder: the host, boot and process of the agent that owns it, so a later
agent can remove the folder of one that was killed before it could."""
COPY_CHUNK_BYTES = 256 * 1024
FILE_FRAME_BYTES = 256 * 1024
"""A fetched tar travels in frames of this size (well under the frame limit)."""
MAX_SWEEPS = 20
"""Processes may fork while they are being killed; a few sweeps catch the late ones."""
WATCH_PERIOD_S = 0.5
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class RunError(Exception):
    """The run cannot go on: the app is told ``kind`` and ``message`` (one sentence)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def cache_root() -> str:
    return os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")


def runs_root() -> str:
    return os.path.join(cache_root(), *RUNS_FOLDER)


def shown(path: str) -> str:
    """``path`` with the home folder written ``~``."""
    home = os.path.expanduser("~").rstrip("/")
    return "~" + path[len(home) :] if home and (path == home or path.startswith(home + "/")) else path


def disk_failure(exc: OSError, doing: str) -> RunError:
    """The sentence for a failed write: a full disk or quota names the place to free."""
    host = socket.gethostname()
    if exc.errno in DISK_FULL:
        return RunError(
            "disk_full",
            f"The host's disk is full ({exc.strerror}): free some space in {shown(cache_root())} on {host} "
            "and try again.",
        )
    where = f": {exc.filename}" if exc.filename else ""
    return RunError("agent", f"The agent could not {doing} on {host} ({exc.strerror}{where}).")


def owner_marker(pid: int) -> str:
    """The line of :data:`MARKER`: host, boot id, pid and start time of the agent ``pid``."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            boot = fh.read().strip()
    except OSError:
        boot = "?"
    stat = proc_stat(pid)
    return f"{socket.gethostname()} {boot} {pid} {stat[2] if stat else '?'}"


def make_scratch() -> str:
    """A new folder private to the user (0700) with ``src/`` and ``out/`` inside."""
    root = runs_root()
    scratch = None
    try:
        os.makedirs(root, mode=0o700, exist_ok=True)
        scratch = tempfile.mkdtemp(prefix="run-", dir=root)
        os.chmod(scratch, 0o700)
        for name in ("src", "out"):
            os.mkdir(os.path.join(scratch, name), 0o700)
        with open(os.path.join(scratch, MARKER), "w", encoding="utf-8") as fh:
            fh.write(owner_marker(os.getpid()) + "\n")
    except OSError as exc:
        if scratch is not None:
            remove_tree(scratch)
        raise disk_failure(exc, f"make its run folder in {shown(root)}") from None
    return scratch


def prune_scratch() -> None:
    """Remove the scratch folders of this host's agents that died without cleaning up (SIGKILL)."""
    root = runs_root()
    try:
        names = [n for n in os.listdir(root) if n.startswith("run-")]
    except OSError:
        return
    host, boot, _pid, _start = owner_marker(os.getpid()).split(" ")
    for name in names:
        folder = os.path.join(root, name)
        try:
            with open(os.path.join(folder, MARKER), encoding="utf-8") as fh:
                their_host, their_boot, pid, start = fh.read().split()
        except (OSError, ValueError):
            continue  # being made right now, or not ours to judge
        if their_host != host:
            continue  # a home folder shared by several hosts: only that host knows
        stat = proc_stat(int(pid)) if pid.isdigit() else None
        if their_boot != boot or stat is None or str(stat[2]) != start:
            remove_tree(folder)


def remove_tree(folder: str) -> None:
    """Remove ``folder`` even where a run made parts of it read-only."""
    for here, dirs, _files in os.walk(folder):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(here, name), 0o700)
    shutil.rmtree(folder, ignore_errors=True)


# -- the upload -----------------------------------------------------------------------------------


def _refused(reason: str) -> RunError:
    return RunError("upload_refused", f"The upload was refused: {reason}.")


def too_large(limit: int) -> RunError:
    return RunError("upload_too_large", f"The upload was refused: it is larger than the limit of {limit:,} bytes.")


def _safe_parts(name: str) -> list[str]:
    if name.startswith("/") or "\0" in name:
        raise _refused(f"{name!r} is an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _refused(f"{name!r} points outside the project folder")
    return parts


def extract_tar(fh: Any, dest: str, limit: int) -> int:
    """Unpack the tar stream ``fh`` into ``dest``: plain files and folders only, inside ``dest``,
    ``limit`` bytes of files at most. The bytes written."""
    written = 0
    with tarfile.open(fileobj=fh, mode="r|") as tar:
        for member in tar:
            parts = _safe_parts(member.name)
            if not parts:
                continue  # the archive's own top folder, "."
            target = os.path.join(dest, *parts)
            if not (member.isdir() or member.isreg()):
                raise _refused(f"{member.name!r} is a link or a device, not a plain file")
            if member.isreg() and member.size > limit - written:
                raise too_large(limit)
            try:
                if member.isdir():
                    os.makedirs(target, 0o700, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), 0o700, exist_ok=True)
                written += _write_member(tar, member, target)
            except OSError as exc:
                if exc.errno in DISK_FULL:
                    raise
                raise _refused(f"{member.name!r} could not be written ({exc.strerror})") from None
    return written


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: str) -> int:
    source = tar.extractfile(member)
    assert source is not None, "a regular member has data"
    mode = 0o700 if member.mode & 0o100 else 0o600
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(target, flags, mode)
    written = 0
    try:
        while True:
            chunk = source.read(COPY_CHUNK_BYTES)
            if not chunk:
                break
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
            written += len(chunk)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError, OverflowError):
        os.utime(target, (member.mtime, member.mtime))
    return written


class Upload:
    """Unpacks a tar stream into ``dest`` as it arrives (a thread reads it from a pipe), never
    holding more than a pipe's worth; at most ``limit`` bytes of tar stream are taken."""

    def __init__(self, dest: str, limit: int) -> None:
        self.dest = dest
        self.limit = limit
        self.received = 0
        self.error: BaseException | None = None
        read_fd, self._write_fd = os.pipe()
        self._thread = threading.Thread(target=self._extract, args=(read_fd,), name="upload", daemon=True)
        self._thread.start()

    def _extract(self, read_fd: int) -> None:
        try:
            with os.fdopen(read_fd, "rb") as fh:
                extract_tar(fh, self.dest, self.limit)
                while fh.read(COPY_CHUNK_BYTES):  # the end-of-archive padding: never leave the writer blocked
                    pass
        except BaseException as exc:  # noqa: BLE001 - reported on the main thread by check()
            self.error = exc

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.received > self.limit:
            raise too_large(self.limit)
        if self._write_fd < 0:
            return  # the extractor has stopped: check() says why
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._write_fd, view) :]
        except BrokenPipeError:
            self._close()

    def check(self) -> None:
        """Raise what stopped the extractor, if anything has."""
        exc = self.error
        if exc is None or (self.received == 0 and isinstance(exc, tarfile.ReadError)):
            return  # nothing was sent: an empty upload
        if isinstance(exc, RunError):
            raise exc
        if isinstance(exc, OSError):
            raise disk_failure(exc, "unpack the upload") from None
        if isinstance(exc, tarfile.TarError):
            raise _refused(f"it is not a readable tar stream ({exc})") from None
        raise exc

    def finish(self) -> None:
        self._close()
        self._thread.join()
        self.check()

    def abort(self) -> None:
        self._close()
        self._thread.join(timeout=5.0)

    def _close(self) -> None:
        if self._write_fd >= 0:
            os.close(self._write_fd)
            self._write_fd = -1


# -- the results ----------------------------------------------------------------------------------


class _FrameSink:
    """A file-like object for tarfile that sends what it is given in frames."""

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self.send = send
        self.total = 0
        self._buf = bytearray()

    def write(self, data: bytes) -> int:
        self._buf += data
        self.total += len(data)
        if len(self._buf) >= FILE_FRAME_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buf:
            data, self._buf = bytes(self._buf), bytearray()
            self.send(data)


def send_tar(folder: str, send: Callable[[bytes], None]) -> tuple[int, list[str]]:
    """Send ``folder``'s plain files and folders as a tar stream; its size and what was left out
    (links, devices, files that could not be read)."""
    sink = _FrameSink(send)
    skipped: list[str] = []
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for here, dirs, names in os.walk(folder):
            dirs.sort()
            for name in [*dirs, *sorted(names)]:
                path = os.path.join(here, name)
                arcname = os.path.relpath(path, folder)
                try:
                    info = tar.gettarinfo(path, arcname)
                    if info.isdir():
                        tar.addfile(info)
                    elif info.isreg():
                        with open(path, "rb") as fh:
                            tar.addfile(info, fh)
                    else:
                        skipped.append(arcname)
                except OSError:
                    skipped.append(arcname)
    sink.flush()
    return sink.total, skipped


# -- the processes --------------------------------------------------------------------------------


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """``pid``'s state letter, parent pid and start time (clock ticks since boot); None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()  # the name, in parentheses, may hold anything
    try:
        return fields[0].decode("ascii", "replace"), int(fields[1]), int(fields[19])
    except (IndexError, ValueError):
        return None


def descendants(root: int, live_only: bool = False) -> dict[int, int]:
    """Every process below ``root`` now, by a walk of the parent pids in /proc, with its start time."""
    table = {}
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if name.isdigit():
            stat = proc_stat(int(name))
            if stat is not None:
                table[int(name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (_state, ppid, _start) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: dict[int, int] = {}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                stack.append(child)
                state, _ppid, start = table[child]
                if not (live_only and state in ("Z", "X")):
                    found[child] = start
    return found


def kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, sig)


def become_subreaper() -> bool:
    """Linux: orphans of the run (a daemon's double fork) become the agent's children, not init's,
    so a walk from the agent finds every process the run started, even after its worker died."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


class ProcessTree:
    """Every process the run started. As a subreaper the agent finds them all below itself at
    the end; without one it looks below the worker now and then, as the app's supervisor does."""

    def __init__(self) -> None:
        self.subreaper = False
        self.seen: dict[int, int] = {}
        self._due = 0.0

    def look(self, root: int, now: bool = False) -> None:
        if self.subreaper:
            return
        t = time.monotonic()
        if now or t >= self._due:
            self._due = t + WATCH_PERIOD_S
            self.seen.update(descendants(root))

    def kill_all(self) -> None:
        """SIGKILL every live process below the agent, and each one seen that still runs; reap them.
        (Call it only once the worker's own exit status has been collected.)"""
        for _ in range(MAX_SWEEPS):
            _reap()
            alive = descendants(os.getpid(), live_only=True)
            if not alive:
                break
            for pid in alive:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)  # let the kernel deliver, and hand the grandchildren to us
        for pid, start in self.seen.items():
            stat = proc_stat(pid)
            if stat is not None and stat[2] == start:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        _reap()


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
