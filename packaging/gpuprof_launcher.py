"""Entry point of the one-folder app that packaging/gpuprof-gui.spec builds.

One executable, ``gpuprof-gui``, does three jobs:

- ``gpuprof-gui [SCRIPT|PROFILE] [gui options]``: the window, as ``gpuprof gui ...``
  (no arguments, an option first, or a path first);
- ``gpuprof-gui VERB ...`` (``profile``, ``open``, ``gui``, ``advise``, ...): the
  command line, as ``gpuprof VERB ...`` (a bare word first);
- ``gpuprof-gui -m MODULE ...`` / ``-c CODE ...``: a stand-in for ``python``. The
  workers are started as ``sys.executable -m gpuprof_gui.workers.X``, and in a
  frozen app ``sys.executable`` is this file, not a Python. The profile worker
  then runs the user's script with the bundled interpreter, and that script's
  own ``sys.executable SCRIPT`` children run here too (``GPUPROF_AS_PYTHON``).

CuPy is deliberately not bundled (it is as large as the rest of the app and must
match the user's driver). The kernel worker is handed to a system Python that
can import CuPy: ``$GPUPROF_PYTHON``, else ``python3`` on PATH. Where there is
one, the window sees ``find_spec("cupy")`` succeed (a stand-in spec whose import
fails), so the kernel lab is offered; where there is none, the lab says CuPy is
missing, as it does in a source install without CuPy.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import runpy
import shutil
import subprocess
import sys

KERNEL_WORKER_MODULE = "gpuprof_gui.workers.kernel_worker"
USER_PYTHON_ENV = "GPUPROF_PYTHON"  # the user's choice of a Python with CuPy
# Set by the launcher once it has found (and checked) a Python with CuPy, so the
# kernel workers started later do not probe again.
KERNEL_PYTHON_ENV = "GPUPROF_KERNEL_PYTHON"
# Set when the launcher runs a worker: the user's script and its children then
# get `python SCRIPT` behaviour from `sys.executable SCRIPT`, not the window.
AS_PYTHON_ENV = "GPUPROF_AS_PYTHON"
# PyInstaller's bootloader prepends the bundle to LD_LIBRARY_PATH and keeps the
# user's value here; a system Python must not load the bundle's libraries.
LD_PATH_ORIG_ENV = "LD_LIBRARY_PATH_ORIG"
# From gpuprof_gui.workers.profile_worker: what the runner added to PYTHONPATH.
ADDED_PATH_ENV = "GPUPROF_WORKER_ADDED_PATH"
ORIGINAL_PYTHONPATH_ENV = "GPUPROF_WORKER_ORIGINAL_PYTHONPATH"
# gpuprof_gui's .py files, copied into the bundle for the system Python (the
# bundled modules are compiled into the executable's archive).
SOURCE_DIR_NAME = "gpuprof_src"

# The kernel worker's modules need 3.11 (as pyproject.toml); CuPy needs numpy.
PROBE_CODE = (
    "import sys, importlib.util as u; sys.exit(0 if sys.version_info >= (3, 11) "
    "and u.find_spec('cupy') and u.find_spec('numpy') else 1)"
)
# A cold start of CuPy's package metadata on a network home can take seconds.
PROBE_TIMEOUT_S = 30.0


def route(argv: list[str], as_python: bool = False) -> str:
    """``"python"``, ``"cli"`` or ``"gui"``: which job ``argv`` (without argv[0]) asks for."""
    if argv[:1] in (["-m"], ["-c"]):
        return "python"
    if as_python and argv:
        return "python"
    if not argv:
        return "gui"
    first = argv[0]
    if first in ("-h", "--help"):
        return "cli"  # the CLI's help lists every verb, gui included
    if first.startswith("-") or os.sep in first or "." in first:
        return "gui"  # gui options, or a script/profile path; no verb has a dot
    return "cli"


def system_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` as a program outside the bundle should see it: the user's library path.

    The bootloader sets LD_LIBRARY_PATH at every start of the bundle, so
    removing it here changes nothing for workers, only for other programs.
    """
    out = dict(env)
    if LD_PATH_ORIG_ENV in out:
        out["LD_LIBRARY_PATH"] = out.pop(LD_PATH_ORIG_ENV)
    elif _points_into_bundle(out.get("LD_LIBRARY_PATH", "")):
        del out["LD_LIBRARY_PATH"]
    return out


def _points_into_bundle(path_list: str) -> bool:
    bundle = getattr(sys, "_MEIPASS", None)
    return bool(bundle) and any(p.startswith(bundle) for p in path_list.split(os.pathsep) if p)


def user_env(env: dict[str, str]) -> dict[str, str]:
    """The environment a worker's script should see: no traces of the bundle or of the runner.

    The runner puts the package's folder (here the bundle) on PYTHONPATH for
    ``-m`` and the profile worker would take that entry off ``sys.path`` again,
    which here is the entry the bundled modules are imported from. Undone here
    instead, before the worker starts.
    """
    out = system_env(env)
    added = out.pop(ADDED_PATH_ENV, None)
    original = out.pop(ORIGINAL_PYTHONPATH_ENV, None)
    if added is not None:
        if original:
            out["PYTHONPATH"] = original
        else:
            out.pop("PYTHONPATH", None)
    return out


