"""One way to read JSON from a file a user gave: every failure is one plain sentence.

``json.load`` on a hostile file raises more than ``JSONDecodeError``: a file nested
100,000 deep raises ``RecursionError``, a huge one ``MemoryError``, bytes that are
not UTF-8 ``UnicodeDecodeError``, an integer of 5,000 digits a plain ``ValueError``.
Every reader of a user's JSON file (profiles, sessions, advisor sessions, lab results,
telemetry traces) reads through :func:`read_json_file` or :func:`parse_json`, which turn
all of them into :class:`JSONTextError`; the reader re-raises it as its own format
error with the same sentence. Reading failures (``OSError``) pass through untouched:
each reader has its own words for a missing or unreadable file.

Numbers are left as JSON gives them (``NaN``, ``Infinity`` and ``1e999`` included):
each reader checks the ranges of its own fields (:mod:`gpuprof_gui.core.numbers`).
"""

from __future__ import annotations

import json
import os
from typing import Any


class JSONTextError(ValueError):
    """The text is not JSON this program can read; ``str()`` is a sentence naming what it should be."""


def parse_json(text: str | bytes, what: str) -> Any:
    """``text`` parsed; JSONTextError with a sentence saying why it is not ``what`` (e.g. "a gpuprof session")."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        elif text.startswith("\ufeff"):
            text = text[1:]
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONTextError(
            f"The file is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}; truncated?), "
            f"so it is not {what}."
        ) from None
    except RecursionError:
        raise JSONTextError(f"The file is nested too deeply to be {what}.") from None
    except MemoryError:
        raise JSONTextError(f"The file is too large to read as {what} (out of memory).") from None
    except UnicodeDecodeError:
        raise JSONTextError(f"The file is not UTF-8 text, so it is not {what}.") from None
    except ValueError as exc:  # e.g. an integer longer than Python reads (4300 digits)
        raise JSONTextError(f"The file cannot be read as {what} ({exc}).") from None


READ_PIECE_BYTES = 1 << 20
"""Text files are read in pieces this large, each checked for NUL bytes before the next."""


def read_text_bytes(path: str | os.PathLike, what: str) -> bytes:
    """The bytes of a text file; JSONTextError when it holds a NUL byte (binary data, or a sparse file of zeros).

    Read in pieces of :data:`READ_PIECE_BYTES`: a 1 GiB file of zeros behind a text head is refused at
    its first zero, without holding the file in memory; one that is too large to hold is refused too.
    """
    pieces: list[bytes] = []
    offset = 0
    try:
        with open(path, "rb") as fh:
            while piece := fh.read(READ_PIECE_BYTES):
                nul = piece.find(b"\0")
                if nul >= 0:
                    raise JSONTextError(
                        f"The file is not text: it holds NUL bytes (binary data) from byte {offset + nul}, "
                        f"so it is not {what}."
                    )
                pieces.append(piece)
                offset += len(piece)
        return b"".join(pieces)
    except MemoryError:
        pieces.clear()
        raise JSONTextError(f"The file is too large to read as {what} (out of memory).") from None


def read_json_file(path: str | os.PathLike, what: str) -> Any:
    """The JSON in ``path`` (a UTF-8 byte-order mark allowed); OSError as it comes, else JSONTextError."""
    return parse_json(read_text_bytes(path, what), what)
