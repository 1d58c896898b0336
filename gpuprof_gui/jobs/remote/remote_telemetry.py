"""Live GPU telemetry of a remote host: its sampler's rows, mirrored into rings here.

The host runs :mod:`gpuprof_gui.workers.telemetry_stream` through the relay (one SSH
channel on the host's master connection). :class:`RemoteTelemetry` reads like the local
:class:`gpuprof_gui.gpu.telemetry.TelemetrySampler` (``snapshot(since)``, ``devices()``,
``trace_dict()``), so the plots and the trace files do not know the difference.

``start()`` returns at once; ``state`` is ``connecting``, then ``live`` once the host has
named its GPUs, or ``failed`` with ``reason`` (one sentence: no such host, no GPU there,
the connection lost...). Times: the host's sampler sends seconds since its own start and
its wall clock at that start; here that start is placed on this process's monotonic clock
through the wall clocks of both machines (they agree to NTP's accuracy).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from gpuprof_gui.gpu.gpu_channel import POLLED_METRICS, UTIL_METRICS
from gpuprof_gui.gpu.telemetry_rings import DEFAULT_HZ, MAX_HZ, TelemetryRings
from gpuprof_gui.jobs.outcome import OutcomeTracker
from gpuprof_gui.jobs.remote import remote_run
from gpuprof_gui.protocol import CHANNEL_FD_ARG, MsgType

STREAM_MODULE = "gpuprof_gui.workers.telemetry_stream"
STOP_WAIT_S = 3.0
"""How long ``stop()`` waits for the host's sampler to end before leaving it to the relay."""


class _StreamTracker(OutcomeTracker):
    def __init__(self, owner: RemoteTelemetry) -> None:
        super().__init__("telemetry")
        self.owner = owner

    def feed(self, msg: dict) -> None:
        super().feed(msg)
        if msg.get("type") == MsgType.PROGRESS:
            self.owner.take(msg)


class RemoteTelemetry(TelemetryRings):
    """The telemetry of every GPU of ``host``, sampled there at ``hz`` and mirrored here."""

    def __init__(
        self, host: str, hz: float = DEFAULT_HZ, python: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(min(float(hz), MAX_HZ))
        self.host = host
        self.python = python
        self.env = dict(env or {})  # for the sampler on the host (tests give it a fake NVML this way)
        self.state = "connecting"
        self.reason = None
        self.received = 0  # telemetry messages taken (tests and the benchmark read it)
        self.relay_pid: int | None = None  # the relay process carrying the stream (the benchmark reads its CPU)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return self.state == "live" and bool(self._infos)

    def start(self) -> bool:
        """Connect and start sampling on the host, in the background (see ``state``)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"telemetry-{self.host}", daemon=True)
            self._thread.start()
        return True

    def stop(self, timeout_s: float = STOP_WAIT_S) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self.state in ("connecting", "live"):
            self.state = "stopped"

    def wait_live(self, timeout_s: float) -> bool:
        """Block until the host's GPUs are known (True) or the start failed or timed out (False)."""
        deadline = time.monotonic() + timeout_s
        while self.state == "connecting" and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.state == "live"

    def _run(self) -> None:
        job = remote_run.worker_job(
            self.host,
            STREAM_MODULE,
            [CHANNEL_FD_ARG, "{channel_fd}", "stream", "--hz", f"{self.hz:g}"],
            None,
            python=self.python,
            env=self.env,
            min_version=remote_run.GPU_STACK_MIN_VERSION,
        )
        tracker = _StreamTracker(self)
        outcome = remote_run.supervise_remote(
            job, tracker, cancel=self._cancel, on_stdout=lambda _d: None, on_started=self._started
        )
        result = tracker.result or {}
        if result.get("status") == "no_gpu":
            self.state, self.reason = "failed", f"{self.host}: {result.get('reason')}"
        elif self._cancel.is_set():
            self.state = "stopped"
        else:
            self.state = "failed"
            self.reason = outcome.message if outcome.status != "finished" else f"{self.host}: the sampler ended"

    def _started(self, pid: int) -> None:
        self.relay_pid = pid

    # ---- the host's messages (the relay's reader thread) -------------------
    def take(self, msg: dict[str, Any]) -> None:
        phase = msg.get("phase")
        if phase == "telemetry_start":
            t0_wall = float(msg.get("t0_wall") or time.time())
            self.t0 = time.monotonic() - (time.time() - t0_wall)  # the host's start, on this clock
            self.t0_wall = t0_wall
            self.hz = float(msg.get("hz") or self.hz)
            self.driver_version = msg.get("driver_version")
            for info in msg.get("devices") or []:
                if isinstance(info, dict):
                    self.add_device({k: info.get(k) for k in ("index", "name", "uuid", "util_source")})
            self.state = "live"
        elif phase == "telemetry" and self.state == "live":
            self.received += 1
            for entry in msg.get("rows") or []:
                self._take_rows(entry)

    def _take_rows(self, entry: dict[str, Any]) -> None:
        position = entry.get("position")
        if not isinstance(position, int) or not 0 <= position < len(self._infos):
            return
        series = entry.get("series") or {}
        polled = [series.get(m) for m in POLLED_METRICS]
        times = polled[0][0] if polled[0] else []
        for row_index, t in enumerate(times):
            row = [_value(p[1], row_index) if p else float("nan") for p in polled]
            self.append_polled(position, self.t0 + float(t), row)
        for metric in UTIL_METRICS:
            pairs = series.get(metric)
            if pairs:
                for t, v in zip(pairs[0], pairs[1], strict=False):
                    self.append_util(position, metric, self.t0 + float(t), float("nan") if v is None else float(v))


def _value(values: list[Any], index: int) -> float:
    v = values[index] if index < len(values) else None
    return float("nan") if v is None else float(v)


def host_facts(host: str, python: str | None = None, timeout_s: float = 120.0) -> dict[str, Any]:
    """``gpu.specs.device_facts()`` as the host reports it: ``{"devices", "reason", "host"}``."""
    job = remote_run.worker_job(
        host,
        STREAM_MODULE,
        [CHANNEL_FD_ARG, "{channel_fd}", "facts"],
        None,
        python=python,
        min_version=remote_run.GPU_STACK_MIN_VERSION,
    )
    tracker = OutcomeTracker("telemetry", timeout_s)
    outcome = remote_run.supervise_remote(job, tracker, timeout_s=timeout_s, on_stdout=lambda _d: None)
    result = tracker.result or {}
    if result.get("status") == "ok" and isinstance(result.get("facts"), dict):
        facts = result["facts"]
        reason = f"{host}: {facts['reason']}" if facts.get("reason") else None
        return {**facts, "reason": reason, "host": host, "unreachable": False}
    reason = result.get("reason") or (tracker.error or {}).get("message") or outcome.message
    unreachable = result.get("status") != "ok" and result.get("status") != "no_gpu"
    return {"devices": [], "reason": f"{host}: {reason}", "host": host, "unreachable": unreachable}
