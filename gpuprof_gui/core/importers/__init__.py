"""Profile importers: recognise a file's format and turn it into a :class:`Profile`.

Each ``import_x(raw) -> Profile`` is a pure function of already-read data;
:func:`load_profile` reads the file, picks the importer and turns every
failure into a :class:`ProfileFormatError` whose text a user can read.
"""

from __future__ import annotations

import os
import re

from gpuprof_gui.core.importers.errors import ProfileFormatError, UntrustedFormat, WrittenByPython2
from gpuprof_gui.core.importers.folded_import import EMPTY_STACK, import_folded
from gpuprof_gui.core.importers.pstats_import import import_pstats
from gpuprof_gui.core.importers.sampled_paths import parse_sampled_stacks
from gpuprof_gui.core.importers.scalene_import import import_scalene
from gpuprof_gui.core.json_text import JSONTextError, parse_json, read_json_file, read_text_bytes
from gpuprof_gui.core.model import Profile
from gpuprof_gui.protocol import STACKS_SUFFIX

__all__ = [
    "FORMATS",
    "ProfileFormatError",
    "UntrustedFormat",
    "import_folded",
    "import_pstats",
    "import_scalene",
    "load_profile",
    "sniff_format",
]

FORMATS = ("pstats", "scalene", "folded", "gpuprof")

SNIFF_BYTES = 64 * 1024
"""Bytes read to recognise a format: enough for Scalene's leading keys and
dozens of folded-stack lines, small enough to sniff a 1 GB file instantly."""

MAX_STACKS_BYTES = 256 * 1024 * 1024
"""Sampled stacks beside a cProfile dump larger than this are ignored (a
100 Hz sampler writes well under 1 MB a minute of distinct stacks)."""

SNIFF_LINES = 20
"""Folded stacks: the first lines that must all look like ``stack count``."""

# marshal's dict type code is "{" (0x7B), with FLAG_REF (0x80) set = 0xFB;
# the first key of a pstats table is a tuple: "(" or ")" (small tuple), with
# or without FLAG_REF; "0" ends an empty dict.
_MARSHAL_DICT = (0x7B, 0xFB)
_MARSHAL_FIRST_KEY = (0x28, 0x29, 0xA8, 0xA9, 0x30)
_SCALENE_KEYS = ('"elapsed_time_sec"', '"alloc_samples"', '"combined_stacks"', '"max_footprint_mb"')
_GPUPROF_MARKER = '"format":"gpuprof-profile"'
_FOLDED_LINE = re.compile(r"^\S.*\s\d+(?:\.\d+)?$")


def sniff_format(path: str | os.PathLike) -> str:
    """One of :data:`FORMATS`, judged from the file's content, not its name."""
    head = _read_head(path)
    if len(head) >= 2 and head[0] in _MARSHAL_DICT and head[1] in _MARSHAL_FIRST_KEY:
        return "pstats"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is still text.
        if exc.start < len(head) - 4:
            raise ProfileFormatError(
                "The file is binary data that is not a cProfile dump, nor any other profile format gpuprof reads."
            ) from None
        text = head[: exc.start].decode("utf-8")
    if "\0" in text:  # no text format holds NUL: binary data, or a sparse file of zeros (refused from its head)
        raise ProfileFormatError(
            "The file is binary data that is not a cProfile dump, nor any other profile format gpuprof reads."
        )
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return _sniff_json(path, stripped)
    lines = [ln.strip() for ln in stripped.splitlines() if ln.strip()]
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the sniff window
    elif len(head) == SNIFF_BYTES and len(lines) == 1:
        lines = [_first_line(path)]  # one long stack (a 5000-deep recursion): read on to its end
    lines = [ln for ln in lines if not EMPTY_STACK.match(ln)]  # samples without a frame (py-spy)
    if lines and all(_FOLDED_LINE.match(ln) for ln in lines[:SNIFF_LINES]):
        return "folded"
    raise ProfileFormatError(
        "The file is not a profile gpuprof can read: expected a cProfile dump (.prof), "
        "a Scalene JSON profile, folded stacks or a saved gpuprof profile."
    )


MAX_FIRST_LINE_BYTES = 64 * 1024 * 1024
"""Folded stacks: the longest first line read to recognise the format (a stack 1,000,000 frames deep)."""


def _first_line(path) -> str:
    """The first line, read in sniff-sized pieces up to :data:`MAX_FIRST_LINE_BYTES`; "" if longer or not text."""
    pieces: list[bytes] = []
    read = 0
    with open(path, "rb") as fh:
        while read < MAX_FIRST_LINE_BYTES:
            piece = fh.read(SNIFF_BYTES)
            if not piece:
                break
            end = piece.find(b"\n")
            pieces.append(piece if end < 0 else piece[:end])
            read += len(piece)
            if end >= 0:
                break
        else:
            return ""
    try:
        return b"".join(pieces).decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return ""


