"""The headless command line: ``gpuprof profile``, ``gpuprof open``, ``gpuprof gui``.

No Qt is imported unless the ``gui`` verb runs; numpy and the importers are
loaded while the profiled script runs, so they add nothing to the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading

from gpuprof_gui.protocol import PROFILERS, STACKS_SUFFIX
from gpuprof_gui.jobs.runner import RunOutcome, RunSpec, open_profile_safely, run_profile

# Exit statuses of `gpuprof` itself (the script's own nonzero status is passed on).
EXIT_OK = 0
EXIT_USAGE = 2  # bad command line, script could not start, unreadable profile file
EXIT_NO_PROFILE = 3  # the run ended without a usable profile (crash, empty Scalene profile)
EXIT_TIMED_OUT = 124  # stopped by --timeout, as coreutils `timeout` reports it
EXIT_CANCELLED = 130  # Ctrl-C, the shell's 128 + SIGINT

DEFAULT_TOP = 20  # rows in the printed table: a screenful

EPILOG = f"""\
exit status:
  {EXIT_OK}    a profile was produced and the script exited 0
  N    the script's own nonzero exit status (a profile was produced)
  {EXIT_USAGE}    bad command line, the script could not start, or the profile file is unreadable
  {EXIT_NO_PROFILE}    the run produced no usable profile (the script crashed, or Scalene recorded nothing)
  {EXIT_TIMED_OUT}  stopped by --timeout (the partial profile, if any, is still shown)
  {EXIT_CANCELLED}  interrupted with Ctrl-C (the partial profile, if any, is still shown)
A script exiting with 2, 3, 124 or 130 itself is indistinguishable; --json
reports the script's status separately as "exit_code".

