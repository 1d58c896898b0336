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