def _read_head(path) -> bytes:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ProfileFormatError(f"The file does not exist: {path}")
    if os.path.isdir(path):
        raise ProfileFormatError(f"That is a folder, not a profile file: {path}")
    if not os.path.isfile(path):
        raise ProfileFormatError(f"That is a special file, not a profile file: {path}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ProfileFormatError(f"The file cannot be read ({exc.strerror or exc}).") from exc
    if not head.strip():
        raise ProfileFormatError("The file is empty.")
    return head


def _sniff_json(path, head_text: str) -> str:
    compact = re.sub(r"\s+", "", head_text[:200])
    if compact.startswith("{" + _GPUPROF_MARKER) or _GPUPROF_MARKER in compact:
        return "gpuprof"
    if compact.startswith("{}") or any(key in head_text for key in _SCALENE_KEYS):
        return "scalene"
    if os.path.getsize(path) <= SNIFF_BYTES:
        # Small enough to parse: decide by the keys, whatever their order.
        try:
            obj = parse_json(head_text, "a profile")
        except JSONTextError as exc:
            if "not valid JSON" in str(exc):
                raise ProfileFormatError("The file looks like JSON but is not valid JSON (truncated?).") from None
            raise ProfileFormatError(str(exc)) from None
        if isinstance(obj, dict) and obj.get("format") == "gpuprof-profile":
            return "gpuprof"
        if isinstance(obj, dict) and ("files" in obj or not obj):
            return "scalene"
    raise ProfileFormatError("The file is JSON, but neither a Scalene profile nor a saved gpuprof profile.")


def load_profile(path: str | os.PathLike, *, trusted: bool = False) -> Profile:
    """Read any supported profile file.

    A cProfile dump is ``marshal`` data, unsafe against malformed input: unless
    ``trusted`` it raises :class:`UntrustedFormat`, and the caller parses it in
    the convert worker, which calls this with ``trusted=True``.
    """
    fmt = sniff_format(path)
    path_s = os.fspath(path)
    if fmt == "pstats":
        if not trusted:
            raise UntrustedFormat(
                "cProfile files are read in a separate process, because a damaged one could crash the program."
            )
        profile = import_pstats(_read_pstats(path_s), _read_sampled_stacks(path_s))
    elif fmt == "scalene":
        profile = import_scalene(_read_json(path_s, "Scalene"))
    elif fmt == "folded":
        profile = import_folded(_read_text(path_s))
    else:
        from gpuprof_gui.core.serialize import load_profile_json  # serialize imports our errors

        profile = load_profile_json(path_s)
    profile.source_path = path_s
    return profile


def _read_pstats(path: str) -> dict:
    import pstats

    try:
        # The raw {func: (cc, nc, tt, ct, callers)} dict pstats builds; typeshed leaves the attribute out.
        stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
    except (EOFError, ValueError, TypeError):
        if _python2_head(path):
            raise WrittenByPython2() from None
        raise ProfileFormatError("The file is a truncated or damaged cProfile dump.") from None
    except Exception as exc:  # marshal/pstats raise many kinds on bad input
        if _python2_head(path):
            raise WrittenByPython2() from None
        raise ProfileFormatError(f"The file is a damaged cProfile dump ({type(exc).__name__}).") from exc
    if any(isinstance(part, bytes) for key in stats for part in (key if isinstance(key, tuple) else ())):
        raise WrittenByPython2()  # Python 3 reads Python 2's strings ('s') as bytes
    return stats


# Python 2's marshal: a dict "{" (no FLAG_REF, which Python 3 sets), its first key a tuple "(" with a
# 4-byte length, whose first item is a byte string "s" or an interned one "t". Python 3 (3.4 on)
# writes a small tuple ")" and its strings as "u", "z", "Z", "a" or "A".
_PY2_DICT, _PY2_TUPLE, _PY2_STRINGS = 0x7B, 0x28, (0x73, 0x74)


def _python2_head(path: str) -> bool:
    """Whether the file starts like a cProfile dump written by Python 2."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(7)
    except OSError:
        return False
    return len(head) == 7 and head[0] == _PY2_DICT and head[1] == _PY2_TUPLE and head[6] in _PY2_STRINGS


def _read_sampled_stacks(prof_path: str):
    """The sampled stacks recorded beside a cProfile dump (``x.prof.stacks``), if any."""
    path = prof_path + STACKS_SUFFIX
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > MAX_STACKS_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return parse_sampled_stacks(fh.read()) or None
    except OSError:
        return None  # evidence only: without it the split is proportional


def _read_json(path: str, what: str) -> object:
    try:
        return read_json_file(path, f"a {what} profile")
    except JSONTextError as exc:
        raise ProfileFormatError(str(exc)) from None
    except OSError as exc:
        raise ProfileFormatError(f"The {what} profile cannot be read ({exc.strerror or exc}).") from exc


def _read_text(path: str) -> str:
    try:
        return read_text_bytes(path, "a folded-stacks profile").decode("utf-8-sig")
    except JSONTextError as exc:
        raise ProfileFormatError(str(exc)) from None
    except MemoryError:
        raise ProfileFormatError("The file is too large to read as a folded-stacks profile (out of memory).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileFormatError(f"The folded-stacks file cannot be read ({exc}).") from exc
