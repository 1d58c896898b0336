"""Where a profiled function's Python source is, and, where there is none, why — in words a person reads.

A profile names a file for each function, or none: cProfile gives none for built-ins
(C code), folded stacks for a frame written as a bare name, and Python itself writes
``<frozen importlib._bootstrap>`` or ``<string>`` where no file on disk holds the code.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable

FROZEN = "frozen module (compiled into the Python interpreter; no source file)"
BUILTIN = "built-in (C code: no Python source)"
NAME_ONLY = "the {source} give only this function's name, no file"
STRING = "code run from a string (exec or eval): no source file"
STDIN = "code typed at a prompt or piped in: no source file"
PROCESS = "a process: the root of everything it ran"
NO_FILE_LABEL = "(no file)"
"""The file column for a frame that names no file and is not a built-in (folded stacks, py-spy)."""
BUILTIN_LABEL = "<built-in>"
MAX_SOURCE_BYTES = 4 * 1024 * 1024
"""Larger files are generated code or data; showing them would stall the GUI thread."""

# Profilers whose functions without a file are frames given by name alone, not built-ins.
_NAME_ONLY_SOURCES = {"folded": "folded stacks", "py-spy": "py-spy stacks"}

# The kind of each reason, in the words of the summary when no function has source.
_SUMMARY_WORDS = {
    BUILTIN: "built-in (C code)",
    FROZEN: "in frozen modules",
    STRING: "run from strings",
    STDIN: "typed at a prompt",
    PROCESS: "processes",
}


REMOTE_COPY = re.compile(r"/gpuprof-gui/remote/runs/[^/]+/src/(.+)$")
"""A file of a run on a remote host: the copy of the script's folder there (jobs/remote/transfer.py)."""


def resolve_source(path: str, search_dirs: list[str]) -> str | None:
    """The readable file behind a profile's ``path``, trying ``search_dirs`` for relative ones.

    A file a remote host ran from its copy of the script's folder (removed after the run) is
    the same file of the local folder that was copied, found through ``search_dirs``.
    """
    if not path or path.startswith("<"):
        return None
    rel = path
    if os.path.isabs(path) and (copy := REMOTE_COPY.search(path)) and not os.path.isfile(path):
        rel = copy.group(1)
    candidates = [path] + [os.path.join(d, rel) for d in search_dirs if not os.path.isabs(rel)]
    for cand in candidates:
        if os.path.isfile(cand):
            return cand
    return None


def read_source(path: str) -> str:
    """The text of ``path``; ValueError for a file too large to show, OSError when it cannot be read."""
    if os.path.getsize(path) > MAX_SOURCE_BYTES:
        raise ValueError(f"{os.path.basename(path)} is larger than {MAX_SOURCE_BYTES // 2**20} MB")
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def no_file_label(profiler: str) -> str:
    """What the file column says for a function without a file, in a profile from ``profiler``."""
    return NO_FILE_LABEL if profiler in _NAME_ONLY_SOURCES else BUILTIN_LABEL


def no_source_reason(file: str, profiler: str, name: str = "") -> str:
    """Why a function of ``file`` (as the profile names it) has no source to show; one clause."""
    if not file:
        if profiler == "py-spy" and name.startswith("process "):
            return PROCESS
        source = _NAME_ONLY_SOURCES.get(profiler)
        return NAME_ONLY.format(source=source) if source else BUILTIN
    if file.startswith("<frozen "):
        return FROZEN
    if file == "<string>":
        return STRING
    if file in ("<stdin>", "<console>"):
        return STDIN
    if file.startswith("<"):
        return f"{file} is not a file on disk"
    if os.path.isabs(file):
        return f"{file} is not on this computer (the profile was made elsewhere, or the file moved)"
    return f"{file} was not found beside the profile or in the working folder"


def no_source_summary(reasons: Iterable[str]) -> str:
    """One sentence for a profile where no function has source: how many for each reason."""
    counts = Counter(_summary_words(r) for r in reasons)
    if not counts:
        return "This profile holds no functions."
    parts = [f"{n:,} {words}" for words, n in counts.most_common()]
    return f"No function in this profile has Python source to show: {', '.join(parts)}."


def _summary_words(reason: str) -> str:
    if reason in _SUMMARY_WORDS:
        return _SUMMARY_WORDS[reason]
    if "give only this function's name" in reason:
        return "named without a file"
    return "in files that are not here" if " not " in reason else "not in files on disk"
