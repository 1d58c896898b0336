"""The layering rule of DESIGN.md as tests that fail when a forbidden import appears.

- Qt (PySide6, shiboken6, pyqtgraph) only in ``gpuprof_gui/ui/``.
- CuPy / Numba only in ``gpuprof_gui/workers/kernel_worker*`` (the one place a
  CUDA context may be created) -- not even in ``ui``.
- pynvml only in ``gpuprof_gui/gpu/`` (the layer that never raises into callers).
- Inside the package dependencies point down: core, protocol and assets import
  none of workers/ui/cli/gpu; gpu none of workers/ui/cli; workers neither
  ui nor cli; cli imports ui only inside a function (the ``gui`` verb).

Static check: every module is parsed with ``ast`` (imports anywhere in the file,
including inside functions, and ``importlib.import_module("...")`` with a literal).
Dynamic check: a fresh interpreter imports every non-ui module with Qt blocked.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = "gpuprof_gui"
REPO_ROOT = Path(__file__).resolve().parent.parent

QT_MODULES = {"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"}
CUDA_MODULES = {"cupy", "cupyx", "numba"}
NVML_MODULES = {"pynvml"}

# Internal subpackages each area may not import (upward edges).
_FORBIDDEN_INTERNAL = {
    "core": {"workers", "ui", "cli", "gpu", "jobs"},
    "protocol": {"workers", "ui", "cli", "gpu", "jobs"},
    "assets": {"workers", "ui", "cli", "gpu", "jobs"},
    "exit_codes": {"workers", "ui", "cli", "gpu", "jobs", "core", "protocol", "lab"},
    "gpu": {"workers", "ui", "cli", "jobs"},
    "workers": {"ui", "cli", "jobs"},
    "jobs": {"ui", "cli"},
    "lab": {"workers", "ui", "cli", "gpu", "jobs"},
}
_DYNAMIC_IMPORT_TIMEOUT_S = 120  # importing numpy and friends cold on a slow CI box


def _area(rel: Path) -> str:
    """'core', 'ui', 'protocol', 'cli', ... for a path relative to the package dir."""
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _module_name(rel: Path) -> str:
    parts = [PACKAGE, *rel.with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(tree: ast.AST, module: str, is_package: bool):
    """Yield (lineno, full module name, inside_function) for every import in the tree."""
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield child.lineno, alias.name, in_function
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base_parts = package.split(".")
                    base_parts = base_parts[: len(base_parts) - (child.level - 1)]
                    base = ".".join(base_parts + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                yield child.lineno, base, in_function
                for alias in child.names:  # `from pkg import submodule`
                    if alias.name != "*":
                        yield child.lineno, f"{base}.{alias.name}", in_function
            elif isinstance(child, ast.Call) and _is_dynamic_import(child.func):
                arg = child.args[0] if child.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield child.lineno, arg.value, in_function
            yield from visit(child, nested)

    yield from visit(tree, False)


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def _violation(rel: Path, name: str, in_function: bool) -> str | None:
    """Why importing `name` from the module at `rel` breaks the layering, or None."""
    top = name.split(".")[0]
    area = _area(rel)
    rel_posix = rel.as_posix()
    if top in QT_MODULES and area != "ui":
        return f"imports {name}: Qt belongs in {PACKAGE}/ui only"
    if top in CUDA_MODULES and not rel_posix.startswith("workers/kernel_worker"):
        return f"imports {name}: CUDA code belongs in {PACKAGE}/workers/kernel_worker* only"
    if top in NVML_MODULES and area != "gpu":
        return f"imports {name}: NVML belongs in {PACKAGE}/gpu only"
    if top == PACKAGE:
        parts = name.split(".")
        target = parts[1] if len(parts) > 1 else None
        if target in _FORBIDDEN_INTERNAL.get(area, ()):
            return f"imports {name}: {area} may not depend on {target}"
        if area == "cli" and target == "ui" and not in_function:
            return f"imports {name} at module level: cli may import ui only inside the gui verb"
    return None


def layering_violations(package_dir: Path) -> list[str]:
    """All layering violations in the package at package_dir, as 'path:line: why' strings."""
    problems = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = _module_name(rel)
        for lineno, name, in_function in _imported_names(tree, module, rel.name == "__init__.py"):
            why = _violation(rel, name, in_function)
            if why:
                problems.append(f"{PACKAGE}/{rel.as_posix()}:{lineno}: {why}")
    return sorted(set(problems))


def test_package_follows_the_layering_rule():
    assert layering_violations(REPO_ROOT / PACKAGE) == []


PLANTED = {
    "__init__.py": "",
    "core/__init__.py": "",
    "core/bad_qt.py": "import PySide6.QtCore\n",
    "core/bad_up.py": "from ..ui import window\n",
    "core/bad_lazy.py": "def f():\n    import pyqtgraph\n",
    "core/bad_nvml.py": "import pynvml\n",
    "core/bad_dynamic.py": "import importlib\nqt = importlib.import_module('shiboken6')\n",
    "core/ok.py": "import numpy\nfrom . import bad_qt\nfrom .. import protocol\n",
    "protocol.py": "from gpuprof_gui import gpu\n",
    "gpu/__init__.py": "",
    "gpu/nvml.py": "import pynvml\n",
    "gpu/bad.py": "from gpuprof_gui.workers import kernel_worker\n",
    "workers/__init__.py": "",
    "workers/kernel_worker.py": "import cupy\nimport numba.cuda\nfrom gpuprof_gui.gpu import nvml\n",
    "workers/profile_worker.py": "import numba\nfrom ..cli import main\n",
    "cli.py": "from gpuprof_gui.ui import app\n\ndef gui():\n    from gpuprof_gui.ui import app\n",
    "ui/__init__.py": "",
    "ui/window.py": "import PySide6\nimport pyqtgraph as pg\nfrom ..core import ok\n",
    "ui/gpu_panel.py": "from cupy import asarray\n",
}


def test_checker_catches_planted_bad_imports(tmp_path):
    package_dir = tmp_path / PACKAGE
    for rel, text in PLANTED.items():
        path = package_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    found = {line.split(": ", 1)[0] for line in layering_violations(package_dir)}
    assert found == {
        f"{PACKAGE}/core/bad_qt.py:1",
        f"{PACKAGE}/core/bad_up.py:1",
        f"{PACKAGE}/core/bad_lazy.py:2",
        f"{PACKAGE}/core/bad_nvml.py:1",
        f"{PACKAGE}/core/bad_dynamic.py:2",
        f"{PACKAGE}/protocol.py:1",
        f"{PACKAGE}/gpu/bad.py:1",
        f"{PACKAGE}/workers/profile_worker.py:1",
        f"{PACKAGE}/workers/profile_worker.py:2",
        f"{PACKAGE}/cli.py:1",
        f"{PACKAGE}/ui/gpu_panel.py:1",
    }


def non_ui_modules(package_dir: Path) -> list[str]:
    """Importable module names outside ui/ (the kernel worker may need CuPy; __main__ runs)."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir)
        if _area(rel) == "ui" or rel.name == "__main__.py":
            continue
        if rel.as_posix().startswith("workers/kernel_worker"):
            continue
        names.append(_module_name(rel))
    return names


