"""``gpuprof devices --host H`` and ``gpuprof monitor --host H [--host H2 ...]``: GPUs of remote hosts.

The facts come from the host's own NVML (a worker run there through SSH, :mod:`gpuprof_gui.jobs.remote`),
the measured copy bandwidth from the kernel worker there; the telemetry of each host is sampled
there and mirrored here (:class:`~gpuprof_gui.jobs.remote.remote_telemetry.RemoteTelemetry`),
every GPU labelled with its host.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from gpuprof_gui.exit_codes import ExitStatus

LIVE_WAIT_S = 60.0
"""How long ``monitor`` waits for the hosts to name their GPUs (a first connection, a cold Python there)."""


def run_remote_devices(hosts: list[str], python: str | None, as_json: bool, measure: bool, out: TextIO) -> int:
    from gpuprof_gui.cli.devices import fill_measured_copy, format_device
    from gpuprof_gui.jobs.remote.remote_telemetry import host_facts

    everything: list[dict[str, Any]] = []
    for host in hosts:
        facts = host_facts(host, python)
        for dev in facts["devices"]:
            dev["host"] = host
        if measure and facts["devices"]:
            fill_measured_copy(facts["devices"], host=host, python=python)
        everything.append(facts)
    if as_json:
        merged = {
            "devices": [dev for facts in everything for dev in facts["devices"]],
            "reason": "; ".join(str(f["reason"]) for f in everything if f.get("reason")) or None,
            "hosts": [{"host": f["host"], "gpus": len(f["devices"]), "reason": f.get("reason")} for f in everything],
        }
        json.dump(merged, out, indent=2)
        out.write("\n")
    else:
        for facts in everything:
            out.write(f"== {facts['host']} ==\n")
            if not facts["devices"]:
                out.write(f"No GPU: {facts['reason']}\n")
            for dev in facts["devices"]:
                out.write(format_device(dev))
    reachable = [f for f in everything if f["devices"] or not _unreachable(f)]
    return ExitStatus.OK if reachable else ExitStatus.UNAVAILABLE


def _unreachable(facts: dict[str, Any]) -> bool:
    """True when the host itself could not be used (as opposed to a host that has no GPU)."""
    return bool(facts.get("unreachable"))


def remote_sampler(hosts: list[str], hz: float, python: str | None) -> Any:
    """The hosts' telemetry as one source (None, having said why on stderr, when no host can be sampled)."""
    from gpuprof_gui.gpu.telemetry_merge import MergedTelemetry
    from gpuprof_gui.jobs.remote.remote_telemetry import RemoteTelemetry

    sources = [RemoteTelemetry(host, hz, python) for host in hosts]
    for source in sources:
        source.start()
    live = []
    for source in sources:
        if source.wait_live(LIVE_WAIT_S):
            live.append(source)
        else:
            source.stop()
            why = source.reason or f"no answer within {LIVE_WAIT_S:g} s"
            sys.stderr.write(f"gpuprof monitor: {source.host}: {why}\n")
    if not live:
        return None
    names = ", ".join(f"{s.host} ({len(s.devices())} GPU{'s' if len(s.devices()) != 1 else ''})" for s in live)
    sys.stderr.write(f"gpuprof monitor: sampling {names} at {live[0].hz:g} Hz\n")
    return MergedTelemetry([(s.host, s) for s in live])
