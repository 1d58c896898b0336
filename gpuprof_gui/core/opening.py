"""One door for every path a user gives: what the file is, and one plain sentence when it cannot be opened.

Every place that takes a path from a person (``gpuprof open/export/diff/advise``,
``gpuprof gui FILE``, File ▸ Open, a drop, Compare, the advisor) asks here, so the same
file gets the same answer everywhere. Pure: it reads at most :data:`HEAD_BYTES` of
the file and never parses a cProfile dump (that happens in a worker, see
:mod:`gpuprof_gui.jobs.opening`, which opens what this module recognised).

API:

- :func:`what_is(path) -> Kind <what_is>`: the kind of file, judged by its content (a
  script by its ``.py`` name); raises :class:`OpenError` when it cannot be opened at all.
- :class:`OpenError`: ``str(exc)`` is the sentence for the status bar or stderr,
  ``exc.failure`` a :class:`Failure`, ``exc.path`` the path as the user gave it.
- :func:`sentence(failure, path, detail) <sentence>`: the one sentence for each failure.
- :func:`unopenable_reason(path)`: the sentence for a path that cannot be opened as a
  file, else None, without reading it (the window's old pre-check, kept for its callers).
"""

from __future__ import annotations

import errno
import os
import re
from enum import StrEnum

from gpuprof_gui.core import advice_session, gpu_trace, lab_model, session
from gpuprof_gui.core.fmt import format_bytes
from gpuprof_gui.core.importers import ProfileFormatError, sniff_format

SCRIPT_SUFFIX = ".py"
HEAD_BYTES = 64 * 1024
"""Bytes read to recognise a file: a session, advisor session or lab results file names
its format in its first keys; profile formats need the importers' own sniff window."""
MAX_FILE_BYTES = 2 << 30
"""Largest file opened (2 GiB). Every reader holds the whole parsed file in memory, and
JSON parsing takes 5-10 times the file's size: past 2 GiB that is more than a workstation
has spare, and no real profile, session or lab run comes near it (a 200,000-node
cProfile dump is about 20 MB)."""


class Kind(StrEnum):
    """What a path holds, as far as gpuprof is concerned."""

    SCRIPT = "script"  # a .py file: runs under a profiler (the worker judges whether it can start)
    FOLDER = "folder"  # a directory: the run bar takes it like a script; a verb needing a file refuses it
    PROFILE = "profile"  # any format core/importers reads: cProfile, Scalene JSON, folded, gpuprof profile
    SESSION = "session"  # core/session.py: one run with its profile, console, lab run, advice
    ADVICE_SESSION = "advice-session"  # core/advice_session.py: `gpuprof advise --save`
    LAB_RESULTS = "lab-results"  # core/lab_model.py: a kernel-lab run (`gpuprof kernels`)
    GPU_TRACE = "gpu-trace"  # core/gpu_trace.py: a GPU trace (`gpuprof profile --gpu-trace`)


class Failure(StrEnum):
    """Why a path cannot be opened; each has one sentence (:func:`sentence`)."""

    MISSING = "missing"
    FOLDER = "folder"  # a folder where a file is needed
    SPECIAL = "special"  # a device, pipe or socket
    LINK_LOOP = "link-loop"  # a symbolic link that leads back to itself
    UNREADABLE = "unreadable"
    EMPTY = "empty"
    TOO_LARGE = "too-large"
    UNKNOWN_FORMAT = "unknown-format"
    TOO_NEW = "too-new"  # written by a newer gpuprof-gui
    DAMAGED = "damaged"
    PYTHON2 = "python2"  # a cProfile dump written by Python 2
    NO_PROFILE = "no-profile"  # a session or advisor session saved without a profile, where one is needed
    WRONG_KIND = "wrong-kind"  # a file gpuprof reads, but not the kind this place needs
    SCRIPT = "script"  # a script where a profile is needed


KIND_WORDS = {
    Kind.SCRIPT: "a Python script",
    Kind.FOLDER: "a folder",
    Kind.PROFILE: "a profile",
    Kind.SESSION: "a gpuprof session",
    Kind.ADVICE_SESSION: "an advisor session",
    Kind.LAB_RESULTS: "kernel-lab results",
    Kind.GPU_TRACE: "a GPU trace",
}

READ_FORMATS = (
    "a profile (cProfile .prof, Scalene JSON, folded stacks, a saved gpuprof profile), "
    "a gpuprof session, an advisor session or kernel-lab results"
)


def sentence(failure: Failure, path: str, detail: str = "") -> str:
    """The one sentence a user reads for ``failure``; ``detail`` is the reader's own words, where it helps."""
    why = f" ({_clause(detail)})" if detail else ""
    return {
        Failure.MISSING: f"{path}: no such file.",
        Failure.FOLDER: f"{path} is a folder, not a file.",
        Failure.SPECIAL: f"{path} is not a regular file (a device, pipe or socket).",
        Failure.LINK_LOOP: f"{path} is a symbolic link that loops (it leads back to itself), not a file.",
        Failure.UNREADABLE: f"{path} cannot be read{why or ' (permission denied)'}.",
        Failure.EMPTY: f"{path} is empty.",
        Failure.TOO_LARGE: f"{path} is too large to open ({detail + ', ' if detail else ''}"
        f"at most {format_bytes(MAX_FILE_BYTES)}).",
        Failure.UNKNOWN_FORMAT: f"{path} is not a file gpuprof reads: expected {READ_FORMATS}.",
        Failure.TOO_NEW: f"{path} was saved by a newer gpuprof-gui{why}; please update gpuprof-gui.",
        Failure.DAMAGED: f"{path} is damaged or truncated{why}.",
        Failure.PYTHON2: f"{path} was written by Python 2 (gpuprof reads profiles from Python 3).",
        Failure.NO_PROFILE: f"{path} holds no profile{why}.",
        Failure.WRONG_KIND: f"{path} is {_clause(detail) or 'not the kind of file needed here'}.",
        Failure.SCRIPT: f"{path} is a Python script, not a profile: profile it first "
        f"(gpuprof profile {path} --output run.prof).",
    }[failure]


