"""What goes to a remote host: every module the remote workers import, and nothing newer than its Python."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from gpuprof_gui.jobs.remote.bundle import GPU_STACK_FILES, REMOTE_FILES

PACKAGE = Path(__file__).resolve().parents[2] / "gpuprof_gui"
REMOTE_ENTRY_POINTS = (
    "workers/remote_agent.py",
    "workers/profile_worker.py",
    "workers/kernel_worker.py",
    "workers/telemetry_stream.py",
    "gpu/telemetry_process.py",
)


APP_SIDE = {("workers/pyspy_run.py", "convert_raw"), ("workers/pyspy_run.py", "_set_definition_lines")}
"""Functions whose imports fail by design in a bare bundle (ImportError: the app's process does that part)."""


def _nodes(rel: str) -> list[ast.AST]:
    tree = ast.parse((PACKAGE / rel).read_text())
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (rel, node.name) in APP_SIDE
        for inner in ast.walk(node)
    }
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def _imports(rel: str) -> set[str]:
    """The package's files ``rel`` imports (at any depth of the file, lazily too), as bundle paths."""
    found = set()
    for node in _nodes(rel):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gpuprof_gui"):
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("gpuprof_gui")]
        for name in names:
            parts = name.split(".")[1:]
            for depth in range(len(parts) + 1):
                stem = "/".join(parts[:depth])
                for candidate in (f"{stem}.py" if stem else None, f"{stem}/__init__.py" if stem else "__init__.py"):
                    if candidate and (PACKAGE / candidate).is_file():
                        found.add(candidate)
    return found


def test_every_module_a_remote_worker_imports_is_sent():
    todo, seen = list(REMOTE_ENTRY_POINTS), set()
    while todo:
        rel = todo.pop()
        if rel not in seen:
            seen.add(rel)
            todo.extend(_imports(rel))
    assert sorted(seen - set(REMOTE_FILES)) == []


def test_the_gpu_stack_files_are_checked_for_the_hosts_python():
    """ruff checks them for Python 3.10 (the lab and telemetry's floor on a host), not the app's 3.11."""
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    targets = config["tool"]["ruff"]["per-file-target-version"]
    older = {path for path, version in targets.items() if version in ("py39", "py310")}
    assert sorted(f"gpuprof_gui/{rel}" for rel in GPU_STACK_FILES if f"gpuprof_gui/{rel}" not in older) == []
