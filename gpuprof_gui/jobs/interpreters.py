"""Running the profile worker in the user's own Python: asking it what it is, and what it needs.

:func:`probe` starts the chosen Python once (from an empty folder, so nothing planted
in the current folder runs) and reads its version and ``sys.prefix``; whether it has
Scalene is the worker's to say, in that Python. :func:`worker_bundle` is the worker's code for such a Python: a
read-only folder holding only ``gpuprof_gui``'s Qt-free worker modules and a launcher,
so the user's environment gets nothing installed and the script sees nothing of the
app's own packages (numpy, Qt) on its path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import gpuprof_gui
from gpuprof_gui.core.interpreter import APP_REASON, Interpreter, app_interpreter, detect
from gpuprof_gui.protocol import PROTOCOL_VERSION
from gpuprof_gui.workers.relaunch import LAUNCHER_NAME

MIN_VERSION = (3, 9)
"""The oldest Python the worker modules run on."""
PROBE_TIMEOUT_S = 20.0

_PROBE = (
    "import json, sys\n"
    "print(json.dumps({'version': list(sys.version_info[:3]), 'implementation': sys.implementation.name,"
    " 'prefix': sys.prefix}))\n"
)


class InterpreterError(Exception):
    """The chosen Python cannot run the worker; ``str()`` is one sentence saying why."""


@dataclass(frozen=True)
class PythonInfo:
    """What :func:`probe` learnt of a Python."""

    path: str
    version: tuple[int, int, int]
    implementation: str
    prefix: str

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def is_app(self) -> bool:
        """The app's own environment (same prefix, same version): the worker runs as it always did."""
        return _same_path(self.prefix, sys.prefix) and self.version == tuple(sys.version_info[:3])


