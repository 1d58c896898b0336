"""``gpuprof kernels FILE``: run a kernel-lab candidate file and print its results."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from gpuprof_gui.cli.arg_types import gpu_number, positive_seconds
from gpuprof_gui.cli.host_option import add_host_option, add_host_python_option
from gpuprof_gui.core.lab_model import LabRecord
from gpuprof_gui.exit_codes import ExitStatus

# OK: every candidate that ran is correct at every size (skipped ones say why); FAILED: the run
# finished, but some candidate is wrong, failed or timed out; USAGE: bad command line or unreadable
# candidate file; UNAVAILABLE: no CuPy, no driver or no GPU (the one-line reason goes to stderr).

VERB = "kernels"

_COLUMNS = (
    ("candidate", "{:<20}", 20),
    ("kind", "{:<11}", 11),
    ("size", "{:>10}", 10),
    ("status", "{:<9}", 9),
    ("rel_err", "{:>8}", 8),
    ("median_ms", "{:>10}", 10),
    ("p10_ms", "{:>9}", 9),
    ("p90_ms", "{:>9}", 9),
    ("GB/s", "{:>8}", 8),
    ("GFLOP/s", "{:>9}", 9),
    ("%peak", "{:>6}", 6),
    ("xCPU", "{:>8}", 8),
    ("xCPU+io", "{:>8}", 8),
)


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        VERB,
        help="check and time the candidate kernels of a lab file on the GPU",
        description="Compile each candidate, check it against the NumPy "
        "reference, time it with CUDA events and print one result per "
        f"candidate and size. Exit {ExitStatus.OK}: all correct; {ExitStatus.FAILED}: "
        f"some candidate failed; {ExitStatus.USAGE}: bad file; {ExitStatus.UNAVAILABLE}: "
        "no GPU or no CuPy.",
    )
    p.add_argument("file", help="candidate file (e.g. resources/examples/kernels/saxpy.py)")
    p.add_argument("--size", type=int, action="append", default=[], help="problem size (repeatable)")
    p.add_argument("--candidate", action="append", default=[], help="only this candidate (repeatable)")
    p.add_argument("--json", action="store_true", help="print a JSON list of result records")
    p.add_argument(
        "--timeout",
        type=positive_seconds,
        default=None,
        metavar="S",
        help="seconds one candidate may take at one size before its worker is killed",
    )
    p.add_argument("--output-dir", default=None, help="keep the full results JSON here")
    p.add_argument(
        "--gpu",
        type=gpu_number,
        default=None,
        metavar="N",
        help="the GPU to run on, numbered as `gpuprof devices` lists them (default: GPU 0)",
    )
    add_host_option(p)
    add_host_python_option(p)


def _fmt(value, spec: str = "{:.3g}") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return spec.format(value)


def format_row(rec: LabRecord) -> str:
    cells = (
        rec.candidate,
        rec.kind,
        str(rec.size),
        rec.status,
        _fmt(rec.max_rel_err, "{:.1e}"),
        _fmt(rec.median_ms, "{:.4f}"),
        _fmt(rec.p10_ms, "{:.4f}"),
        _fmt(rec.p90_ms, "{:.4f}"),
        _fmt(rec.gbps, "{:.1f}"),
        _fmt(rec.gflops, "{:.1f}"),
        _fmt(rec.pct_of_peak, "{:.0f}"),
        _fmt(rec.speedup_vs_cpu, "{:.1f}"),
        _fmt(rec.speedup_vs_cpu_with_transfers, "{:.2f}"),
    )
    return " ".join(fmt.format(str(c)[:width]) for c, (_, fmt, width) in zip(cells, _COLUMNS, strict=True))


def header() -> str:
    return " ".join(fmt.format(name) for name, fmt, _ in _COLUMNS)


def run(args: argparse.Namespace) -> int:
    from gpuprof_gui.jobs.lab_runner import CANDIDATE_TIMEOUT_S, LabRunSpec, cupy_missing_reason, run_lab

    if args.output_dir:
        from gpuprof_gui.core.atomic import WriteError, check_folder

        try:
            check_folder(args.output_dir)  # before any GPU work: a read-only or missing-under-a-file folder
        except WriteError as exc:
            print(f"gpuprof kernels: --output-dir: {exc}", file=sys.stderr)
            return ExitStatus.USAGE
    if args.python and not args.host:
        print(
            "gpuprof kernels: --python needs --host HOST (here the lab runs in gpuprof's own Python).", file=sys.stderr
        )
        return ExitStatus.USAGE
    reason = cupy_missing_reason() if not args.host else None  # a host's worker says for itself
    if reason is not None:
        print(f"gpuprof kernels: no GPU lab here: {reason}", file=sys.stderr)
        return ExitStatus.UNAVAILABLE
    spec = LabRunSpec(
        path=args.file,
        sizes=args.size,
        candidates=args.candidate,
        candidate_timeout_s=args.timeout or CANDIDATE_TIMEOUT_S,
        output_dir=args.output_dir,
        host=args.host,
        python=args.python,
        gpu=args.gpu,
    )
    errors: list[LabRecord] = []
    shown: list[LabRecord] = []

    def show(rec: LabRecord) -> None:
        if not args.json:
            if not shown:
                print(header(), flush=True)
            print(format_row(rec), flush=True)
        shown.append(rec)
        if rec.error:
            errors.append(rec)

    cancel = threading.Event()
    try:
        outcome = run_lab(spec, on_record=show, cancel=cancel)
    except KeyboardInterrupt:
        return ExitStatus.CANCELLED
    if outcome.status == "no_gpu":
        where = "there" if args.host else "here"
        print(f"gpuprof kernels: no GPU lab {where}: {outcome.message}", file=sys.stderr)
        return ExitStatus.UNAVAILABLE
    if outcome.status == "error" and outcome.run is None:
        print(f"gpuprof kernels: {outcome.message}", file=sys.stderr)
        return ExitStatus.UNAVAILABLE if args.host and outcome.remote_failure else ExitStatus.USAGE
    records = outcome.run.records if outcome.run else []
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=1))
    else:
        for rec in errors:
            print(f"\n{rec.candidate} @ {rec.size}: {rec.error}")
        dev = outcome.run.device if outcome.run else None
        if dev and dev.name:
            print(
                f"\n{dev.name}: copy {_fmt(dev.copy_gbps, '{:.0f}')} GB/s measured, "
                f"{dev.peak_bandwidth_gbps:.0f} GB/s and {dev.peak_gflops():.0f} GFLOP/s (FP32) theoretical"
            )
        print(f"results: {outcome.results_path}")
    if outcome.status == "cancelled":
        return ExitStatus.CANCELLED
    if outcome.status == "error":
        print(f"gpuprof kernels: {outcome.message}", file=sys.stderr)
        return ExitStatus.USAGE
    return ExitStatus.OK if outcome.run is not None and outcome.run.all_correct else ExitStatus.FAILED


def main(argv: list[str] | None = None) -> int:
    """``python -m gpuprof_gui.cli.kernels FILE ...``: the same as ``gpuprof kernels FILE ...``."""
    from gpuprof_gui.cli import main as gpuprof

    return gpuprof([VERB, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
