"""Frames on the link between the app and its agent on a remote GPU host (one ssh channel).

Everything the agent and the app exchange travels over the agent's stdin and stdout as
frames: a 1-byte stream id, a 4-byte big-endian payload length, the payload. Control
frames carry one JSON object each (``{"type": ...}``); the worker's protocol channel, its
stdout and its stderr travel as raw bytes on streams of their own, so the script's output
and the worker's messages never mix; uploads and fetched files are tar streams.

Standard library only, Python 3.9+: this module runs on the GPU host in whatever
``python3`` is found there.
"""

from __future__ import annotations

import json
import os
import select
import struct
import threading
import time
from typing import Any

PROTOCOL_VERSION = 1
"""The version of the frames and control messages; the agent and the app must agree."""

STREAM_CONTROL = 0
STREAM_CHANNEL = 1
STREAM_STDOUT = 2
STREAM_STDERR = 3
STREAM_FILE = 4
STREAMS = frozenset((STREAM_CONTROL, STREAM_CHANNEL, STREAM_STDOUT, STREAM_STDERR, STREAM_FILE))

HEADER = struct.Struct(">BI")
HEADER_BYTES = HEADER.size  # 5

MAX_FRAME_BYTES = 1 << 20
"""The largest payload of one frame (1 MiB): a reader never holds more than this for one
frame, however a garbled or hostile stream is made; writers split bigger data."""


class FrameError(ValueError):
    """The byte stream is not made of frames (an unknown stream id, a length over the limit,
    a control payload that is not a JSON object with a "type")."""


def encode_frame(stream: int, payload: bytes) -> bytes:
    """One frame, or several back to back when ``payload`` is over :data:`MAX_FRAME_BYTES`
    (a control payload cannot be split: it raises :class:`FrameError`)."""
    if stream not in STREAMS:
        raise FrameError(f"unknown stream {stream}")
    if len(payload) <= MAX_FRAME_BYTES:
        return HEADER.pack(stream, len(payload)) + payload
    if stream == STREAM_CONTROL:
        raise FrameError(f"a control message of {len(payload)} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    view = memoryview(payload)
    parts = []
    for start in range(0, len(payload), MAX_FRAME_BYTES):
        chunk = view[start : start + MAX_FRAME_BYTES]
        parts.append(HEADER.pack(stream, len(chunk)))
        parts.append(bytes(chunk))
    return b"".join(parts)


def control_frame(obj: dict[str, Any]) -> bytes:
    """A control message as one frame (compact UTF-8 JSON)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise FrameError("a control message is a JSON object with a string 'type'")
    return encode_frame(STREAM_CONTROL, json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def decode_control(payload: bytes) -> dict[str, Any]:
    """The JSON object of a control frame; :class:`FrameError` when it is not one."""
    try:
        obj = json.loads(payload.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError both are
        raise FrameError(f"a control frame is not UTF-8 JSON ({exc})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise FrameError("a control frame is not a JSON object with a string 'type'")
    return obj


class FrameDecoder:
    """Splits a byte stream into ``(stream, payload)`` frames, keeping a partial frame.

    A bad header raises :class:`FrameError` before any payload is waited for, so a
    garbled stream costs at most one frame's worth of memory; after an error the
    decoder stays failed (the stream has lost its framing).
    """

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buf = bytearray()
        self._error: FrameError | None = None

    @property
    def pending(self) -> int:
        """Bytes held of a frame not yet complete (non-zero at end of stream: it was cut)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        if self._error is not None:
            raise self._error
        self._buf += data
        frames = []
        at = 0
        try:
            while len(self._buf) - at >= HEADER_BYTES:
                stream, length = HEADER.unpack_from(self._buf, at)
                if stream not in STREAMS:
                    raise FrameError(f"unknown stream id {stream}")
                if length > self.max_frame_bytes:
                    raise FrameError(f"a frame of {length} bytes is over the {self.max_frame_bytes}-byte limit")
                end = at + HEADER_BYTES + length
                if len(self._buf) < end:
                    break
                frames.append((stream, bytes(self._buf[at + HEADER_BYTES : end])))
                at = end
        except FrameError as exc:
            self._error = exc
            self._buf = bytearray()
            raise
        del self._buf[:at]
        return frames


class WriteStalledError(TimeoutError):
    """The reader took nothing for the writer's stall limit: the other end is gone or hung."""


class FrameWriter:
    """Writes whole frames to a file descriptor with ``os.write``, from any thread.

    With ``stall_timeout_s`` the descriptor is made non-blocking, and a write that makes
    no progress for that long raises :class:`WriteStalledError` instead of blocking for ever
    on a reader that no longer reads. Any failure (``BrokenPipeError`` when the reader has
    gone) is raised, and every later write raises ``BrokenPipeError`` at once.
    """

    def __init__(self, fd: int, stall_timeout_s: float | None = None) -> None:
        self.fd = fd
        self.stall_timeout_s = stall_timeout_s
        self.broken = False
        self._lock = threading.Lock()
        if stall_timeout_s is not None:
            os.set_blocking(fd, False)

    def write(self, stream: int, payload: bytes) -> None:
        self._write(encode_frame(stream, payload))

    def control(self, obj: dict[str, Any]) -> None:
        self._write(control_frame(obj))

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self.broken:
                raise BrokenPipeError("the frame stream was closed after an earlier failure")
            try:
                self._write_all(memoryview(data))
            except OSError:
                self.broken = True
                raise

    def _write_all(self, view: memoryview) -> None:
        poller = None
        while view:
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                written = 0
            if written:
                view = view[written:]
                continue
            if poller is None:
                poller = select.poll()
                poller.register(self.fd, select.POLLOUT)
            deadline = time.monotonic() + (self.stall_timeout_s or 0.0)
            while not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
                if time.monotonic() >= deadline:
                    raise WriteStalledError(f"nothing was read for {self.stall_timeout_s} s")