_IMPORT_ALL = textwrap.dedent(
    """
    import importlib, importlib.abc, json, sys

    BLOCKED = set(sys.argv[1].split(","))
    attempts = []

    class Block(importlib.abc.MetaPathFinder):
        # Behave as if Qt were not installed, and note who asked for it.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                attempts.append(name)
                raise ImportError(f"blocked for the layering test: {name}")
            return None

    sys.meta_path.insert(0, Block())
    failed = {}
    for module in sys.argv[2:]:
        try:
            importlib.import_module(module)
        except Exception as exc:
            failed[module] = f"{type(exc).__name__}: {exc}"
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print(json.dumps({"failed": failed, "attempts": attempts, "loaded": loaded}))
    """
)


def test_non_ui_modules_import_without_qt_or_cuda():
    modules = non_ui_modules(REPO_ROOT / PACKAGE)
    assert f"{PACKAGE}.protocol" in modules and f"{PACKAGE}.core.model" in modules
    blocked = sorted(QT_MODULES | CUDA_MODULES)
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, ",".join(blocked), *modules],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=_DYNAMIC_IMPORT_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}
    assert report["attempts"] == [], "a module outside ui/ tried to import Qt or CUDA code"
    assert report["loaded"] == []


@pytest.mark.parametrize("name", ["PySide6", "pyqtgraph"])
def test_the_dynamic_check_would_see_a_qt_import(name):
    # Guards the guard: the same script reports a blocked import when one happens.
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, name, "json", name],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=_DYNAMIC_IMPORT_TIMEOUT_S,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["attempts"] == [name]
    assert name in report["failed"]
