"""What travels to the host with a script (its folder, within a size limit, less an ignore list) and back.

The folder is read once to decide (:func:`plan_upload`): a folder too large is refused
before any connection, with the figures and the way out. It then travels as a tar
stream; what comes back (the run's output folder) is unpacked with tarfile's ``data``
filter, so a hostile host cannot write outside the run's folder here.
"""

from __future__ import annotations

import fnmatch
import io
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from gpuprof_gui.core.fmt import format_bytes

UPLOAD_LIMIT_BYTES = 200 * 1024 * 1024
IGNORE_FILE = ".gpuprofignore"
DEFAULT_IGNORES = (
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    "*.pyc",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".DS_Store",
)


class TransferError(Exception):
    """One sentence: why the files cannot travel."""


@dataclass
class UploadPlan:
    """The files of ``folder`` that travel (paths relative to it) and their total size."""

    folder: str
    files: list[str] = field(default_factory=list)
    total_bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # ignored names, for the run's note


def _ignore_patterns(folder: str) -> list[str]:
    patterns = list(DEFAULT_IGNORES)
    try:
        with open(os.path.join(folder, IGNORE_FILE), encoding="utf-8") as fh:
            patterns += [ln.strip().rstrip("/") for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError:
        pass
    return patterns


def _ignored(rel: str, name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) for p in patterns)


def plan_upload(folder: str, limit_bytes: int = UPLOAD_LIMIT_BYTES) -> UploadPlan:
    """The files to send; TransferError when they exceed ``limit_bytes``."""
    folder = os.path.abspath(folder)
    patterns = _ignore_patterns(folder)
    plan = UploadPlan(folder)
    for here, dirs, files in os.walk(folder):
        rel_here = os.path.relpath(here, folder)
        keep = []
        for d in sorted(dirs):
            rel = d if rel_here == "." else f"{rel_here}/{d}"
            if _ignored(rel, d, patterns) or os.path.islink(os.path.join(here, d)):
                plan.skipped.append(rel + "/")
            else:
                keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            rel = name if rel_here == "." else f"{rel_here}/{name}"
            path = os.path.join(here, name)
            if _ignored(rel, name, patterns) or not os.path.isfile(path) or os.path.islink(path):
                plan.skipped.append(rel)
                continue
            plan.files.append(rel)
            plan.total_bytes += os.path.getsize(path)
            if plan.total_bytes > limit_bytes:
                raise TransferError(
                    f"The script's folder {folder} holds more than {format_bytes(limit_bytes)} to copy to the host "
                    f"(reached at {rel}): list what it need not send in {IGNORE_FILE} there, or run a copy "
                    f"that is already on the host by its path there."
                )
    return plan


class _ChunkSink(io.RawIOBase):
    """A write-only file whose writes are collected as chunks for the caller to send."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)


def tar_chunks(plan: UploadPlan, chunk_bytes: int = 256 * 1024) -> Iterator[bytes]:
    """The planned files as a tar stream, a chunk at a time (the folder is never held in memory)."""
    sink = _ChunkSink()
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for rel in plan.files:
            path = os.path.join(plan.folder, *rel.split("/"))
            info = tar.gettarinfo(path, arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
            if sum(map(len, sink.chunks)) >= chunk_bytes:
                yield b"".join(sink.chunks)
                sink.chunks.clear()
    if sink.chunks:
        yield b"".join(sink.chunks)


def unpack_tar(source: bytes | str | BinaryIO, dest: str) -> list[str]:
    """Unpack what came back into ``dest`` (nothing outside it, no links or devices); the names unpacked.

    ``source`` is the tar itself, the path of a file holding it, or that file open for reading
    (the results of a run are streamed to a file as they come, never held in memory). A member
    that would land on the file being read is left out.
    """
    os.makedirs(dest, exist_ok=True)
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    elif isinstance(source, str):
        with open(source, "rb") as fh:
            return unpack_tar(fh, dest)
    reading = getattr(source, "name", None)
    here = os.path.realpath(reading) if isinstance(reading, str) else None
    with tarfile.open(fileobj=source, mode="r:*") as tar:
        members = [
            m
            for m in tar.getmembers()
            if (m.isfile() or m.isdir()) and os.path.realpath(os.path.join(dest, m.name.lstrip("/"))) != here
        ]
        tar.extractall(dest, members=members, filter="data")
        return [m.name for m in members if m.isfile()]
