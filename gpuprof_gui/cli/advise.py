"""``gpuprof advise SCRIPT|PROFILE --offload FUNCTION --kernels FILE``: profile, run the lab, predict.

Profiles the script (in a worker, as ``gpuprof profile`` does) or reads a profile
already made (a profile, session or advisor session, through the one door
:mod:`gpuprof_gui.jobs.opening`), takes the share
``p`` of the run spent in FUNCTION, runs the kernel lab on the candidate file
(in kernel workers) and combines them with Amdahl's law and the measured
transfer cost (see :mod:`gpuprof_gui.core.advisor`). Without a GPU it still
reports ``p`` and the Amdahl limit and says which figures need a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
from datetime import UTC, datetime
from types import SimpleNamespace

from gpuprof_gui.cli.arg_types import gpu_number, non_negative_amount, non_negative_count, positive_seconds
from gpuprof_gui.cli.host_option import add_host_option
from gpuprof_gui.cli.python_option import add_python_option, chosen_python
from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.protocol import PROFILERS

VERB = "advise"


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        VERB,
        help="predict a script's speed-up from offloading a function to the GPU",
        description="Profile SCRIPT, measure the candidate kernels of --kernels on the GPU, and "
        "predict the whole-program speed-up (Amdahl's law with the measured kernel speed-up, "
        f"transfer cost and GPU start-up). Exit {ExitStatus.OK}: an answer (GPU figures are null without a "
        f"GPU); {ExitStatus.FAILED}: an answer from a script that did not finish normally (partial profile); "
        f"{ExitStatus.USAGE}: usage, unknown function, bad candidate or profile file; "
        f"{ExitStatus.NO_PROFILE}: the script produced no profile.",
    )
    p.add_argument(
        "script",
        help="the Python script to profile, or a profile / session / advisor session "
        "file to take its profile from (then nothing runs)",
    )
    p.add_argument("args", nargs="*", help="arguments for the script (after --)")
    p.add_argument(
        "--offload",
        action="append",
        required=True,
        metavar="FUNCTION",
        help="function to move to the GPU (NAME or FILE:NAME; repeatable, nested ones count once)",
    )
    p.add_argument("--kernels", metavar="FILE", help="kernel-lab candidate file implementing FUNCTION")
    p.add_argument(
        "--size", type=non_negative_count, help="problem size to measure (default: the file's largest default)"
    )
    p.add_argument(
        "--calls", type=non_negative_count, help="calls to FUNCTION per run (default: counted by the profile)"
    )
    p.add_argument(
        "--bytes-per-call",
        type=non_negative_amount,
        metavar="B",
        help="bytes crossing PCIe per call (default: the candidate's inputs and output)",
    )
    p.add_argument(
        "--check",
        metavar="RUN.prof",
        help="check the prediction item by item against a run of the offloaded program traced on the GPU "
        "(`gpuprof profile --gpu-trace`; its RUN.prof.gpu-trace.json is read beside it)",
    )
    p.add_argument("--profiler", choices=PROFILERS, default="cprofile")
    p.add_argument("--timeout", type=positive_seconds, metavar="S", help="stop the script after S seconds")
    add_python_option(p)
    add_host_option(p)
    p.add_argument(
        "--gpu",
        type=gpu_number,
        default=None,
        metavar="N",
        help="the GPU the kernel lab measures, numbered as `gpuprof devices` lists them (default: GPU 0)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--save",
        metavar="SESSION.json",
        help="save profile, lab run, capacity and advice for the window (gui --advice)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        return run_advise(args)
    except KeyboardInterrupt:
        print("gpuprof advise: interrupted", file=sys.stderr)
        return ExitStatus.CANCELLED


def _say(text: str) -> None:
    print(f"gpuprof advise: {text}", file=sys.stderr, flush=True)


def _recorded(args: argparse.Namespace):
    """(Profile, a finished outcome, script) from a profile file given instead of a script;
    (None, None, "") for a script to run; (None, exit status, "") after saying why the file cannot be used."""
    from gpuprof_gui.core.opening import Failure, Kind, OpenError, what_is
    from gpuprof_gui.jobs.opening import open_profile

    try:
        if what_is(args.script) in (Kind.SCRIPT, Kind.FOLDER):
            return None, None, ""  # the profile worker says what is wrong with one that cannot run
        opened = open_profile(args.script)
    except OpenError as exc:
        if exc.failure is Failure.UNKNOWN_FORMAT and not args.script.endswith(".py"):
            return None, None, ""  # not a file gpuprof reads: a script without the .py name, perhaps
        if exc.failure is Failure.MISSING and args.script.endswith(".py"):
            return None, None, ""  # the worker's sentence: "The script does not exist"
        _say(str(exc))
        return None, ExitStatus.USAGE, ""
    if args.args:
        _say("arguments after -- are for a script; a profile file runs nothing")
        return None, ExitStatus.USAGE, ""
    _say(f"taking the profile from {args.script} (nothing is run)")
    outcome = SimpleNamespace(
        status="finished",
        script_exit_code=0,
        message=f"Loaded {args.script}.",
        wall_s=opened.profile.wall_s if opened.profile is not None else None,
    )
    return opened.profile, outcome, opened.provenance.script or os.path.abspath(args.script)


def _gpu_run(path: str):
    """(Profile, GpuTrace) of a traced run of the offloaded program, or an exit status after saying why."""
    from gpuprof_gui.core.gpu_trace import gpu_trace_beside
    from gpuprof_gui.core.opening import OpenError
    from gpuprof_gui.jobs.opening import open_profile
    from gpuprof_gui.protocol import GPU_TRACE_SUFFIX

    try:
        opened = open_profile(path)
    except OpenError as exc:
        _say(f"--check: {exc}")
        return ExitStatus.USAGE
    trace, problem = gpu_trace_beside(path)
    if trace is None:
        _say(
            f"--check: {problem or f'{path} has no GPU trace beside it ({os.path.basename(path)}{GPU_TRACE_SUFFIX})'}"
            " — trace the offloaded program with `gpuprof profile --gpu-trace`."
        )
        return ExitStatus.USAGE
    return opened.profile, trace


def _profile(args: argparse.Namespace):
    """(Profile, RunOutcome) or (None, exit status) after saying why."""
    from gpuprof_gui.core.importers import ProfileFormatError
    from gpuprof_gui.jobs.runner import RunSpec, open_profile_safely, run_profile

    def to_stderr(data: bytes) -> None:  # stdout is ours (the report or the JSON)
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()

    where = f" on {args.host}" if args.host else ""
    _say(f"profiling {os.path.basename(args.script)} under {args.profiler}{where}…")
    python = _host_python(args) if args.host else chosen_python(args.script, args.python, "gpuprof advise")[0]
    outcome = run_profile(
        RunSpec(
            script=args.script,
            args=list(args.args),
            profiler=args.profiler,
            timeout_s=args.timeout,
            python=python,
            host=args.host,
        ),
        on_stdout=to_stderr,
        on_stderr=to_stderr,
    )
    if outcome.status == "could_not_start":
        _say(outcome.message)
        return None, ExitStatus.USAGE
    if not outcome.profile_path:
        _say(f"no profile: {outcome.message}")
        return None, ExitStatus.NO_PROFILE
    try:  # one that came from a host over the network is read in a worker too
        profile = open_profile_safely(outcome.profile_path, trusted=not args.host)
    except ProfileFormatError as exc:
        _say(f"no profile: {outcome.message} {exc}")
        return None, ExitStatus.NO_PROFILE
    return profile, outcome


def _host_python(args: argparse.Namespace) -> str | None:
    """The host's Python: python3 there unless a path on the host is named."""
    return None if args.python in ("auto", "app") else args.python


