"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.

The data goes to a temporary file in the target's folder (same file system, so the
rename is atomic), is flushed to disk, then renamed over the target. On any
failure, Ctrl-C included, the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, binary: bool = False, prefix: str = ".gpuprof-", public: bool = False
) -> Iterator[IO[Any]]:
    """``with atomic_open(path) as fh: fh.write(...)``: ``path`` is replaced only if the block succeeds.

    ``public``: give the file the permissions a plain ``open()`` would (mkstemp makes it 0600).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if public and os.name == "posix":
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
