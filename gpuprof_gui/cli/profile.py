"""``gpuprof profile SCRIPT`` (run it under a profiler, print its hotspots) and ``gpuprof open FILE``.

numpy and the importers are loaded while the profiled script runs, so they add
nothing to the wall time; nothing else of the package is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable
from typing import Any

from gpuprof_gui.cli.arg_types import positive_count, positive_seconds
from gpuprof_gui.cli.host_option import add_host_option
from gpuprof_gui.cli.python_option import add_python_option, chosen_python
from gpuprof_gui.exit_codes import ExitStatus, exit_status_help
from gpuprof_gui.jobs.runner import RunOutcome, RunSpec, open_profile_safely, run_profile
from gpuprof_gui.protocol import GPU_TELEMETRY_SUFFIX, GPU_TRACE_SUFFIX, PROFILERS, STACKS_SUFFIX

DEFAULT_TOP = 20  # rows in the printed table: a screenful

EPILOG = (
    exit_status_help()
    + """

examples:
  gpuprof profile slow.py -- --size 1000
  gpuprof profile --profiler scalene --json slow.py > hotspots.json
  gpuprof open profile.prof
"""
)


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    prof = verbs.add_parser(
        "profile",
        help="run a script under a profiler and print its hotspots",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    prof.add_argument("script", help="the Python script to run")
    prof.add_argument("args", nargs="*", help="arguments for the script (put options after --)")
    prof.add_argument(
        "--profiler",
        choices=PROFILERS,
        default="cprofile",
        help="cprofile: exact counts and times; scalene: lines, memory; py-spy: sampled real stacks, child processes",
    )
    prof.add_argument("--native", action="store_true", help="py-spy: native (C/C++) frames too")
    prof.add_argument("--cpu-only", action="store_true", help="Scalene: skip memory profiling")
    prof.add_argument(
        "--gpu-trace",
        action="store_true",
        help="cProfile: also trace the GPU (kernels, copies, syncs, CUDA calls; needs CUPTI: pip install cupti-python)",
    )
    prof.add_argument("--timeout", type=positive_seconds, metavar="S", help="stop the script after S seconds")
    prof.add_argument("--output", metavar="PATH", help="keep the raw profile (.prof or Scalene .json) here")
    add_python_option(prof)
    add_host_option(prof, on_host=True)
    _add_output_options(prof)
    opener = verbs.add_parser(
        "open",
        help="print the hotspots of an existing profile or session file",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    opener.add_argument(
        "file",
        help=".prof (cProfile), Scalene .json, folded stacks, a gpuprof .json, or a session / advisor session file",
    )
    _add_output_options(opener)


def _add_output_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    sub.add_argument(
        "--top",
        type=positive_count,
        metavar="N",
        help=f"show the N heaviest functions (table default {DEFAULT_TOP}, JSON default all)",
    )


def run(ns: argparse.Namespace) -> int:
    return cmd_profile(ns) if ns.verb == "profile" else cmd_open(ns)


def _preload_analysis() -> threading.Thread:
    """Import numpy and the importers while the script runs (the parent is idle then)."""

    def load() -> None:
        import gpuprof_gui.core.hotspots
        import gpuprof_gui.core.importers  # noqa: F401

    thread = threading.Thread(target=load, name="gpuprof-preload", daemon=True)
    thread.start()
    return thread


def _hotspots(profile, top: int | None) -> list[dict]:
    from gpuprof_gui.core.hotspots import hotspot_rows

    rows = sorted(hotspot_rows(profile), key=lambda r: -r["self_s"])
    return rows[:top] if top is not None else rows


def format_table(rows: list[dict], unit: str = "s") -> str:
    """Aligned text table of hotspot rows (heaviest first)."""
    from gpuprof_gui.core.fmt import format_count, format_pct, format_time, short_path

    def amount(x: float) -> str:
        return format_time(x) if unit == "s" else f"{x:,.0f}"

    head = ("self", "self %", "total", "calls", "function", "location")
    body = [
        (
            amount(r["self_s"]),
            format_pct(r["self_pct"]),
            amount(r["total_s"]),
            format_count(r["calls"]),
            r["name"],
            short_path(f"{r['file']}:{r['line']}", 50) if r["file"] else "<built-in>",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    right = (True, True, True, True, False, False)  # numbers right-aligned

    def line(cells) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, body)])


def _json_rows(rows: list[dict]) -> list[dict]:
    keys = ("name", "file", "line", "calls", "self_s", "total_s", "self_pct", "total_pct")
    return [{k: r.get(k) for k in keys} for r in rows]


def _emit(doc: dict, rows: list[dict], as_json: bool, unit: str) -> None:
    if as_json:
        doc["hotspots"] = _json_rows(rows)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    elif rows:
        sys.stdout.write(format_table(rows, unit) + "\n")
    sys.stdout.flush()


def output_problem(target: str) -> str | None:
    """Why the raw profile cannot be kept at ``target`` (one sentence), or None; checked before the run.

    A missing folder is made when the profile is kept, so it is checked where it would be made.
    """
    from gpuprof_gui.core.atomic import WriteError, check_folder, write_target

    folder = os.path.dirname(os.path.abspath(target))
    try:
        if os.path.lexists(folder) or os.path.islink(target):
            write_target(target)
            for suffix in KEPT_BESIDE:
                write_target(target + suffix)
        else:
            check_folder(folder)
    except WriteError as exc:
        return exc.sentence
    return None


KEPT_BESIDE = {
    STACKS_SUFFIX: "call-path samples",
    GPU_TRACE_SUFFIX: "GPU trace",
    GPU_TELEMETRY_SUFFIX: "GPU telemetry",
}
"""Files a run writes beside its profile, and what they are called in a message."""


def _keep_output(outcome: RunOutcome, target: str) -> tuple[str | None, str | None]:
    """Copy the raw profile over ``target`` atomically: (the profile's path, what went wrong or None).

    On any failure the file at ``target`` is untouched and the profile stays in its run folder.
    """
    from gpuprof_gui.core.atomic import copy_file, describe_os_error

    src = outcome.profile_path
    if not src:
        return None, None
    try:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        copy_file(src, target, prefix=".gpuprof-profile-")
    except OSError as exc:
        return src, f"the profile was not kept at {target} ({describe_os_error(exc)}); it is still at {src}."
    # The sampled stacks that split cProfile's call paths, and a GPU trace with its telemetry, travel
    # with the dump; stale ones beside an earlier profile at the target would describe another run.
    problem = None
    for suffix in KEPT_BESIDE:
        made, kept = src + suffix, target + suffix
        try:
            if os.path.exists(made):
                copy_file(made, kept, prefix=".gpuprof-profile-")
                os.unlink(made)
            elif os.path.isfile(kept):
                os.unlink(kept)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(kept)
            problem = f"its {KEPT_BESIDE[suffix]} were not kept ({describe_os_error(exc)}); they are still at {made}."
    with contextlib.suppress(OSError):
        os.unlink(src)
    return os.path.abspath(target), problem


def _write_to(stream) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        stream.buffer.write(data)
        stream.buffer.flush()

    return write


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""A `kill` or a closed terminal: the run stops, and the message says it came from outside."""


_stop_signals_received: list[int] = []


def _stop_handler(stop: threading.Event) -> Callable[[int, Any], None]:
    """Ctrl-C, SIGTERM and SIGHUP only set ``stop``, which the supervisor polls.

    Raising KeyboardInterrupt from the handler instead could land between reading a
    chunk of the script's output and writing it out, and that chunk would be lost.
    """

    def handler(signum: int, frame: Any) -> None:
        if signum in _STOP_SIGNALS:
            _stop_signals_received.append(signum)
        stop.set()

    return handler


def _say_who_stopped(outcome: RunOutcome) -> str:
    """A run stopped by a `kill` or a closed terminal was not cancelled by the user: say so."""
    if outcome.status != "cancelled" or not _stop_signals_received:
        return outcome.message
    name = signal.Signals(_stop_signals_received[0]).name
    return outcome.message.replace("Cancelled after", f"Stopped by a signal from outside ({name}) after", 1)


def cmd_profile(ns: argparse.Namespace) -> int:
    """The script's own nonzero status when it had one and a profile was made; else an ExitStatus."""
    if ns.output:
        problem = output_problem(ns.output)
        if problem is not None:
            print(f"gpuprof profile: {problem}", file=sys.stderr)
            return ExitStatus.USAGE
    if ns.gpu_trace and ns.profiler != "cprofile":
        print(f"gpuprof profile: {GPU_TRACE_PROFILER_NOTE}", file=sys.stderr)
        return ExitStatus.USAGE
    if ns.on_host and not ns.host:
        print("gpuprof profile: --on-host needs --host HOST.", file=sys.stderr)
        return ExitStatus.USAGE
    if stdin_has_data():
        print(STDIN_NOTE, file=sys.stderr)
    if ns.host:  # the host's Python: python3 there unless a path on the host is named
        python = None if ns.python in ("auto", "app") else ns.python
        python_record: dict[str, Any] = {"path": python or "python3", "reason": f"on {ns.host}", "version": None}
    else:
        python, python_record = chosen_python(ns.script, ns.python, "gpuprof profile")
    spec = RunSpec(
        python=python,
        script=ns.script,
        args=list(ns.args),
        profiler=ns.profiler,
        timeout_s=ns.timeout,
        scalene_cpu_only=ns.cpu_only,
        pyspy_native=ns.native,
        gpu_trace=ns.gpu_trace,
        host=ns.host,
        on_host=ns.on_host,
    )
    preload = _preload_analysis()
    # The worker runs in its own session: Ctrl-C, a `kill` or a closed terminal reaches
    # only us, and each becomes a clean cancel (the partial profile still comes back).
    _stop_signals_received.clear()
    stop = threading.Event()
    handler = _stop_handler(stop)
    previous = {sig: signal.signal(sig, handler) for sig in (*_STOP_SIGNALS, signal.SIGINT)}
    try:
        # With --json, stdout carries only our document; the script's output goes to stderr.
        outcome = run_profile(
            spec,
            on_stdout=_write_to(sys.stderr if ns.json else sys.stdout),
            on_stderr=_write_to(sys.stderr),
            cancel=stop,
        )
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)
    profile_path, not_kept = _keep_output(outcome, ns.output) if ns.output else (outcome.profile_path, None)
    doc: dict[str, Any] = {
        "profiler": outcome.profiler,
        "status": outcome.status,
        "message": _say_who_stopped(outcome),
        "exit_code": outcome.script_exit_code,
        "signal": outcome.signal,
        "wall_s": outcome.wall_s,
        "profile_path": profile_path,
        "notes": outcome.notes,
        "sampler_cpu_s": outcome.sampler_cpu_s,
        "python": python_record,
        "host": ns.host,
    }
    if outcome.status == "could_not_start":
        print(outcome.message, file=sys.stderr)
        _emit(doc, [], ns.json, "s")
        return ExitStatus.USAGE
    rows, unit, gpu_text = [], "s", ""
    if profile_path:
        preload.join()
        from gpuprof_gui.core.importers import ProfileFormatError

        try:
            # Written by our own worker; one from a host came over the network: read it in a worker too.
            profile = open_profile_safely(profile_path, trusted=not ns.host)
            rows, unit = _hotspots(profile, ns.top if ns.json else ns.top or DEFAULT_TOP), profile.unit
            doc["notes"] = [*doc["notes"], *(n for n in profile.notes if n not in doc["notes"])]
            if ns.gpu_trace:
                gpu_text = _gpu_part(doc, profile, profile_path)
        except ProfileFormatError as exc:
            # A worker note (e.g. Scalene's empty profile) already says why; else the importer does.
            doc["message"] = outcome.message if outcome.notes else f"{outcome.message} {exc}"
            profile_path = None
    print(doc["message"] + (f" Raw profile: {profile_path}" if profile_path else ""), file=sys.stderr)
    if not_kept:
        print(f"gpuprof profile: {not_kept}", file=sys.stderr)
    _emit(doc, rows, ns.json, unit)
    if gpu_text and not ns.json:
        sys.stdout.write(gpu_text)
        sys.stdout.flush()
    if outcome.status == "timed_out":
        return ExitStatus.TIMED_OUT
    if outcome.status == "cancelled":
        return ExitStatus.CANCELLED
    if outcome.status == "interrupted":
        return ExitStatus.FAILED
    if not profile_path:
        return ExitStatus.NO_PROFILE
    return outcome.script_exit_code or (ExitStatus.FAILED if not_kept else ExitStatus.OK)


