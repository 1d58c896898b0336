"""``--python``: the Python that runs the script, for the verbs that run one (profile, advise)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_python_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python",
        metavar="PATH",
        default="auto",
        help="the Python that runs the script: a path, 'app' (gpuprof's own) or 'auto' (default: an active or "
        "nearby virtualenv/conda env, the script's shebang, else gpuprof's own)",
    )


def chosen_python(script: str, requested: str, verb: str) -> tuple[str | None, dict[str, Any]]:
    """The ``python`` of a RunSpec for ``--python``, and what to report of it; says which on stderr.

    None means the app's own environment (also when the one found is the environment gpuprof
    itself runs in). A Python that cannot serve is returned as it is: the run says why.
    """
    from gpuprof_gui.jobs.interpreters import InterpreterError, choose, describe, probe

    choice = choose(script, requested)
    record: dict[str, Any] = {"path": choice.path, "reason": choice.reason, "version": None}
    if choice.is_app:
        return None, record | {"version": ".".join(map(str, sys.version_info[:3]))}
    try:
        info = probe(choice.path)
    except InterpreterError:
        return choice.path, record
    record["version"] = info.version_text
    if info.is_app:
        return None, record
    print(f"{verb}: running under {describe(choice, info)}", file=sys.stderr)
    return choice.path, record
