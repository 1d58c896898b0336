"""The layering rule of DESIGN.md as tests that fail when a forbidden import appears.

- Qt (PySide6, shiboken6, pyqtgraph) only in ``gpuprof_gui/ui/``.
- CuPy / Numba only in ``gpuprof_gui/workers/kernel_worker*`` (the one place a
  CUDA context may be created) -- not even in ``ui``.
- pynvml only in ``gpuprof_gui/gpu/`` (the layer that never raises into callers).
- Inside the package dependencies point down: ui and cli, then jobs, workers,
  gpu and lab, core, and protocol and assets at the bottom; cli imports ui only
  where the window is needed (the ``gui`` verb).

Static check: the import-linter contracts in pyproject.toml, run here so that
pytest fails when one breaks. import-linter sees every import statement, inside
functions and under ``TYPE_CHECKING`` too, but not ``importlib.import_module``:
:func:`test_dynamic_imports_are_known` lists those.
Dynamic check: a fresh interpreter imports every non-ui module with Qt blocked,
which is what proves that cli's imports of ui stay inside functions.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

PACKAGE = "gpuprof_gui"
REPO_ROOT = Path(__file__).resolve().parents[2]

QT_MODULES = {"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"}
CUDA_MODULES = {"cupy", "cupyx", "numba"}

_DYNAMIC_IMPORT_TIMEOUT_S = 120  # importing numpy and friends cold on a slow CI box
_LINT_TIMEOUT_S = 120

# Runs import-linter on the gpuprof_gui found first on sys.path from `root`, after making
# sure that is the copy under `root` (an editable install elsewhere must not stand in for it).
_LINT = textwrap.dedent(
    """
    import os, sys
    root = os.path.realpath(sys.argv[1])
    sys.path.insert(0, root)
    import gpuprof_gui
    where = os.path.realpath(gpuprof_gui.__file__)
    if not where.startswith(root + os.sep):
        sys.exit(f"gpuprof_gui is imported from {where}, not from {root}")
    from importlinter.cli import lint_imports
    sys.exit(lint_imports(config_filename=os.path.join(root, "pyproject.toml"), no_cache=True, no_logo=True))
    """
)


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter's verdict on the package and pyproject.toml under ``root``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run(
        [sys.executable, "-c", _LINT, str(root)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=_LINT_TIMEOUT_S,
    )


def test_import_contracts_are_kept():
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Each planted file breaks one contract, in one of the ways an import can hide.
PLANTED = {
    "core/_planted_qt.py": ("import PySide6.QtCore\n", "gpuprof_gui.core._planted_qt -> PySide6"),
    "core/_planted_up.py": (
        "def later():\n    from gpuprof_gui.jobs import runner\n",
        "gpuprof_gui.core._planted_up -> gpuprof_gui.jobs.runner",
    ),
    "core/_planted_nvml.py": ("import pynvml\n", "gpuprof_gui.core._planted_nvml -> pynvml"),
    "gpu/_planted_cuda.py": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import cupyx\n",
        "gpuprof_gui.gpu._planted_cuda -> cupyx",
    ),
    "ui/_planted_cuda.py": ("from numba import cuda\n", "gpuprof_gui.ui._planted_cuda -> numba"),
    "cli/_planted_ui.py": (
        "def gui():\n    from gpuprof_gui.ui import app\n",
        "gpuprof_gui.cli._planted_ui -> gpuprof_gui.ui.app",
    ),
}


def test_contracts_catch_planted_bad_imports(tmp_path):
    shutil.copytree(REPO_ROOT / PACKAGE, tmp_path / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    clean = lint_imports(tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr  # the copy itself keeps them all

    for rel, (text, _) in PLANTED.items():
        (tmp_path / PACKAGE / rel).write_text(text)
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    for _, reported in PLANTED.values():
        assert reported in result.stdout, f"{reported} not reported:\n{result.stdout}"


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _top_level_modules() -> set[str]:
    names = set()
    for path in (REPO_ROOT / PACKAGE).iterdir():
        if path.is_dir() and (path / "__init__.py").exists():
            names.add(path.name)
        elif path.suffix == ".py" and path.stem != "__init__":
            names.add(path.stem)
    return names


@pytest.mark.parametrize(
    ("library", "allowed_in"),
    [("PySide6", {"ui"}), ("cupy", set()), ("pynvml", {"gpu"})],
)
def test_library_contracts_name_every_other_top_level_module(library, allowed_in):
    # A forbidden contract lists its sources by name: a new top-level package must join them.
    (contract,) = (c for c in _contracts().values() if library in c.get("forbidden_modules", ()))
    sources = {name.removeprefix(f"{PACKAGE}.") for name in contract["source_modules"]}
    assert sources == _top_level_modules() - allowed_in


# importlib.import_module("...") with a literal name, which import-linter does not see:
# (module, imported) pairs, each checked by hand against the rules above.
KNOWN_DYNAMIC_IMPORTS = {
    ("gpuprof_gui.gpu.nvml", "pynvml"),  # NVML may be missing: imported when first asked for
    ("gpuprof_gui.gpu.nvml", "ctypes"),
}


def _module_name(rel: Path) -> str:
    parts = [PACKAGE, *rel.with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def test_dynamic_imports_are_known():
    found = set()
    package_dir = REPO_ROOT / PACKAGE
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add((_module_name(path.relative_to(package_dir)), arg.value))
    assert found == KNOWN_DYNAMIC_IMPORTS


def non_ui_modules(package_dir: Path) -> list[str]:
    """Importable module names outside ui/ (the kernel worker may need CuPy; __main__ runs)."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir)
        if rel.parts[0] == "ui" or rel.name == "__main__.py":
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