GPU_TRACE_PROFILER_NOTE = (
    "--gpu-trace runs with cProfile (the default profiler), which keeps the exact Python profile of the "
    "traced run; leave out --profiler, or use Scalene's own GPU columns with --profiler scalene."
)


def _gpu_part(doc: dict[str, Any], profile: Any, profile_path: str) -> str:
    """Put the run's GPU trace summary in ``doc`` (``gpu_trace_path``, ``gpu``); the text to print."""
    from gpuprof_gui.core.gpu_trace import gpu_trace_beside
    from gpuprof_gui.core.gpu_trace_summary import summarize, summary_text

    trace, problem = gpu_trace_beside(profile_path)
    if trace is None:
        doc["gpu_trace_path"] = None
        if problem:
            doc["notes"].append(problem)
        return ""
    from gpuprof_gui.core.gpu_columns import gpu_columns_table

    doc["gpu_trace_path"] = profile_path + GPU_TRACE_SUFFIX
    summary = summarize(trace)
    doc["gpu"] = summary
    return "\n" + summary_text(trace, summary) + "\n\n" + gpu_columns_table(profile, trace, top=10) + "\n"


STDIN_NOTE = (
    "gpuprof profile: stdin is not passed to the script; it reads end-of-file, as in the window "
    "(pass input as a file argument after --)."
)


def stdin_has_data() -> bool:
    """Is something piped or redirected into us (a pipe, a socket, a non-empty file)? A terminal or /dev/null is not."""
    try:
        st = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_size > 0)


def cmd_open(ns: argparse.Namespace) -> int:
    from gpuprof_gui.core.opening import OpenError
    from gpuprof_gui.jobs.opening import open_profile

    try:
        opened = open_profile(ns.file)
    except OpenError as exc:
        print(f"gpuprof open: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    profile = opened.profile
    assert profile is not None  # open_profile raises for files without one
    rows = _hotspots(profile, ns.top if ns.json else ns.top or DEFAULT_TOP)
    doc = {
        "profiler": profile.profiler,
        "status": "loaded",
        "message": f"Loaded {ns.file}.",
        "exit_code": None,
        "signal": None,
        "wall_s": profile.wall_s,
        "profile_path": os.path.abspath(ns.file),
        "notes": list(profile.notes),
        "name": opened.provenance.name,
    }
    _emit(doc, rows, ns.json, profile.unit)
    return ExitStatus.OK
