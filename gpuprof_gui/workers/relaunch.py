"""How a worker starts another worker module in its own Python.

In the app's Python the worker runs as ``python -P -m MODULE``. In a user's Python it
runs from the worker bundle (:mod:`gpuprof_gui.jobs.interpreters`), whose launcher sits
beside the ``gpuprof_gui`` folder; ``-P`` exists from Python 3.11 only, and running the
launcher by path keeps the current folder off ``sys.path`` on every version.
"""

from __future__ import annotations

import os
import sys

LAUNCHER_NAME = "gpuprof_worker_main.py"
ADDED_PATH_ENV = "GPUPROF_WORKER_ADDED_PATH"
"""The package root the runner put on PYTHONPATH only so ``-m`` finds an uninstalled checkout."""
ORIGINAL_PYTHONPATH_ENV = "GPUPROF_WORKER_ORIGINAL_PYTHONPATH"


def bundle_launcher() -> str | None:
    """The bundle's launcher when this worker runs from a bundle, else None."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    launcher = os.path.join(os.path.dirname(package), LAUNCHER_NAME)
    return launcher if os.path.isfile(launcher) else None


def module_command(module: str) -> list[str]:
    """The command line that runs ``module`` as ``__main__`` in this Python, the current folder kept off its path."""
    launcher = bundle_launcher()
    if launcher is not None:
        return [sys.executable, launcher, module]
    if getattr(sys, "frozen", False):
        return [sys.executable, "-m", module]
    return [sys.executable, "-P", "-m", module]


def restore_environment() -> None:
    """Undo the PYTHONPATH entry added only so ``-m`` finds us: the script must not see it."""
    added = os.environ.pop(ADDED_PATH_ENV, None)
    original = os.environ.pop(ORIGINAL_PYTHONPATH_ENV, None)
    if added is None:
        return
    if original:
        os.environ["PYTHONPATH"] = original
    else:
        os.environ.pop("PYTHONPATH", None)
    if added in sys.path and added not in (original or "").split(os.pathsep):
        sys.path.remove(added)


def module_env() -> dict:
    """The environment for :func:`module_command`: ours, plus our package's folder on PYTHONPATH
    (marked, so the started module removes it again before any user code runs)."""
    env = dict(os.environ)
    if bundle_launcher() is not None or getattr(sys, "frozen", False):
        return env  # the launcher's folder, or the app's archive, is on the path already
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    original = env.get("PYTHONPATH", "")
    env[ADDED_PATH_ENV] = root
    env[ORIGINAL_PYTHONPATH_ENV] = original
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, original) if p)
    return env
