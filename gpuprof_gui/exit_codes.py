"""The exit statuses of the ``gpuprof`` command and the ``gpuprof gui`` window: one number, one meaning.

These are the shell's contract, read by scripts and CI jobs that call ``gpuprof``.
They live apart from :class:`gpuprof_gui.protocol.ExitCode`, the workers' statuses
(100 and up) that only the parent process ever reads: the two sets change for
different reasons, and a user never sees a worker's number. Pure Python, so the
CLI, the window (``ui/app.py``) and the tests import it without numpy or Qt.

``gpuprof profile`` is the one exception to "one number, one meaning": it passes
on the profiled script's own nonzero exit status (``--json`` reports the script's
status separately as ``exit_code``), as ``time`` and ``timeout`` do.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """How a ``gpuprof`` verb ended; :attr:`meaning` is the line ``gpuprof --help`` prints."""

    OK = 0
    FAILED = 1
    USAGE = 2
    NO_PROFILE = 3
    UNAVAILABLE = 4
    TIMED_OUT = 124  # as coreutils `timeout` reports it
    CANCELLED = 130  # the shell's 128 + SIGINT

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitStatus.OK: "done: the answer was printed or the file written",
    ExitStatus.FAILED: "done, but part of it failed and the output says which: a kernel candidate was "
    "wrong or crashed, the profiled script did not finish normally, or the window "
    "could not show what it was asked to",
    ExitStatus.USAGE: "bad command line, or a file that cannot be used as given (missing, unreadable, "
    "damaged, of the wrong kind); one sentence on stderr says which",
    ExitStatus.NO_PROFILE: "the run produced no usable profile (the script crashed, or Scalene recorded nothing)",
    ExitStatus.UNAVAILABLE: "this machine lacks what the verb needs: a GPU, its driver or CuPy (kernels, "
    "monitor), or Qt or a display (gui)",
    ExitStatus.TIMED_OUT: "stopped by --timeout (the partial profile, if any, is still shown)",
    ExitStatus.CANCELLED: "interrupted with Ctrl-C (what was done so far is still shown)",
}


def exit_status_help() -> str:
    """The ``exit status:`` block of ``--help``: every code with its meaning."""
    import textwrap

    lines = ["exit status:"]
    for status in ExitStatus:
        lines += textwrap.wrap(
            status.meaning, width=78, initial_indent=f"  {status.value:<5}", subsequent_indent=" " * 7
        )
    lines += textwrap.wrap(
        "N    `gpuprof profile` only: the script's own nonzero exit status (a profile "
        'was produced); --json reports it separately as "exit_code", so a script '
        "exiting with 1 to 4, 124 or 130 itself can be told apart there.",
        width=78,
        initial_indent="  ",
        subsequent_indent=" " * 7,
    )
    return "\n".join(lines)