def _check_kernels_file(path: str) -> str | None:
    """Why the candidate file cannot be used (read in a worker here: no GPU needed), or None."""
    from gpuprof_gui.jobs.lab_runner import describe_file
    from gpuprof_gui.lab import LabFileError

    try:
        describe_file(path)
    except LabFileError as exc:
        return str(exc)
    return None


def _lab(args: argparse.Namespace):
    """(LabRun or None, reason it is None or None)."""
    from gpuprof_gui.jobs.lab_runner import LabRunSpec, run_lab

    if not args.kernels:
        return None, "No --kernels file was given."
    where = f" on {args.host}" if args.host else ""
    _say(f"running the kernel lab on {os.path.basename(args.kernels)}{where}…")
    spec = LabRunSpec(
        path=args.kernels,
        sizes=[args.size] if args.size else [],
        host=args.host,
        python=_host_python(args) if args.host else None,
        gpu=args.gpu,
    )
    outcome = run_lab(spec, cancel=threading.Event())
    if outcome.status == "no_gpu":
        return None, outcome.message
    if outcome.run is None:
        raise _UsageError(outcome.message)
    return outcome.run, None


class _UsageError(Exception):
    pass


def _pcie_max(args: argparse.Namespace) -> dict | None:
    """The PCIe link of the GPU the lab measured (the host's, with --host)."""
    if args.host:
        from gpuprof_gui.jobs.remote.remote_telemetry import host_facts

        devices = host_facts(args.host, _host_python(args)).get("devices") or []
    else:
        from gpuprof_gui.gpu.specs import device_facts

        devices = device_facts().get("devices") or []
    index = args.gpu or 0
    return devices[index].get("pcie_max_gbps") if index < len(devices) else None


