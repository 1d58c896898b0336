"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.

The data goes to a temporary file in the target's folder (same file system, so the
rename is atomic), is flushed to disk, then renamed over the target. On any
failure, Ctrl-C included, the temporary file is removed and the target is untouched.

The destination is checked first (:func:`write_target`): a missing folder, a parent
that is a file, a read-only folder, a folder at the path, or anything that is not a
regular file (a FIFO, a device, a socket) is refused with one sentence, and nothing is
written. A symbolic link is written through to its target when that is a regular file
(as editors do), never replaced by a file itself; a dangling link is refused. Every
failure is a :class:`WriteError`, an ``OSError`` whose text is that one sentence.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from typing import IO, Any


class WriteError(OSError):
    """A write refused or failed; ``str()`` and ``strerror`` are one sentence naming the file."""

    def __init__(self, code: int, sentence: str) -> None:
        super().__init__(code, sentence)
        self.sentence = sentence

    def __str__(self) -> str:
        return self.sentence


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _kind(mode: int) -> str:
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def write_target(path: str | os.PathLike) -> str:
    """The file a write to ``path`` should replace (a link's target); WriteError when it must not be written.

    Nothing is written or created here.
    """
    path = os.fspath(path)
    shown = path
    if os.path.islink(path):
        target = os.path.realpath(path)
        if not os.path.lexists(target) or os.path.islink(target):
            raise WriteError(errno.ENOENT, f"cannot write {shown}: it is a link to {target}, which does not exist.")
        path = target
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            st = None  # a parent is a file: said below
        else:
            raise WriteError(exc.errno or errno.EIO, f"cannot write {shown}: {describe_os_error(exc)}.") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise WriteError(errno.EISDIR, f"cannot write {shown}: it is a folder; give a file name.")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise WriteError(
            errno.EINVAL, f"cannot write {shown}: it is {_kind(st.st_mode)}, not a regular file; choose a file name."
        )
    folder = os.path.dirname(os.path.abspath(path))
    _check_folder(shown, folder)
    return path


def _check_folder(shown: str, folder: str) -> None:
    probe = folder
    while probe and not os.path.lexists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if probe != folder:
        if os.path.lexists(probe) and not os.path.isdir(probe):
            raise WriteError(errno.ENOTDIR, f"cannot write {shown}: {probe} is a file, not a folder.")
        raise WriteError(errno.ENOENT, f"cannot write {shown}: the folder {folder} does not exist.")
    if not os.path.isdir(folder):
        raise WriteError(errno.ENOTDIR, f"cannot write {shown}: {folder} is a file, not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(errno.EACCES, f"cannot write {shown}: the folder {folder} is read-only for you.")


def check_folder(path: str | os.PathLike) -> None:
    """WriteError (one sentence) unless files can be made in the folder ``path``.

    A folder not made yet is checked at the nearest existing folder above it.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(path):
        _check_folder(path, path)
        return
    probe = path
    while not os.path.lexists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise WriteError(errno.ENOTDIR, f"cannot make the folder {path}: {probe} is a file, not a folder.")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise WriteError(errno.EACCES, f"cannot make the folder {path}: {probe} is read-only for you.")


def describe_os_error(exc: OSError) -> str:
    """A write's OSError in plain words: "the disk is full", "the folder is read-only", ..."""
    if isinstance(exc, WriteError):
        return exc.sentence
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is used up"
    if exc.errno == errno.EFBIG:
        return "the file is larger than this system allows (or the disk is full)"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return (exc.strerror or str(exc)).lower()


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, binary: bool = False, prefix: str = ".gpuprof-", public: bool = False
) -> Iterator[IO[Any]]:
    """``with atomic_open(path) as fh: fh.write(...)``: ``path`` is replaced only if the block succeeds.

    ``public``: give the file the permissions a plain ``open()`` would (mkstemp makes it 0600).
    WriteError (one sentence) when the destination is refused or the write fails; the old
    file is then untouched. A link to a regular file is written through, the link kept.
    """
    shown = os.fspath(path)
    path = write_target(path)
    folder = os.path.dirname(os.path.abspath(path))
    old_mode = None
    with contextlib.suppress(OSError):
        old_mode = stat.S_IMODE(os.stat(path).st_mode)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(exc.errno or errno.EIO, f"cannot write {shown}: {describe_os_error(exc)}.") from None
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if old_mode is not None and os.name == "posix":
            os.chmod(tmp, old_mode)  # replacing a file keeps its permissions
        elif public and os.name == "posix":
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(
                exc.errno or errno.EIO,
                f"cannot write {shown}: {describe_os_error(exc)}; the previous file is untouched.",
            ) from exc
        raise


def copy_file(src: str | os.PathLike, dest: str | os.PathLike, prefix: str = ".gpuprof-") -> None:
    """Copy ``src`` over ``dest`` atomically (WriteError: ``dest`` is untouched)."""
    try:
        source = open(src, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise WriteError(exc.errno or errno.EIO, f"cannot read {os.fspath(src)}: {read_error_words(exc)}.") from None
    with source, atomic_open(dest, binary=True, prefix=prefix, public=True) as fh:
        shutil.copyfileobj(source, fh, 1 << 20)


def write_json(path: str | os.PathLike, obj: Any, prefix: str = ".gpuprof-", indent: int | None = None) -> None:
    """``obj`` as JSON, atomically (compact unless ``indent`` is given)."""
    with atomic_open(path, prefix=prefix, public=True) as fh:
        if indent is None:
            json.dump(obj, fh, separators=(",", ":"))
        else:
            json.dump(obj, fh, indent=indent)


def read_error_words(exc: OSError) -> str:
    """An OSError as a few plain words: "no such file", "a folder, not a file", "permission denied"."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "a folder, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or str(exc)).lower()


def read_json(path: str | os.PathLike, what: str) -> Any:
    """The JSON in ``path``; ValueError with a plain sentence naming the file and ``what`` it should be."""
    name = os.path.basename(os.fspath(path))
    from gpuprof_gui.core.json_text import JSONTextError, read_json_file

    try:
        return read_json_file(path, what)
    except OSError as exc:
        raise ValueError(f"{name}: {read_error_words(exc)}") from exc
    except JSONTextError as exc:
        raise ValueError(f"{name}: {exc}") from None
