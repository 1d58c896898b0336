"""``gpuprof devices`` (device facts) and ``gpuprof monitor`` (live telemetry) for the command line.

Verbs of the table in ``cli/__init__.py``; no Qt, no CUDA context. With ``--host`` (repeatable) the
facts come from each host's own NVML, the measured copy bandwidth from the kernel worker there, and
the telemetry is sampled there and mirrored here (:mod:`gpuprof_gui.jobs.remote.remote_telemetry`),
every GPU labelled with its host.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any, TextIO

from gpuprof_gui.cli.host_option import add_host_option, add_host_python_option
from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.gpu.gpu_channel import METRIC_INFO, POLLED_METRICS, UTIL_METRICS
from gpuprof_gui.gpu.install_hint import install_hint
from gpuprof_gui.gpu.specs import device_facts
from gpuprof_gui.gpu.telemetry import DEFAULT_HZ, MAX_HZ, TelemetrySampler
from gpuprof_gui.gpu.trace_io import save_trace

DEFAULT_MONITOR_S = 10.0
TEXT_REFRESH_S = 1.0  # the text table prints a row per GPU each second: readable, unlike 10 rows/s
TEXT_HEADER_EVERY = 20  # rows between repeated column headers

_FIGURE_ROWS = (  # (key, label) of the figures the text form shows, in order
    ("sm_count", "SMs"),
    ("fp32_cores_per_sm", "FP32 cores/SM"),
    ("max_sm_clock_mhz", "max SM clock"),
    ("max_memory_clock_mhz", "max memory clock"),
    ("memory_bus_width_bits", "memory bus"),
    ("memory_total_mib", "memory"),
    ("peak_fp32_gflops", "peak FP32"),
    ("peak_fp64_gflops", "peak FP64"),
    ("peak_memory_gbps", "peak memory bandwidth"),
    ("pcie_max_gbps", "PCIe (max link)"),
    ("pcie_current_gbps", "PCIe (current link)"),
)


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    """Register the ``devices`` and ``monitor`` verbs on cli.py's subparsers."""
    dev = verbs.add_parser("devices", help="show every GPU's facts and theoretical peaks")
    dev.add_argument("--json", action="store_true", help='print {"devices": [...], "reason": ...}')
    dev.add_argument(
        "--no-measure",
        action="store_true",
        help="skip measuring each GPU's device-to-device copy bandwidth (about 1 s per GPU)",
    )
    add_host_option(dev, several=True)
    add_host_python_option(dev)
    mon = verbs.add_parser("monitor", help="sample GPU telemetry (utilisation, power, clocks, ...)")
    mon.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_MONITOR_S,
        metavar="S",
        help=f"how long to sample (default {DEFAULT_MONITOR_S:g}; 0 = until Ctrl-C)",
    )
    mon.add_argument(
        "--hz",
        type=float,
        default=DEFAULT_HZ,
        metavar="H",
        help=f"polling rate (default {DEFAULT_HZ:g}, at most {MAX_HZ:g})",
    )
    mon.add_argument("--json", action="store_true", help="print one JSON object per sample")
    mon.add_argument("--output", metavar="TRACE.json", help="save the samples as a telemetry trace")
    add_host_option(mon, several=True)
    add_host_python_option(mon)


def run(args: argparse.Namespace) -> int:
    """Run ``devices`` or ``monitor``; the exit status."""
    hosts = list(args.host or [])
    if args.python and not hosts:
        print(f"gpuprof {args.verb}: --python needs --host HOST.", file=sys.stderr)
        return ExitStatus.USAGE
    if args.verb == "devices":
        return run_devices(args.json, measure=not args.no_measure, hosts=hosts, python=args.python)
    return run_monitor(args.seconds, args.hz, args.json, args.output, hosts=hosts, python=args.python)