def run_advise(args: argparse.Namespace) -> int:
    from gpuprof_gui.core import capacity as cap
    from gpuprof_gui.core.advice_session import AdviceSession, build_advice, capacity_from, save_session
    from gpuprof_gui.core.advisor import find_offload_functions, offload_calls, offload_share, run_time_s

    if args.kernels and not os.path.isfile(args.kernels):
        _say(f"{args.kernels}: no such candidate file")
        return ExitStatus.USAGE
    if args.kernels:  # a broken candidate file is found before the script runs, GPU or not
        broken = _check_kernels_file(args.kernels)
        if broken:
            _say(broken)
            return ExitStatus.USAGE
    gpu_run = _gpu_run(args.check) if args.check else None
    if isinstance(gpu_run, int):
        return gpu_run
    profile, outcome, script = _recorded(args)
    if profile is None and outcome is not None:
        return outcome
    if profile is None:
        profile, outcome = _profile(args)
        script = os.path.abspath(args.script)
    if profile is None:
        return outcome
    failed = outcome.status != "finished" or bool(outcome.script_exit_code)
    try:
        funcs = sorted({f for name in args.offload for f in find_offload_functions(profile, name)})
    except LookupError as exc:
        ended = f" (the script did not finish normally: {outcome.message})" if failed else ""
        _say(str(exc.args[0]) + ended)
        return ExitStatus.USAGE
    share = offload_share(profile, funcs)  # exact for one function; a bounded union for several
    total_s, p, calls = run_time_s(profile), share.fraction, offload_calls(profile, funcs)
    try:
        lab_run, no_gpu = _lab(args)
    except _UsageError as exc:
        _say(str(exc))
        return ExitStatus.USAGE
    names = [profile.functions[f].name for f in funcs]
    advice = build_advice(
        total_s,
        p,
        args.calls if args.calls is not None else calls,
        lab_run,
        args.size,
        args.bytes_per_call,
        names,
        no_gpu,
        p_note=share.note,
    )
    if failed:
        advice.notes.append(
            f"The script did not finish normally ({outcome.message}); the profile, and so p, covers only what ran."
        )
    if profile.unit != "s" and args.calls is None:
        advice.notes.append("Scalene does not count calls: pass --calls for the transfer total.")
    cpu = cap.cpu_facts()
    cpu["measured_copy_gbps"] = cap.measure_copy_gbps()
    session = AdviceSession(
        advice=advice,
        capacity=capacity_from(cpu, lab_run, _pcie_max(args)),
        profile=profile,
        lab=lab_run,
        script=script,
        kernels=os.path.abspath(args.kernels) if args.kernels else "",
        offload=list(args.offload),
        host=args.host or socket.gethostname(),
        date=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    check = None
    if gpu_run is not None:
        from gpuprof_gui.core.advice_check import check_advice

        check = check_advice(advice, gpu_run[0], gpu_run[1], os.path.basename(args.check))
    if args.save:
        save_session(session, args.save)
        _say(f"session saved to {args.save} (open it with `gpuprof gui --advice {args.save}`)")
    if args.json:
        doc = advice.to_dict()
        doc.update(
            script=session.script,
            kernels=session.kernels,
            date=session.date,
            host=session.host,
            capacity=session.capacity,
            run={
                "status": outcome.status,
                "exit_code": outcome.script_exit_code,
                "message": outcome.message,
                "wall_s": outcome.wall_s,
            },
        )
        if check is not None:
            doc["check"] = check.to_dict()
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        from gpuprof_gui.core.advice_text import capacity_lines, report_lines

        lines = report_lines(advice, os.path.basename(script)) + capacity_lines(session.capacity)
        if check is not None:
            lines += ["", *check.lines()]
        sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return ExitStatus.FAILED if failed else ExitStatus.OK
