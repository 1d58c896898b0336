"""The worker's end of the protocol pipe (``--channel-fd N``).

Writes go straight to the file descriptor with ``os.write`` (no Python
buffering), so a message is on its way the moment ``send`` returns, even if
the worker dies right after, and a script that calls ``os._exit`` cannot leave
a half-written message behind in a buffer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Any, NoReturn

from gpuprof_gui import protocol


class Channel:
    """Sends protocol messages; a vanished parent makes sends no-ops, never errors."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.closed = False

    def send_raw(self, data: bytes) -> bool:
        """Write all of ``data``; False (and closed from then on) if the pipe is gone."""
        if self.closed:
            return False
        view = memoryview(data)
        try:
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except OSError:  # EPIPE: the parent has gone; EBADF: the script closed our fd
            self.closed = True
            return False
        return True

    def send(self, msg_type: protocol.MsgType, **fields: Any) -> bool:
        return self.send_raw(protocol.encode(msg_type, **fields))

    def error(self, code: protocol.ExitCode, message: str, traceback: str | None = None) -> bool:
        return self.send(protocol.MsgType.ERROR, code=int(code), message=message, traceback=traceback)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                os.close(self.fd)


def open_channel(fd: int, worker: str) -> Channel | None:
    """Take over ``fd`` and send ``hello``; None when ``fd`` is not an open descriptor.

    The descriptor is made non-inheritable so the profiled script's own child
    processes do not hold the pipe open (the parent would otherwise wait for
    them to see end-of-file).
    """
    if fd <= 2:  # stdin/stdout/stderr belong to the script
        return None
    try:
        os.set_inheritable(fd, False)
    except OSError:
        return None
    channel = Channel(fd)
    channel.send_raw(protocol.hello(worker, os.getpid()))
    return channel


class WorkerArgParser(argparse.ArgumentParser):
    """argparse that exits with ExitCode.BAD_ARGUMENTS (not argparse's 2, which a script may use)."""

    def error(self, message: str) -> NoReturn:
        import sys

        from gpuprof_gui.protocol import ExitCode

        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(ExitCode.BAD_ARGUMENTS)


def serve(fd: int, worker: str, body) -> int:
    """Open the channel on ``fd`` and return ``body(channel)``'s exit status.

    A channel that cannot be opened, or an exception escaping ``body`` (a bug
    in the worker, not in what it runs), becomes a plain message and an
    ExitCode, never a bare traceback the parent cannot read.
    """
    import sys
    import traceback

    from gpuprof_gui.protocol import CHANNEL_FD_ARG, ExitCode

    channel = open_channel(fd, worker)
    if channel is None:
        print(f"{worker} worker: {CHANNEL_FD_ARG} {fd} is not an open pipe", file=sys.stderr)
        return ExitCode.BAD_ARGUMENTS
    try:
        return body(channel)
    except Exception:  # noqa: BLE001 - the worker's last word: any failure becomes an error message
        text = traceback.format_exc()
        sys.stderr.write(text)
        channel.error(ExitCode.INTERNAL_ERROR, ExitCode.INTERNAL_ERROR.message, text)
        return ExitCode.INTERNAL_ERROR
