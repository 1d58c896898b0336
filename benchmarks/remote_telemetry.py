"""Live telemetry over SSH: does it keep its rate, and what does mirroring it cost here?

    python benchmarks/remote_telemetry.py [--seconds S] [--hz H] [--host HOST] [--python PY] [--fake-gpus N]

The host's sampler (``workers/telemetry_stream``) sends new rows ten times a second; this process
mirrors them (``jobs/remote/remote_telemetry``). Without ``--host`` a throwaway OpenSSH server on
127.0.0.1 (tests/remote/sshd.py) is the host, and without a GPU there ``--fake-gpus N`` puts the
tests' fake NVML on the host's path (datasheet numbers, not readings: the figure is the transport's,
which is the same whatever the numbers). Side by side in one run, a local sampler at the same rate
(when this machine has a GPU) is the reference. Prints ONE JSON object: rows per second per GPU as
they arrive here, messages per second, the median gap between rows, and the CPU this process spent
on the mirror (% of one core). Issue 14: live telemetry over SSH keeps 10 Hz.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from gpuprof_gui.gpu.telemetry import TelemetrySampler  # noqa: E402
from gpuprof_gui.jobs.remote.remote_telemetry import RemoteTelemetry  # noqa: E402

FAKE_NVML = REPO_ROOT / "tests" / "remote" / "fake_nvml"


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, TypeError, IndexError, ValueError):
        return 0.0


def _rates(snap: dict) -> dict:
    per_gpu, gaps = [], []
    for dev in snap["devices"]:
        t = dev["series"]["power_w"][0]
        if len(t) > 1:
            per_gpu.append((len(t) - 1) / float(t[-1] - t[0]))
            gaps += list((t[1:] - t[:-1]) * 1e3)
    return {
        "gpus": len(snap["devices"]),
        "rows_per_s_per_gpu": round(min(per_gpu), 2) if per_gpu else None,
        "median_gap_ms": round(statistics.median(gaps), 1) if gaps else None,
        "max_gap_ms": round(max(gaps), 1) if gaps else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hz", type=float, default=10.0)
    parser.add_argument("--host", help="a real host (default: a throwaway sshd on 127.0.0.1)")
    parser.add_argument("--python", help="the host's Python (default python3 there; this one on the loopback host)")
    parser.add_argument("--fake-gpus", type=int, default=0, help="a fake NVML with N GPUs on the host (no GPU there)")
    args = parser.parse_args()
    server, host = None, args.host
    scratch = tempfile.mkdtemp(prefix="gpuprof-telemetry-bench-")
    if host is None:
        from tests.remote.sshd import SshServer, unavailable_reason

        if (why := unavailable_reason()) is not None:
            raise SystemExit(f"no test SSH server: {why}")
        server = SshServer.start(Path(scratch) / "sshd")
        host = server.alias
        os.environ.update(
            GPUPROF_SSH_CONFIG=str(server.config),
            GPUPROF_SSH_CONTROL_DIR=os.path.join(tempfile.gettempdir(), f"gp-tbench-{os.getpid()}"),
        )
    python = args.python or (sys.executable if server is not None else None)
    env = {"PYTHONPATH": str(FAKE_NVML), "GPUPROF_FAKE_GPUS": str(args.fake_gpus)} if args.fake_gpus else None
    local = TelemetrySampler(args.hz)
    has_local = local.start()
    remote = RemoteTelemetry(host, args.hz, python, env)
    remote.start()
    try:
        if not remote.wait_live(120):
            raise SystemExit(f"the host's telemetry did not start: {remote.reason}")
        time.sleep(1.0)  # past the start
        first, first_local = remote.snapshot(), local.snapshot() if has_local else None
        cpu0, relay0 = time.process_time(), _cpu_s(remote.relay_pid)
        wall0, received0 = time.monotonic(), remote.received
        time.sleep(args.seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        relay_cpu = _cpu_s(remote.relay_pid) - relay0
        messages = remote.received - received0
        snap = remote.snapshot(first["cursor"])
        local_snap = local.snapshot(first_local["cursor"]) if first_local else None
    finally:
        remote.stop()
        local.stop()
        if server is not None:
            server.stop()
    figures = _rates(snap)
    print(
        json.dumps(
            {
                "benchmark": "remote_telemetry",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.node()} ({os.cpu_count()} cores, {platform.platform()})",
                "host": "throwaway sshd on 127.0.0.1" if server is not None else host,
                "gpu_source": f"fake NVML, {args.fake_gpus} GPUs" if args.fake_gpus else "the host's NVML",
                "device": snap["devices"][0]["name"] if snap["devices"] else None,
                "hz": args.hz,
                "seconds": args.seconds,
                "remote": figures,
                "messages_per_s": round(messages / wall, 2),
                "local_reference": _rates(local_snap) if local_snap else None,
                "app_cpu_pct_of_a_core": round(100 * cpu / wall, 2),
                "relay_cpu_pct_of_a_core": round(100 * relay_cpu / wall, 2),
                "note": "app CPU: this process (the mirror; the local sampler too when this machine has a GPU); "
                "relay: the process carrying the stream over SSH",
                "target_hz": 10.0,
                "meets_target": bool(figures["rows_per_s_per_gpu"]) and figures["rows_per_s_per_gpu"] >= 0.95 * args.hz,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