# ---- devices --------------------------------------------------------------
def run_devices(
    as_json: bool,
    out: TextIO = sys.stdout,
    measure: bool = True,
    hosts: list[str] | None = None,
    python: str | None = None,
) -> int:
    if hosts:
        return run_remote_devices(hosts, python, as_json, measure, out)
    facts = device_facts()
    if measure:
        fill_measured_copy(facts["devices"])
    if as_json:
        json.dump(facts, out, indent=2)
        out.write("\n")
        return ExitStatus.OK
    if not facts["devices"]:
        out.write(f"No GPU: {facts['reason']}\n")
        return ExitStatus.OK
    for dev in facts["devices"]:
        out.write(format_device(dev))
    hint = install_hint()
    if hint:
        out.write(f"CuPy (needed by the kernel lab) is not installed: {hint}\n")
    return ExitStatus.OK


def fill_measured_copy(devices: list[dict[str, Any]], host: str | None = None, python: str | None = None) -> None:
    """The practical bandwidth ceiling: a measured D2D copy per GPU, in the kernel worker (needs CuPy)."""
    from gpuprof_gui.jobs.lab_runner import measure_copy_gbps

    for dev in devices:
        gbps = measure_copy_gbps(int(dev["index"]), host=host, python=python)
        dev["measured_copy_gbps"] = (
            None
            if gbps is None
            else {
                "value": gbps,
                "unit": "GB/s",
                "formula": "measured: 2 × bytes / median time of a device-to-device cudaMemcpy (read + write)",
            }
        )


def _format_value(fig: dict[str, Any]) -> str:
    value, unit = fig["value"], fig["unit"]
    if value is None:
        return "unknown"
    if unit == "GFLOP/s":
        return f"{value / 1e3:,.1f} TFLOP/s"
    if isinstance(value, float):
        return f"{value:,.1f} {unit}"
    return f"{value:,} {unit}"


def format_device(dev: dict[str, Any]) -> str:
    """One GPU as a readable block: each figure with the formula behind it."""
    lines = [
        f"GPU {dev['index']}: {dev['name']}  (compute capability {dev['compute_capability']}, {dev['architecture']})",
        f"  uuid {dev['uuid']}  PCI {dev['pci_bus_id']}  driver {dev['driver_version']}  "
        f"CUDA {dev['cuda_driver_version']}",
    ]
    for key, label in _FIGURE_ROWS:
        fig = dev[key]
        lines.append(f"  {label:<22} {_format_value(fig):>18}   {fig['formula']}")
    copy = dev.get("measured_copy_gbps")
    if isinstance(copy, dict):
        lines.append(f"  {'measured D2D copy':<22} {_format_value(copy):>18}   {copy['formula']}")
    cur, top = dev["pcie_current"], dev["pcie_max"]
    lines.append(
        f"  {'PCIe link':<22} {'':>18}   current gen {cur['generation']} x{cur['width']}, "
        f"max gen {top['generation']} x{top['width']}"
    )
    return "\n".join(lines) + "\n\n"


# ---- monitor --------------------------------------------------------------
def run_monitor(
    seconds: float,
    hz: float,
    as_json: bool,
    output: str | None,
    out: TextIO = sys.stdout,
    hosts: list[str] | None = None,
    python: str | None = None,
) -> int:
    if not hz > 0:
        sys.stderr.write("gpuprof monitor: --hz must be positive\n")
        return ExitStatus.USAGE
    sampler: Any
    if hosts:
        sampler = remote_sampler(hosts, hz, python)
        if sampler is None:
            return ExitStatus.UNAVAILABLE
    else:
        sampler = TelemetrySampler(hz)
        if not sampler.start():
            sys.stderr.write(f"gpuprof monitor: no GPU to sample: {sampler.reason}\n")
            return ExitStatus.UNAVAILABLE  # as `gpuprof kernels` without a GPU: nothing to measure
    cursor: Any = None
    period_s = 1.0 / sampler.hz if as_json else TEXT_REFRESH_S
    deadline = time.monotonic() + seconds if seconds > 0 else math.inf
    rows_printed = 0
    try:
        while time.monotonic() < deadline:
            time.sleep(min(period_s, max(0.0, deadline - time.monotonic())))
            snap = sampler.snapshot(cursor)
            cursor = snap["cursor"]
            if as_json:
                _write_json_lines(snap, out)
            else:
                rows_printed = _write_table_rows(snap, rows_printed, out)
            out.flush()
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or `gpuprof monitor --json | head`
        pass
    finally:
        sampler.stop()
    if output:
        save_trace(sampler.trace_dict(), output)
        sys.stderr.write(f"gpuprof monitor: trace saved to {output}\n")
    return ExitStatus.OK


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 3)