def kernel_env(env: dict[str, str], source_dir: str) -> dict[str, str]:
    """Environment of the kernel worker in a system Python: our sources first on PYTHONPATH."""
    out = user_env(env)
    rest = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p and not _points_into_bundle(p)]
    out["PYTHONPATH"] = os.pathsep.join([source_dir, *rest])
    return out


def _replace_environ(new: dict[str, str]) -> None:
    for key in [k for k in os.environ if k not in new]:
        del os.environ[key]
    os.environ.update(new)


def python_has_cupy(python: str, env: dict[str, str]) -> bool:
    """True when ``python`` runs, is 3.11+, and can import CuPy and numpy (not imported here)."""
    try:
        done = subprocess.run(
            [python, "-c", PROBE_CODE],
            env=system_env(env),
            timeout=PROBE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def find_kernel_python(env: dict[str, str]) -> str | None:
    """``$GPUPROF_PYTHON``, else ``python3`` on PATH, if it can import CuPy; None otherwise."""
    chosen = env.get(USER_PYTHON_ENV)
    candidates = [chosen] if chosen else [shutil.which("python3", path=env.get("PATH"))]
    for python in candidates:
        if python and python_has_cupy(python, env):
            return python
    return None


class _CupyElsewhere(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``find_spec("cupy")`` succeeds (CuPy is reachable, in the kernel worker); importing it fails.

    The window and the CLI only ask whether CuPy is there; importing it in
    their process is never wanted (it could create a CUDA context there).
    """

    def find_spec(self, name, path=None, target=None):
        return importlib.machinery.ModuleSpec(name, self) if name == "cupy" else None

    def create_module(self, spec):
        raise ImportError("CuPy runs only in the kernel worker's system Python", name="cupy")

    def exec_module(self, module) -> None:  # never reached: create_module raises
        raise ImportError("CuPy runs only in the kernel worker's system Python", name="cupy")


def _bundle_dir() -> str:
    return getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(__file__)))


def _hand_kernel_worker_to_system_python(args: list[str]) -> None:
    """Replace this process with the kernel worker in a Python that has CuPy; return if there is none.

    ``exec`` keeps the pid, the process group and the channel descriptor, so
    the parent supervises the new program exactly as it started it.
    """
    python = os.environ.get(KERNEL_PYTHON_ENV) or find_kernel_python(dict(os.environ))
    if not python:
        return  # runs in the bundle, where it reports in words that CuPy is missing
    env = kernel_env(dict(os.environ), os.path.join(_bundle_dir(), SOURCE_DIR_NAME))
    sys.stdout.flush()
    sys.stderr.flush()
    # -P (3.11+): the working folder does not go first on sys.path, so a
    # folder named gpuprof_gui there cannot stand in for the app's own copy.
    os.execve(python, [python, "-P", "-m", KERNEL_WORKER_MODULE, *args], env)


def run_as_python(argv: list[str]) -> int:
    """``python -m MODULE ...``, ``python -c CODE ...`` or ``python SCRIPT ...`` with the bundled interpreter."""
    _replace_environ(user_env(dict(os.environ)))
    os.environ[AS_PYTHON_ENV] = "1"
    # The bootloader ignores PYTHONPATH. Its folders go last, so that the
    # bundle's own numpy and standard library always win over what is there.
    sys.path.extend(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path)
    if argv[0] == "-m" and len(argv) >= 2:
        module, rest = argv[1], argv[2:]
        if module == KERNEL_WORKER_MODULE:
            _hand_kernel_worker_to_system_python(rest)
        sys.argv = [module, *rest]  # run_module puts the module's file in argv[0]
        sys.path.insert(0, os.getcwd())  # as `python -m` does
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    elif argv[0] == "-c" and len(argv) >= 2:
        sys.argv = ["-c", *argv[2:]]
        sys.path.insert(0, "")
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    elif argv[0].startswith("-"):
        print(
            f"gpuprof-gui: as a Python it understands only -m MODULE, -c CODE or SCRIPT, not {argv[0]}", file=sys.stderr
        )
        return 2
    else:
        sys.argv = list(argv)
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


def main() -> int:
    frozen = getattr(sys, "frozen", False)
    if frozen:
        import multiprocessing

        # Children that multiprocessing starts run `sys.executable` with its own
        # flags; PyInstaller's hook answers them here.
        multiprocessing.freeze_support()
    argv = sys.argv[1:]
    job = route(argv, as_python=bool(os.environ.get(AS_PYTHON_ENV)))
    if job == "python":
        return run_as_python(argv)
    if frozen and not os.environ.get(KERNEL_PYTHON_ENV):
        python = find_kernel_python(dict(os.environ))
        if python:
            os.environ[KERNEL_PYTHON_ENV] = python
    if frozen and os.environ.get(KERNEL_PYTHON_ENV):
        sys.meta_path.append(_CupyElsewhere())
    from gpuprof_gui.cli import main as cli_main

    return cli_main(argv if job == "cli" else ["gui", *argv])


if __name__ == "__main__":
    sys.exit(main())
