"""Reading the user's script and reporting how it ended, as Python itself would.

A script that cannot start (missing, a folder, binary, a syntax error) is a
:class:`ScriptProblem` with the worker's exit code and the sentence to show.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import tokenize
import traceback
import types

from gpuprof_gui.protocol import ExitCode


class ScriptProblem(Exception):  # noqa: N818 - the user's script, not the worker, is at fault
    """The script cannot be started; carries the exit code and the sentence."""

    def __init__(self, code: ExitCode, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def compile_script(path: str) -> types.CodeType:
    """Read and compile ``path``, or raise :class:`ScriptProblem` saying why not."""
    if not os.path.lexists(path):
        raise ScriptProblem(ExitCode.SCRIPT_NOT_FOUND, f"The script does not exist: {path}")
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ScriptProblem(ExitCode.NOT_A_FILE, f"The script is a symbolic link that loops: {path}") from None
        if exc.errno == errno.ENOENT:
            raise ScriptProblem(ExitCode.SCRIPT_NOT_FOUND, f"The script does not exist: {path}") from None
    if not os.path.isfile(path):  # a directory, FIFO or device: reading it could hang
        raise ScriptProblem(ExitCode.NOT_A_FILE, f"{ExitCode.NOT_A_FILE.message} ({path})")
    try:
        with open(path, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        raise ScriptProblem(ExitCode.NOT_A_FILE, f"The script could not be read: {exc.strerror} ({path}).") from None
    if b"\0" in source:
        raise ScriptProblem(ExitCode.NOT_PYTHON, f"{ExitCode.NOT_PYTHON.message} ({path})")
    try:  # honours a PEP 263 coding cookie, like Python itself
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        source.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        raise ScriptProblem(ExitCode.NOT_PYTHON, f"{ExitCode.NOT_PYTHON.message} ({path})") from None
    try:
        return compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        detail = "".join(traceback.format_exception_only(exc))
        where = f"{exc.filename}:{exc.lineno}" if exc.lineno else path
        raise ScriptProblem(
            ExitCode.SYNTAX_ERROR,
            f"The script has a syntax error and could not start: {where}: {exc.msg}.",
            detail,
        ) from None
    except ValueError:  # e.g. "source code string cannot contain null bytes"
        raise ScriptProblem(ExitCode.NOT_PYTHON, f"{ExitCode.NOT_PYTHON.message} ({path})") from None


def exit_status_of(exc: SystemExit) -> int:
    """The process exit status Python would report for ``raise SystemExit(code)``."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        if not -sys.maxsize - 1 <= code <= sys.maxsize:
            return 0xFF  # too big for a C long: Python exits with -1
        return code & 0xFF  # what the operating system keeps of it
    # Python prints a non-integer code to stderr and exits 1, even when printing fails.
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


def script_traceback(exc: BaseException, code: types.CodeType) -> types.TracebackType | None:
    """The exception's traceback with the worker's own frames removed."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code is not code:
        tb = tb.tb_next
    return tb if tb is not None else exc.__traceback__