def _write_json_lines(snap: dict[str, Any], out: TextIO) -> None:
    for dev in snap["devices"]:
        series = dev["series"]
        times = series[POLLED_METRICS[0]][0]
        for i, t in enumerate(times):
            row = {"type": "sample", "gpu": dev.get("host_index", dev["index"]), "t_s": round(float(t), 4)}
            if "host" in dev:
                row["host"] = dev["host"]
            row.update({m: _clean(series[m][1][i]) for m in POLLED_METRICS})
            out.write(json.dumps(row) + "\n")
        for metric in UTIL_METRICS:  # the driver's own time-stamped samples, as they arrive
            for t, v in zip(*series[metric], strict=False):
                out.write(
                    json.dumps(
                        {
                            "type": "utilization",
                            **({"host": dev["host"]} if "host" in dev else {}),
                            "gpu": dev.get("host_index", dev["index"]),
                            "t_s": round(float(t), 4),
                            "metric": metric,
                            "value": _clean(v),
                        }
                    )
                    + "\n"
                )


_TABLE_COLUMNS = (
    "gpu_util_pct",
    "mem_util_pct",
    "memory_used_mib",
    "power_w",
    "sm_clock_mhz",
    "mem_clock_mhz",
    "temperature_c",
    "pcie_rx_mbps",
    "pcie_tx_mbps",
)


def _write_table_rows(snap: dict[str, Any], printed: int, out: TextIO) -> int:
    if printed % TEXT_HEADER_EVERY == 0:
        out.write(
            f"{'t (s)':>7} {'gpu':>3} "
            + " ".join(f"{METRIC_INFO[m][1] + ' ' + m.split('_')[0]:>11}" for m in _TABLE_COLUMNS)
            + "\n"
        )
    for dev in snap["devices"]:
        series = dev["series"]
        t = series[POLLED_METRICS[0]][0]
        latest = {m: (series[m][1][-1] if len(series[m][1]) else math.nan) for m in _TABLE_COLUMNS}
        stamp = f"{t[-1]:7.1f}" if len(t) else f"{'-':>7}"
        gpu = f"{dev['host']}:{dev.get('host_index', 0)}" if "host" in dev else str(dev["index"])
        out.write(
            f"{stamp} {gpu:>3} "
            + " ".join(f"{'-' if math.isnan(v) else format(v, ',.0f'):>11}" for v in latest.values())
            + "\n"
        )
        printed += 1
    return printed


# ---- remote hosts (--host): the facts and telemetry of their GPUs, through SSH --------------------
LIVE_WAIT_S = 60.0
"""How long ``monitor`` waits for the hosts to name their GPUs (a first connection, a cold Python there)."""


def run_remote_devices(hosts: list[str], python: str | None, as_json: bool, measure: bool, out: TextIO) -> int:
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
            if not facts["devices"]:  # a host that could not be used is not a host without a GPU
                out.write(f"{'Not reached' if facts.get('unreachable') else 'No GPU'}: {facts['reason']}\n")
            for dev in facts["devices"]:
                out.write(format_device(dev))
    # A host without a GPU is an answer; only hosts that could not be used at all make it UNAVAILABLE.
    answered = [f for f in everything if f["devices"] or not f.get("unreachable")]
    return ExitStatus.OK if answered else ExitStatus.UNAVAILABLE


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