def _clause(detail: str) -> str:
    """A reader's sentence made into a clause: no final full stop, no leading capital on a plain word."""
    text = detail.strip().rstrip(".")
    first, _, rest = text.partition(" ")
    if first in _SENTENCE_OPENERS:  # "The file is ..." -> "the file is ..."; names keep their capitals
        text = f"{first.lower()} {rest}"
    return text


_SENTENCE_OPENERS = ("The", "This", "That", "It", "A", "An", "No", "Not")


class OpenError(ValueError):
    """A path that cannot be opened; ``str()`` is the sentence, ``failure`` says which kind of failure."""

    def __init__(self, failure: Failure, path: str, detail: str = "") -> None:
        super().__init__(sentence(failure, path, detail))
        self.failure = failure
        self.path = path
        self.detail = detail


def unopenable_reason(path: str) -> str | None:
    """Why ``path`` cannot be opened as a file (missing, a folder, special, unreadable), or None.

    Reads nothing; :func:`what_is` goes on to empty, too large and the format.
    """
    try:
        _check_file(path)
    except OpenError as exc:
        return str(exc)
    return None


def _check_file(path: str) -> int:
    """The file's size, after the checks that need no reading."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise OpenError(Failure.MISSING, path) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OpenError(Failure.LINK_LOOP, path) from None
        raise OpenError(Failure.UNREADABLE, path, exc.strerror or str(exc)) from None
    if os.path.isdir(path):
        raise OpenError(Failure.FOLDER, path)
    if not os.path.isfile(path):
        raise OpenError(Failure.SPECIAL, path)
    if not os.access(path, os.R_OK):
        raise OpenError(Failure.UNREADABLE, path)
    return st.st_size


def what_is(path: str | os.PathLike) -> Kind:
    """The kind of file at ``path``; OpenError with the sentence when it cannot be opened.

    A ``.py`` name is a script and a directory a folder, whatever they hold; every other
    file is judged by its first bytes: the ``"format"`` key of a session, advisor session
    or lab results file, else the importers' sniff (cProfile, Scalene, folded, gpuprof).
    A session or lab results file from a newer version is TOO_NEW here already.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        return Kind.FOLDER
    if path.endswith(SCRIPT_SUFFIX) and os.path.isfile(path):
        return Kind.SCRIPT
    size = _check_file(path)
    if size > MAX_FILE_BYTES:
        raise OpenError(Failure.TOO_LARGE, path, format_bytes(size))
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise OpenError(Failure.UNREADABLE, path, exc.strerror or str(exc)) from None
    if not head.strip():
        raise OpenError(Failure.EMPTY, path)
    kind = _json_kind(path, head)
    if kind is not None:
        return kind
    try:
        sniff_format(path)
    except ProfileFormatError as exc:
        if "not valid JSON" in str(exc):
            raise OpenError(Failure.DAMAGED, path, str(exc)) from None
        raise OpenError(Failure.UNKNOWN_FORMAT, path) from None
    return Kind.PROFILE


# (format name, kind, newest version this program reads), for the files that name their format
_FORMATS = (
    (session.SESSION_FORMAT, Kind.SESSION, session.SESSION_VERSION),
    (advice_session.SESSION_FORMAT, Kind.ADVICE_SESSION, advice_session.SESSION_VERSION),
    (lab_model.RESULTS_FORMAT, Kind.LAB_RESULTS, lab_model.RESULTS_VERSION),
    (gpu_trace.GPU_TRACE_FORMAT, Kind.GPU_TRACE, gpu_trace.GPU_TRACE_VERSION),
)
_FORMAT_KEY = re.compile(rb'"format"\s*:\s*"([a-z-]+)"')
_VERSION_KEY = re.compile(rb'"version"\s*:\s*(\d+)')


def _json_kind(path: str, head: bytes) -> Kind | None:
    """A session, advisor session, lab results file or GPU trace by its ``format`` key; None for anything else."""
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    # The format key comes first in every file we write; a nested profile's own
    # "format" (gpuprof-profile) comes later, so the first match decides.
    found = _FORMAT_KEY.search(head)
    if found is None:
        return None
    for name, kind, newest in _FORMATS:
        if found.group(1) == name.encode():
            version = _VERSION_KEY.search(head)
            if version is not None and int(version.group(1)) > newest:
                raise OpenError(
                    Failure.TOO_NEW,
                    path,
                    f"{KIND_WORDS[kind]}, format version {int(version.group(1))}; this version reads up to {newest}",
                )
            return kind
    return None