def _same_path(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


_PROBED: dict[tuple[str, float], PythonInfo] = {}


def probe(path: str) -> PythonInfo:
    """Ask the Python at ``path`` what it is; InterpreterError with one sentence when it cannot serve."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InterpreterError(f"The Python {path} does not exist ({exc.strerror}).") from None
    if not stat.S_ISREG(st.st_mode) or not os.access(path, os.X_OK):
        raise InterpreterError(f"{path} is not a program that can be run, so it cannot be the Python for the script.")
    key = (os.path.abspath(path), st.st_mtime)
    if key in _PROBED:
        return _PROBED[key]
    with tempfile.TemporaryDirectory(prefix="gpuprof-probe-") as empty:
        try:
            res = subprocess.run(
                [path, "-c", _PROBE],
                cwd=empty,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=PROBE_TIMEOUT_S,
            )
        except OSError as exc:
            raise InterpreterError(f"The Python {path} could not be started ({exc.strerror or exc}).") from None
        except subprocess.TimeoutExpired:
            raise InterpreterError(
                f"The Python {path} did not answer within {PROBE_TIMEOUT_S:.0f} s, so it cannot run the script."
            ) from None
    try:
        facts = json.loads(res.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        version = tuple(int(x) for x in facts["version"])[:3]
    except (ValueError, KeyError, IndexError, TypeError):
        said = (res.stderr or res.stdout).decode("utf-8", "replace").strip().splitlines()
        raise InterpreterError(
            f"{path} did not answer as a Python 3 does" + (f" ({said[-1][:200]})." if said else ".")
        ) from None
    info = PythonInfo(
        path=path,
        version=(*version, 0, 0, 0)[:3],  # type: ignore[arg-type]
        implementation=str(facts.get("implementation", "")),
        prefix=str(facts.get("prefix", "")),
    )
    if info.implementation != "cpython":
        raise InterpreterError(
            f"{path} is {info.implementation} {info.version_text}; the profilers need CPython (the usual Python)."
        )
    if info.version[:2] < MIN_VERSION:
        raise InterpreterError(
            f"{path} is Python {info.version_text}; gpuprof profiles scripts under Python "
            f"{MIN_VERSION[0]}.{MIN_VERSION[1]} or newer."
        )
    _PROBED[key] = info
    return info


AUTO = "auto"
APP = "app"


def choose(script: str, requested: str | None = None) -> Interpreter:
    """The Python for ``script``: ``requested`` (a path, ``app`` or ``auto``/None: detected)."""
    if requested in (None, "", AUTO):
        return detect(script)
    if requested == APP:
        return app_interpreter()
    path = shutil.which(requested) if os.sep not in requested else requested
    return Interpreter(os.path.abspath(path or requested), "chosen")


def describe(choice: Interpreter, info: PythonInfo | None) -> str:
    """ "Python 3.12.1 from ./.venv (/home/me/p/.venv/bin/python)" for a status line."""
    version = f"Python {info.version_text}" if info is not None else "Python"
    if choice.reason == APP_REASON:
        return f"{version}, {APP_REASON}"
    return f"{version} {choice.reason} ({choice.path})"


# -- the worker's code, for another Python ------------------------------------------------------

BUNDLE_FILES = (
    "__init__.py",
    "protocol.py",
    "workers/__init__.py",
    "workers/_channel.py",
    "workers/profile_worker.py",
    "workers/cprofile_run.py",
    "workers/gpu_trace_run.py",
    "workers/pyspy_run.py",
    "workers/pyspy_target.py",
    "workers/scalene_run.py",
    "workers/scalene_boot.py",
    "workers/script_code.py",
    "workers/stack_sampler.py",
    "workers/worker_lifetime.py",
    "workers/relaunch.py",
)
"""What the profile worker imports: nothing outside the standard library, Qt-free, Python 3.9+."""
KEEP_BUNDLES = 3


def bundles_root() -> str:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "gpuprof-gui", "worker")


FROZEN_SOURCES = "gpuprof_src"
"""Where the packaged app keeps gpuprof_gui's .py files for other Pythons (packaging/gpuprof-gui.spec)."""


def _package_dir() -> str:
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:  # the packaged app's modules are bytecode in an archive
        return os.path.join(bundle, FROZEN_SOURCES, "gpuprof_gui")
    return os.path.dirname(os.path.abspath(gpuprof_gui.__file__))


def bundle_sources(files: tuple[str, ...] = BUNDLE_FILES) -> tuple[str, dict[str, bytes]]:
    """The bundle's name (``VERSION-DIGEST``) and its files by path inside the bundle, launcher included.

    The digest covers the protocol version and every byte, so an edited checkout makes a new bundle.
    """
    package = _package_dir()
    digest = hashlib.sha256(PROTOCOL_VERSION.to_bytes(4, "big"))
    sources: dict[str, bytes] = {}
    for rel in files:
        with open(os.path.join(package, rel), "rb") as fh:
            data = fh.read()
        sources["gpuprof_gui/" + rel] = data
        digest.update(rel.encode() + b"\0" + data)
    launcher_source = _LAUNCHER.encode()
    digest.update(launcher_source)
    sources[LAUNCHER_NAME] = launcher_source
    return f"{gpuprof_gui.__version__}-{digest.hexdigest()[:16]}", sources


def worker_bundle(root: str | None = None) -> str:
    """The folder holding the worker's code for another Python (made once per version of that code).

    Returns the launcher's path: ``python LAUNCHER module args...`` runs a worker module.
    """
    root = root or bundles_root()
    name, sources = bundle_sources()
    final = os.path.join(root, name)
    launcher = os.path.join(final, LAUNCHER_NAME)
    if os.path.isfile(launcher):
        return launcher
    os.makedirs(root, exist_ok=True)
    building = tempfile.mkdtemp(prefix=".building-", dir=root)
    try:
        for rel, data in sources.items():
            target = os.path.join(building, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
        _read_only(building)
        try:
            os.rename(building, final)
        except OSError:  # another process made it first
            if not os.path.isfile(launcher):
                raise
    finally:
        if os.path.isdir(building):
            _remove(building)
    _prune(root, keep=final)
    return launcher


def _read_only(folder: str) -> None:
    for here, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            os.chmod(os.path.join(here, name), 0o444)
        for name in dirs:
            os.chmod(os.path.join(here, name), 0o555)
    os.chmod(folder, 0o555)


def _remove(folder: str) -> None:
    for here, dirs, _files in os.walk(folder):
        os.chmod(here, 0o755)
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(here, name), 0o755)
    shutil.rmtree(folder, ignore_errors=True)


def _prune(root: str, keep: str) -> None:
    """Keep the newest few bundles: each app version (or edited checkout) makes its own."""
    try:
        entries = [os.path.join(root, n) for n in os.listdir(root) if not n.startswith(".")]
        entries.sort(key=lambda p: os.stat(p).st_mtime, reverse=True)
    except OSError:
        return
    for old in entries[KEEP_BUNDLES:]:
        if old != keep:
            _remove(old)


_LAUNCHER = '''"""Starts one of gpuprof's worker modules in this Python: python gpuprof_worker_main.py MODULE ARGS...

Run by path, so this folder (and nothing else of gpuprof's) is first on sys.path; the
current folder is not on it. Made by gpuprof; read-only; safe to delete.
"""
import runpy
import sys

WORKERS = (
    "gpuprof_gui.workers.profile_worker",
    "gpuprof_gui.workers.scalene_boot",
    "gpuprof_gui.workers.remote_agent",
    "gpuprof_gui.workers.kernel_worker",
    "gpuprof_gui.workers.telemetry_stream",
)

if len(sys.argv) < 2 or sys.argv[1] not in WORKERS:
    sys.exit("usage: gpuprof_worker_main.py {" + ",".join(WORKERS) + "} ARGS...")
module = sys.argv.pop(1)
runpy.run_module(module, run_name="__main__", alter_sys=True)
'''
