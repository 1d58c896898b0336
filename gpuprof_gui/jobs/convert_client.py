"""The caller's side of the convert worker: a foreign ``.prof`` in, a Profile out.

A cProfile dump is parsed in the convert worker (``marshal`` is not safe
against malformed input) and comes back as numpy columns
(:mod:`gpuprof_gui.core.profile_npz`), read and checked here.

``gpuprof gui big.prof`` knows its file before Qt is even imported, so
:func:`start_early_conversion` starts the worker at once, in a background
thread: the worker's start-up and parse overlap the window's own start-up
(0.5-0.8 s of imports and widgets) instead of following it. When the window
asks for the file, :func:`open_profile_safely` claims the conversion
already under way (:func:`claim_early_conversion`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gpuprof_gui.jobs.outcome import OutcomeTracker
from gpuprof_gui.jobs.process_group import signal_words
from gpuprof_gui.jobs.supervisor import python_module_argv, supervise, worker_env
from gpuprof_gui.protocol import CHANNEL_FD_ARG

if TYPE_CHECKING:  # numpy and the importers load later, beside the worker, not before it starts
    from gpuprof_gui.core.model import Profile

HANDOFF_NAME = "profile.npz"

# A damaged .prof normally fails in well under a second; a hung parser must not
# hang `gpuprof open`.
CONVERT_TIMEOUT_S = 60.0

# A cProfile dump is a marshal dict ("{", 0x7B, or with FLAG_REF 0xFB) whose first key is a
# tuple ("(" / ")", with or without FLAG_REF) or which is empty ("0"): the same first two bytes
# that sniff_format checks. Looking only at them decides whether to start the worker before
# the importers (and numpy, 0.1-0.2 s) are loaded; the worker's own sniff still decides for real.
_MARSHAL_DICT = frozenset((0x7B, 0xFB))
_MARSHAL_FIRST_KEY = frozenset((0x28, 0x29, 0xA8, 0xA9, 0x30))

_early: list[EarlyConversion] = []
_early_lock = threading.Lock()


@dataclass
class ConvertOutcome:
    """What the convert worker made of one file."""

    ok: bool
    message: str  # the importer's sentence when not ok
    output_path: str | None


def convert_untrusted(
    in_path: str, out_path: str, timeout_s: float = CONVERT_TIMEOUT_S, cancel: threading.Event | None = None
) -> ConvertOutcome:
    """Parse ``in_path`` (e.g. a foreign ``.prof``) in the convert worker, writing ``out_path``.

    ``out_path`` ending in ``.npz``: numpy columns (the fast hand-off); otherwise our JSON.
    """

    def argv_for_fd(fd: int) -> list[str]:
        return [
            *python_module_argv("gpuprof_gui.workers.convert_worker"),
            CHANNEL_FD_ARG,
            str(fd),
            os.path.abspath(in_path),
            os.path.abspath(out_path),
        ]

    tracker = OutcomeTracker("convert", timeout_s)
    # The worker's own output is not shown: its messages carry everything a user needs.
    # The worker does no linear algebra: without this, importing numpy starts one OpenBLAS
    # thread per core, 0.06-0.1 s of CPU taken from the window starting up beside it.
    env = {**worker_env(None), "OPENBLAS_NUM_THREADS": "1"}
    outcome = supervise(argv_for_fd, tracker, env=env, timeout_s=timeout_s, cancel=cancel)
    if tracker.error is not None:
        return ConvertOutcome(False, str(tracker.error.get("message")), None)
    if tracker.result is not None and outcome.status != "timed_out":
        return ConvertOutcome(True, "", str(tracker.result["profile_path"]))
    if outcome.status == "timed_out":
        return ConvertOutcome(
            False, f"Reading the profile file took longer than {timeout_s:g} s; it is probably damaged.", None
        )
    if outcome.signal is not None:
        return ConvertOutcome(False, f"The profile file is damaged: reading it {signal_words(outcome.signal)}.", None)
    return ConvertOutcome(False, f"The profile file could not be read ({outcome.message})", None)


def open_profile_safely(path: str, trusted: bool = False) -> Profile:
    """A Profile from any supported file; foreign cProfile dumps are parsed in the convert worker.

    ``marshal`` (inside pstats) is not safe against malformed input, so an
    untrusted ``.prof`` is parsed by a subprocess whose crash or runaway memory
    cannot hurt the caller; a conversion started early for the same file
    (``gpuprof gui FILE.prof``) is used instead of starting another.
    Raises ProfileFormatError.
    """
    from gpuprof_gui.core.importers import UntrustedFormat, load_profile

    try:
        return load_profile(path, trusted=trusted)
    except UntrustedFormat:
        pass
    early = claim_early_conversion(path)
    profile = early.profile() if early is not None else convert_to_profile(path)
    profile.source_path = path
    return profile


def _file_stamp(path: str) -> tuple[str, int, int] | None:
    """What identifies the file's content cheaply: its real path, size and modification time."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return os.path.realpath(path), st.st_size, st.st_mtime_ns


