"""py-spy's raw stacks from a py-spy mode run -> :class:`Profile`.

py-spy samples the real stacks of the script and (``--subprocesses``) of every
process it starts, at a fixed rate. Its raw output is folded stacks
(``frame;frame;... count``) whose frames read ``func (file:line)`` with the
line executing at the sample, and, with subprocesses, ``process PID:"cmd"``
markers: a child's stack is its parent's marker, then its own marker, then
its frames. Each process becomes its own root here, named by its pid and
command line, so Pool workers and ``subprocess`` children stand beside the
main script instead of inside the frame that started them.

Times are sample counts divided by the rate. The launcher's and runpy's frames
that sit above the script's ``<module>`` are removed.
"""

from __future__ import annotations

import math
import os
import re

from gpuprof_gui.core.importers._stacks import tree_from_stacks
from gpuprof_gui.core.importers.errors import ProfileFormatError
from gpuprof_gui.core.importers.folded_import import parse_frame
from gpuprof_gui.core.importers.sampled_paths import raw_stacks
from gpuprof_gui.core.model import FunctionRecord, LineRecord, Profile

_PROCESS = re.compile(r'^process (?P<pid>\d+):"(?P<cmd>.*)"$')
_LAUNCHER_FILES = ("pyspy_target.py", "runpy.py", "<frozen runpy>", "gpuprof_launcher.py")
CMD_MAX_CHARS = 60
"""A process root shows this much of its command line; the rest is in its tooltip-free label."""

NOTE = (
    "py-spy sampled the real call stacks {rate} times a second: a time is its sample count "
    "divided by {rate}, so shares below ~{floor} of the run are noise. Threads waiting idle "
    "are not counted. Each process is its own root."
)
NATIVE_NOTE = "Native (C/C++) frames are included where py-spy could unwind them."


def import_pyspy(text: str, rate_hz: float, native: bool = False, script: str | None = None) -> Profile:
    """Build a Profile (seconds = samples / ``rate_hz``) from py-spy's raw output."""
    if not (isinstance(rate_hz, (int, float)) and math.isfinite(rate_hz) and rate_hz > 0):
        raise ProfileFormatError("The py-spy sampling rate is missing or invalid.")
    index: dict[tuple[str, str], int] = {}
    functions: list[FunctionRecord] = []
    line_samples: dict[tuple[str, int], float] = {}
    stacks: list[tuple[list[int], float]] = []
    total_samples = 0.0
    for raw_frames, count in raw_stacks(text):
        frames = _own_frames(raw_frames, script)
        if not frames:
            continue
        path = []
        for name, file, line in frames:
            key = (name, file)
            idx = index.get(key)
            if idx is None:
                idx = index[key] = len(functions)
                functions.append(FunctionRecord(name, file, line))
            elif line and (functions[idx].line == 0 or line < functions[idx].line):
                functions[idx].line = line
            path.append(idx)
        _leaf_name, leaf_file, leaf_line = frames[-1]
        if leaf_file and leaf_line:
            line_samples[(leaf_file, leaf_line)] = line_samples.get((leaf_file, leaf_line), 0.0) + count
        stacks.append((path, count / rate_hz))
        total_samples += count
    if not stacks:
        raise ProfileFormatError(
            "py-spy recorded no samples of the script: the run was shorter than one sampling interval, "
            "or py-spy could not read the process."
        )
    tree, func_self, func_total = tree_from_stacks(stacks, len(functions))
    for idx, rec in enumerate(functions):
        rec.self_s = float(func_self[idx])
        rec.total_s = float(func_total[idx])
    run_s = total_samples / rate_hz
    lines: dict[str, dict[int, LineRecord]] = {}
    for (file, line), n in line_samples.items():
        self_s = n / rate_hz
        lines.setdefault(file, {})[line] = LineRecord(cpu_python_pct=100.0 * self_s / run_s, self_s=self_s)
    floor = f"{100.0 * 3 / total_samples:.1f}%" if total_samples > 0 else "—"
    notes = [NOTE.format(rate=f"{rate_hz:g}", floor=floor)]
    if native:
        notes.append(NATIVE_NOTE)
    return Profile(
        profiler="py-spy", functions=functions, tree=tree, lines=lines, unit="s", stacks_exact=True, notes=notes
    )


def definition_line(source: str, line: int) -> int | None:
    """The first line of the innermost function (or class) whose body holds ``line``.

    py-spy names the line a sample was on; the table and the source view
    want the function's first line, as cProfile gives it (a decorator's line
    for a decorated function, which is where Python starts its code).
    """
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            end = getattr(node, "end_lineno", None) or node.lineno
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            if first <= line <= end and (best is None or first >= best):
                best = first
    return best


def _own_frames(frames: list[str], script: str | None = None) -> list[tuple[str, str, int]]:
    """One stack's frames from its own process marker down, launcher frames removed."""
    start = 0
    for i, frame in enumerate(frames):
        if _PROCESS.match(frame):
            start = i
    out: list[tuple[str, str, int]] = []
    head = frames[start]
    match = _PROCESS.match(head)
    rest = frames[start + 1 :] if match else frames[start:]
    skipping = True
    for frame in rest:
        name, file, line = parse_frame(frame)
        if skipping and (file.endswith(_LAUNCHER_FILES) or file in _LAUNCHER_FILES):
            continue
        skipping = False
        out.append((name, file, line))
    if match:
        cmd = _short_command(match.group("cmd"), script)
        out.insert(0, (f"process {match.group('pid')}: {cmd}".rstrip(": "), "", 0))
    return out


def _short_command(cmd: str, script: str | None) -> str:
    """The command line without the launcher's own arguments: ``python3 pool.py args``.

    py-spy cannot always read a process's command line (it shows ``""``);
    the script's name stands in for it then.
    """
    tokens = [t for t in cmd.split(" ") if t]
    for i, tok in enumerate(tokens):
        if tok.endswith("pyspy_target.py") or tok == "gpuprof_gui.workers.pyspy_target":  # by path, or -m
            j = i + 1
            while j < len(tokens) and tokens[j] in ("--stdout-fd", "--stderr-fd"):
                j += 2
            tokens = tokens[:1] + tokens[j + 1 :]  # the status file follows the options
            break
    if tokens[1:2] == ["-m"] and len(tokens) > 2 and tokens[2].endswith(".py"):
        del tokens[1]  # the one-folder app's "-m" before its launcher module
    shown = [os.path.basename(t) if k == 0 or t.endswith(".py") else t for k, t in enumerate(tokens)]
    text = " ".join(shown) or (os.path.basename(script) if script else "")
    return text if len(text) <= CMD_MAX_CHARS else text[: CMD_MAX_CHARS - 1] + "…"
