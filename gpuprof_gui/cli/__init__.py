"""The headless command line ``gpuprof VERB ...``: the verb table, the parser and main().

Each verb lives in its own module, named in :data:`VERBS`. A module offers
``add_parsers(verbs)`` (its sub-parsers) and ``run(ns) -> int`` (an
:class:`~gpuprof_gui.exit_codes.ExitStatus`, or for ``profile`` the script's own
status). Only the module of the verb asked for is imported: ``gpuprof profile``
pays nothing for the lab, the exports or Qt; the top-level ``--help`` imports them
all for their one-line descriptions. No Qt is imported unless the ``gui`` verb runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from types import ModuleType

from gpuprof_gui.exit_codes import ExitStatus, exit_status_help


@dataclass(frozen=True)
class Verb:
    module: str
    intermixed: bool = False  # options may follow positionals (`profile s.py --json`): argparse's intermixed mode
    own_argv: bool = False  # the module parses its own argv (`gui`: the window's options, run_argv(argv))


VERBS: dict[str, Verb] = {
    "profile": Verb("gpuprof_gui.cli.profile", intermixed=True),
    "open": Verb("gpuprof_gui.cli.profile", intermixed=True),
    "gui": Verb("gpuprof_gui.cli.gui", own_argv=True),
    "advise": Verb("gpuprof_gui.cli.advise"),
    "diff": Verb("gpuprof_gui.cli.diff"),
    "export": Verb("gpuprof_gui.cli.export"),
    "kernels": Verb("gpuprof_gui.cli.kernels"),
    "devices": Verb("gpuprof_gui.cli.devices"),
    "monitor": Verb("gpuprof_gui.cli.devices"),
}
"""Verb name -> where it lives; the order is the order ``gpuprof --help`` lists them in."""

EPILOG = (
    exit_status_help()
    + """

examples:
  gpuprof profile slow.py -- --size 1000
  gpuprof profile --profiler scalene --json slow.py > hotspots.json
  gpuprof open profile.prof
  gpuprof export run.prof --format html -o report.html
  gpuprof gui slow.py --run
"""
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors with our usage exit status."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("unrecognized arguments"):
            message += " (the script's own options go after --, e.g. `gpuprof profile s.py -- --size 3`)"
        self.print_usage(sys.stderr)
        self.exit(ExitStatus.USAGE, f"{self.prog}: error: {message}\n")


def verb_module(verb: str) -> ModuleType:
    """The module that implements ``verb`` (imported now)."""
    return importlib.import_module(VERBS[verb].module)


def build_parser(modules: list[ModuleType]) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser with the verbs of ``modules``, and each verb's own parser by name."""
    parser = _Parser(
        prog="gpuprof",
        description="Profile Python scripts; find what a GPU could speed up.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for module in modules:
        module.add_parsers(verbs)
    return parser, dict(verbs.choices)


def _all_modules() -> list[ModuleType]:
    names = dict.fromkeys(v.module for v in VERBS.values())  # each once, in table order
    return [importlib.import_module(name) for name in names]


def _split_script_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Everything after the first ``--`` belongs to the script, untouched."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verb = VERBS.get(argv[0]) if argv else None
    if verb is not None and verb.own_argv:
        return verb_module(argv[0]).run_argv(argv[1:])
    own, script_args = _split_script_args(argv)
    try:
        if verb is None:  # --help, no verb or an unknown one: the full parser says which
            parser, _ = build_parser(_all_modules())
            parser.parse_args(own)
            parser.error("no verb given")  # parse_args exits first: a verb is required
        module = verb_module(own[0])
        _, parsers = build_parser([module])
        sub = parsers[own[0]]
        # Intermixed parsing lets options follow the script (`profile s.py --json`);
        # argparse supports it only without subparsers, hence parsing with the verb's own.
        ns = sub.parse_intermixed_args(own[1:]) if verb.intermixed else sub.parse_args(own[1:])
        ns.verb = own[0]
        if script_args:
            if not hasattr(ns, "args"):
                sub.error(f"`gpuprof {own[0]}` takes no arguments after --")
            ns.args = [*ns.args, *script_args]  # after --: the script's own, untouched
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else ExitStatus.USAGE
    return int(module.run(ns))


def gui_main() -> None:
    """Entry point of the ``gpuprof-gui`` launcher."""
    sys.exit(main(["gui", *sys.argv[1:]]))