def convert_to_profile(path: str, timeout_s: float = CONVERT_TIMEOUT_S) -> Profile:
    """Parse ``path`` in the convert worker and read its result; raises ProfileFormatError."""
    with tempfile.TemporaryDirectory(prefix="gpuprof-open-") as tmp:
        return _profile_from(convert_untrusted(path, os.path.join(tmp, HANDOFF_NAME), timeout_s))


def _profile_from(outcome: ConvertOutcome) -> Profile:
    from gpuprof_gui.core.importers.errors import from_message
    from gpuprof_gui.core.profile_npz import load_profile_npz

    if not outcome.ok or outcome.output_path is None:
        raise from_message(outcome.message)
    return load_profile_npz(outcome.output_path)


class EarlyConversion:
    """One convert worker started now, in a background thread; :meth:`profile` waits for it."""

    def __init__(self, path: str, timeout_s: float = CONVERT_TIMEOUT_S) -> None:
        self.path = path
        self.stamp = _file_stamp(path)
        self._timeout_s = timeout_s
        self._folder = tempfile.mkdtemp(prefix="gpuprof-open-")
        self._cancel = threading.Event()
        self._outcome: ConvertOutcome | None = None
        self._thread = threading.Thread(target=self._convert, name="gpuprof-early-convert", daemon=True)
        self._thread.start()

    def _convert(self) -> None:
        try:
            self._outcome = convert_untrusted(
                self.path, os.path.join(self._folder, HANDOFF_NAME), self._timeout_s, cancel=self._cancel
            )
        except Exception as exc:  # noqa: BLE001 - reported by profile(), like any failed conversion
            self._outcome = ConvertOutcome(False, f"The profile file could not be read ({exc}).", None)

    def is_for(self, path: str) -> bool:
        """True if this conversion is of ``path`` as it is now (same file, unchanged since)."""
        return self.stamp is not None and _file_stamp(path) == self.stamp

    def profile(self) -> Profile:
        """The converted profile, once the worker is done; raises ProfileFormatError."""
        self._thread.join()
        try:
            return _profile_from(self._outcome or ConvertOutcome(False, "The profile file could not be read.", None))
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def cancel(self) -> None:
        """Stop the worker (its whole process group) and remove its files."""
        self._cancel.set()
        self._thread.join()
        shutil.rmtree(self._folder, ignore_errors=True)


def looks_like_pstats(path: str) -> bool:
    """Whether ``path`` starts like a cProfile dump (two bytes read; no importer loaded)."""
    try:
        if not os.path.isfile(path):  # a FIFO or device would block the read, or never end
            return False
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return False
    return len(head) == 2 and head[0] in _MARSHAL_DICT and head[1] in _MARSHAL_FIRST_KEY


def start_early_conversion(path: str) -> bool:
    """Start converting ``path`` now if it looks like a cProfile dump; True if a worker was started.

    Anything else (a script, a JSON profile, a missing file) starts nothing:
    those are read in-process, or refused, when they are opened.
    """
    if not looks_like_pstats(path):
        return False
    conversion = EarlyConversion(path)
    with _early_lock:
        _early.append(conversion)
    return True


def claim_early_conversion(path: str) -> EarlyConversion | None:
    """The conversion of ``path`` started early, now the caller's to finish; None if there is none."""
    with _early_lock:
        for conversion in _early:
            if conversion.path == path or conversion.is_for(path):
                _early.remove(conversion)
                break
        else:
            return None
    if conversion.is_for(path):
        return conversion
    conversion.cancel()  # the file changed since: its result would be stale
    return None


def cancel_early_conversions() -> None:
    """Stop conversions nobody claimed (the window closed first): no worker outlives the app."""
    with _early_lock:
        pending = list(_early)
        _early.clear()
    for conversion in pending:
        conversion.cancel()


atexit.register(cancel_early_conversions)