examples:
  gpuprof profile slow.py -- --size 1000
  gpuprof profile --profiler scalene --json slow.py > hotspots.json
  gpuprof open profile.prof
  gpuprof gui slow.py --run
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors with our usage exit status."""

    def error(self, message: str) -> None:
        if message.startswith("unrecognized arguments"):
            message += " (the script's own options go after --, e.g. `gpuprof profile s.py -- --size 3`)"
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


# Modules that add verbs with ``add_parsers(subparsers)`` and ``dispatch(ns) -> int | None``.
# Imported only when their verbs (or the top-level --help) are asked for, so that
# `gpuprof profile` pays nothing for them. A module not in this installation is skipped.
EXTENSION_VERB_MODULES = ("gpuprof_gui.cli.devices", "gpuprof_gui.cli.kernels", "gpuprof_gui.cli.advise",
                          "gpuprof_gui.cli.diff", "gpuprof_gui.cli.export")


def _extension_modules() -> list:
    import importlib

    modules = []
    for name in EXTENSION_VERB_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but something it needs is missing
                raise
    return modules


def build_parser(extensions: list | None = None
                 ) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser (for --help) and the parsers of the verbs we parse ourselves."""
    parser = _Parser(prog="gpuprof", description="Profile Python scripts; find what a GPU could speed up.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    prof = verbs.add_parser("profile", help="run a script under a profiler and print its hotspots",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    prof.add_argument("script", help="the Python script to run")
    prof.add_argument("args", nargs="*", help="arguments for the script (put options after --)")
    prof.add_argument("--profiler", choices=PROFILERS, default="cprofile",
                      help="cprofile: exact counts and times; scalene: lines, memory; "
                           "py-spy: sampled real stacks, child processes")
    prof.add_argument("--native", action="store_true", help="py-spy: native (C/C++) frames too")
    prof.add_argument("--cpu-only", action="store_true", help="Scalene: skip memory profiling")
    prof.add_argument("--timeout", type=float, metavar="S", help="stop the script after S seconds")
    prof.add_argument("--output", metavar="PATH", help="keep the raw profile (.prof or Scalene .json) here")
    _add_output_options(prof)
    opener = verbs.add_parser("open", help="print the hotspots of an existing profile file",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    opener.add_argument("file", help=".prof (cProfile), Scalene .json, folded stacks or a gpuprof .json")
    _add_output_options(opener)
    verbs.add_parser("gui", help="open the desktop application: gui [SCRIPT] [--profiler P] "
                     "[--run] [--screenshot PNG]", add_help=False)
    for module in extensions or ():
        module.add_parsers(verbs)
    return parser, {"profile": prof, "open": opener}


def _add_output_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    sub.add_argument("--top", type=int, metavar="N",
                     help=f"show the N heaviest functions (table default {DEFAULT_TOP}, JSON default all)")


def _split_script_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Everything after the first ``--`` belongs to the script, untouched."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def _preload_analysis() -> threading.Thread:
    """Import numpy and the importers while the script runs (the parent is idle then)."""

    def load() -> None:
        import gpuprof_gui.core.hotspots  # noqa: F401
        import gpuprof_gui.core.importers  # noqa: F401

    thread = threading.Thread(target=load, name="gpuprof-preload", daemon=True)
    thread.start()
    return thread


def _load(path: str, trusted: bool):
    """A Profile from ``path``; foreign cProfile dumps are parsed in the convert worker."""
    return open_profile_safely(path, trusted)


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
        (amount(r["self_s"]), format_pct(r["self_pct"]), amount(r["total_s"]),
         format_count(r["calls"]), r["name"],
         short_path(f"{r['file']}:{r['line']}", 50) if r["file"] else "<built-in>")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    right = (True, True, True, True, False, False)  # numbers right-aligned

    def line(cells) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

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


def _keep_output(outcome: RunOutcome, target: str) -> str | None:
    """Move the raw profile to ``target``; the new path, or None if there was none."""
    if not outcome.profile_path:
        return None
    os.makedirs(os.path.dirname(os.path.abspath(target)) or ".", exist_ok=True)
    shutil.move(outcome.profile_path, target)
    # The sampled stacks that split cProfile's call paths travel with the dump.
    stacks = outcome.profile_path + STACKS_SUFFIX
    if os.path.exists(stacks):
        shutil.move(stacks, target + STACKS_SUFFIX)
    return os.path.abspath(target)


def _write_to(stream) -> callable:
    def write(data: bytes) -> None:
        stream.buffer.write(data)
        stream.buffer.flush()

    return write


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _raise_interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt


def cmd_profile(ns: argparse.Namespace, script_args: list[str]) -> int:
    spec = RunSpec(script=ns.script, args=[*ns.args, *script_args], profiler=ns.profiler,
                   timeout_s=ns.timeout, scalene_cpu_only=ns.cpu_only, pyspy_native=ns.native)
    preload = _preload_analysis()
    # The worker runs in its own session: a `kill` or a closed terminal reaches only
    # us, so treat them like Ctrl-C, which the runner turns into a clean cancel.
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in _STOP_SIGNALS}
    try:
        # With --json, stdout carries only our document; the script's output goes to stderr.
        outcome = run_profile(spec, on_stdout=_write_to(sys.stderr if ns.json else sys.stdout),
                              on_stderr=_write_to(sys.stderr))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    profile_path = _keep_output(outcome, ns.output) if ns.output else outcome.profile_path
    doc = {"profiler": outcome.profiler, "status": outcome.status, "message": outcome.message,
           "exit_code": outcome.script_exit_code, "signal": outcome.signal,
           "wall_s": outcome.wall_s, "profile_path": profile_path, "notes": outcome.notes,
           "sampler_cpu_s": outcome.sampler_cpu_s}
    if outcome.status == "could_not_start":
        print(outcome.message, file=sys.stderr)
        _emit(doc, [], ns.json, "s")
        return EXIT_USAGE
    rows, unit = [], "s"
    if profile_path:
        preload.join()
        from gpuprof_gui.core.importers import ProfileFormatError

        try:
            profile = _load(profile_path, trusted=True)  # written by our own worker
            rows, unit = _hotspots(profile, ns.top if ns.json else ns.top or DEFAULT_TOP), profile.unit
            doc["notes"] = [*doc["notes"], *(n for n in profile.notes if n not in doc["notes"])]
        except ProfileFormatError as exc:
            # A worker note (e.g. Scalene's empty profile) already says why; else the importer does.
            doc["message"] = outcome.message if outcome.notes else f"{outcome.message} {exc}"
            profile_path = None
    print(doc["message"] + (f" Raw profile: {profile_path}" if profile_path else ""), file=sys.stderr)
    _emit(doc, rows, ns.json, unit)
    if outcome.status == "timed_out":
        return EXIT_TIMED_OUT
    if outcome.status == "cancelled":
        return EXIT_CANCELLED
    if not profile_path:
        return EXIT_NO_PROFILE
    return outcome.script_exit_code or EXIT_OK


def cmd_open(ns: argparse.Namespace) -> int:
    from gpuprof_gui.core.importers import ProfileFormatError

    try:
        profile = _load(ns.file, trusted=False)
    except ProfileFormatError as exc:
        print(f"gpuprof: {ns.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    rows = _hotspots(profile, ns.top if ns.json else ns.top or DEFAULT_TOP)
    doc = {"profiler": profile.profiler, "status": "loaded", "message": f"Loaded {ns.file}.",
           "exit_code": None, "signal": None, "wall_s": profile.wall_s,
           "profile_path": os.path.abspath(ns.file), "notes": list(profile.notes)}
    _emit(doc, rows, ns.json, profile.unit)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "gui":
        return _gui(argv[1:])
    own, script_args = _split_script_args(argv)
    parser, verbs = build_parser()
    try:
        if not own or own[0] not in verbs:
            return _other_verb(own, script_args)
        # Intermixed parsing lets options follow the script (`profile s.py --json`);
        # argparse supports it only without subparsers, hence one parser per verb.
        ns = verbs[own[0]].parse_intermixed_args(own[1:])
        if own[0] == "open" and script_args:
            verbs["open"].error("only `gpuprof profile` takes arguments after --")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if own[0] == "profile":
        return cmd_profile(ns, script_args)
    return cmd_open(ns)


QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")


def _gui(argv: list[str]) -> int:
    """The window; without Qt installed, one sentence saying what to install (not a traceback)."""
    try:
        from gpuprof_gui.ui.app import main as gui  # the only verb that loads Qt

        return gui(argv)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in QT_MODULES:
            raise
        print(f"gpuprof gui: the window needs {exc.name.split('.')[0]}, which is not installed here: "
              "pip install 'PySide6-Essentials!=6.12.0' pyqtgraph (or `make install` in a checkout). "
              "The other verbs (profile, open, advise, diff, export, kernels) work without it.", file=sys.stderr)
        return EXIT_USAGE


def _other_verb(own: list[str], script_args: list[str]) -> int:
    """A verb from an extension module, the top-level --help, or a usage error."""
    extensions = _extension_modules()
    parser, _ = build_parser(extensions)
    ns = parser.parse_args(own)
    if script_args:
        if not hasattr(ns, "args"):
            parser.error(f"`gpuprof {ns.verb}` takes no arguments after --")
        ns.args = [*ns.args, *script_args]  # after --: the script's own, untouched
    for module in extensions:
        status = module.dispatch(ns)
        if status is not None:
            return status
    parser.error(f"no handler for the verb {ns.verb!r}")
    return EXIT_USAGE


def gui_main() -> None:
    """Entry point of the ``gpuprof-gui`` launcher."""
    sys.exit(main(["gui", *sys.argv[1:]]))

