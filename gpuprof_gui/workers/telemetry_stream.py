"""GPU facts and live telemetry of the machine this runs on, sent over the protocol channel.

    python -m gpuprof_gui.workers.telemetry_stream --channel-fd N facts
    python -m gpuprof_gui.workers.telemetry_stream --channel-fd N stream [--hz H]

The app runs it on a remote GPU host through the relay (:mod:`gpuprof_gui.jobs.remote`), where
:mod:`gpuprof_gui.jobs.remote.remote_telemetry` mirrors what it sends into the same ring
buffers the local sampler fills. ``facts``: one ``result`` with ``gpu.specs.device_facts()``.
``stream``: a ``progress`` of phase ``telemetry_start`` (the GPUs, the sampler's ``t0_wall``,
rate and driver), then one of phase ``telemetry`` per tick with the rows that are new
(times in s since the sampler's start, NaN sent as null), until SIGTERM or the channel
closes; then a ``result``. Without a GPU: a ``result`` with ``status: no_gpu`` and the reason.
"""

from __future__ import annotations

import argparse
import math
import signal
import socket
import sys
import threading
from typing import Any

from gpuprof_gui.protocol import CHANNEL_FD_ARG, MsgType
from gpuprof_gui.workers._channel import Channel, open_channel

WORKER_NAME = "telemetry"
EXIT_NO_GPU = 3
SEND_PERIOD_S = 0.1
"""Rows go out ten times a second, whatever the sampling rate: 10 Hz plots see each tick."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="telemetry_stream")
    parser.add_argument(CHANNEL_FD_ARG, dest="channel_fd", type=int, required=True)
    parser.add_argument("verb", choices=("facts", "stream"))
    parser.add_argument("--hz", type=float, default=10.0)
    return parser.parse_args(argv)


def _plain(values: Any, digits: int) -> list[float | None]:
    return [None if math.isnan(v) else round(float(v), digits) for v in values]


def rows_message(snap: dict[str, Any]) -> list[dict[str, Any]]:
    """The new rows of a snapshot as JSON-ready lists: per GPU (by position), per metric, times and values."""
    out = []
    for position, dev in enumerate(snap["devices"]):
        series = {metric: [_plain(t, 4), _plain(v, 3)] for metric, (t, v) in dev["series"].items() if len(t)}
        if series:
            out.append({"position": position, "series": series})
    return out


def stream(channel: Channel, hz: float, stop: threading.Event) -> int:
    from gpuprof_gui.gpu.telemetry import TelemetrySampler

    sampler = TelemetrySampler(hz)
    if not sampler.start():
        channel.send(MsgType.RESULT, status="no_gpu", reason=f"no GPU telemetry: {sampler.reason}")
        return EXIT_NO_GPU
    try:
        from gpuprof_gui.gpu import nvml

        channel.send(
            MsgType.PROGRESS,
            phase="telemetry_start",
            devices=sampler.devices(),
            t0_wall=sampler.t0_wall,
            hz=sampler.hz,
            host=socket.gethostname(),
            driver_version=nvml.query("nvmlSystemGetDriverVersion", kind="driver version"),
        )
        cursor: Any = None
        ticks = 0
        while not stop.wait(SEND_PERIOD_S):
            snap = sampler.snapshot(cursor)
            cursor = snap["cursor"]
            rows = rows_message(snap)
            if rows and not channel.send(MsgType.PROGRESS, phase="telemetry", rows=rows):
                break  # the app has gone
            ticks += 1
    finally:
        sampler.stop()
    channel.send(MsgType.RESULT, status="ok", ticks=ticks, samples=sampler.ticks)
    return 0


def facts(channel: Channel) -> int:
    from gpuprof_gui.gpu.specs import device_facts

    channel.send(MsgType.RESULT, status="ok", facts=device_facts(), host=socket.gethostname())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    channel = open_channel(args.channel_fd, WORKER_NAME)
    if channel is None:
        print("telemetry_stream: --channel-fd is not an open descriptor", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _s, _f: stop.set())
    try:
        return facts(channel) if args.verb == "facts" else stream(channel, args.hz, stop)
    except ImportError as exc:  # NumPy missing on the host, say
        channel.send(
            MsgType.RESULT,
            status="no_gpu",
            reason=f"{exc.name or exc} is not installed for {sys.executable} (Python {sys.version.split()[0]})",
        )
        return EXIT_NO_GPU


if __name__ == "__main__":
    sys.exit(main())
