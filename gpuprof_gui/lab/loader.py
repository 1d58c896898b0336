"""Loads a candidate file and describes it without a GPU.

Loading runs the file's top level (as importing it would); candidate files
import neither CuPy nor Numba, so this works anywhere NumPy does. Call it in
a worker process for files you did not write.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import sys

from gpuprof_gui.lab.candidates import Candidate, LabFile
from gpuprof_gui.lab.problem import Problem

_counter = itertools.count()


class LabFileError(Exception):
    """The file is not a usable candidate file; the message says why."""


def load_lab_file(path: str) -> LabFile:
    """Run the candidate file at ``path`` and collect its problem and candidates.

    The problem is the module-level ``problem``; the candidates are the
    module-level ``candidates`` list when there is one, else every
    module-level Candidate in the order the file defines them.
    """
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise LabFileError(f"{path}: no such candidate file")
    module_name = f"_gpuprof_lab_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LabFileError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
    # As when Python runs a script: its folder comes first on the path, so a
    # candidate file can import its reference from the program it speeds up.
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise LabFileError(f"{os.path.basename(path)} line {exc.lineno}: syntax error: {exc.msg}") from exc
    except Exception as exc:
        raise LabFileError(f"{os.path.basename(path)} failed to load: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.modules.pop(module_name, None)
        if sys.path and sys.path[0] == folder:
            del sys.path[0]
    problem = getattr(module, "problem", None)
    if not isinstance(problem, Problem):
        raise LabFileError(f"{os.path.basename(path)} defines no `problem = Problem(...)`")
    declared = getattr(module, "candidates", None)
    if declared is None:
        declared = [v for v in vars(module).values() if isinstance(v, Candidate)]
    cands = list(declared)
    if not cands or not all(isinstance(c, Candidate) for c in cands):
        raise LabFileError(f"{os.path.basename(path)} declares no candidates")
    names = [c.name for c in cands]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise LabFileError(f"{os.path.basename(path)}: candidate names must be unique ({', '.join(dupes)})")
    _attach_lines(path, cands)
    return LabFile(path=path, problem=problem, candidates=cands)


def _attach_lines(path: str, cands: list[Candidate]) -> None:
    """Note the line that names each candidate, so the window can jump to it."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for cand in cands:
        pattern = re.compile(rf"""(["']){re.escape(cand.name)}\1""")
        cand.line = next((i + 1 for i, text in enumerate(lines) if pattern.search(text)), None)


def describe(lab: LabFile) -> dict:
    """Problem and candidates as JSON-ready text (kinds, CUDA source, sizes)."""
    return {"path": lab.path, "problem": lab.problem.summary(), "candidates": [c.summary() for c in lab.candidates]}
