"""Which Python runs a script: the one its project uses, found as an IDE finds it.

A data scientist's script imports the packages of *their* environment (a virtualenv,
a conda env), not the app's. :func:`detect` looks, in this order, for

1. an active virtualenv (``$VIRTUAL_ENV``) or conda env (``$CONDA_PREFIX``);
2. a ``.venv`` or ``venv`` folder beside the script or in a folder above it, up to the
   project's root (the first folder holding ``pyproject.toml``, ``setup.py``,
   ``setup.cfg`` or ``.git``; without one, up to the home folder);
3. a conda env made inside the project (``conda create -p ./env``: a folder with ``conda-meta``);
4. the script's shebang line (``#!/usr/bin/env python3.12``, ``#!/opt/py/bin/python``);
5. the app's own Python.

Each answer says why it was chosen ("from ./.venv", "conda env 'ml'"). Nothing here runs
a program: :mod:`gpuprof_gui.jobs.interpreters` asks the chosen Python its version.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
"""A folder holding one of these is a project's root: the search for a venv stops there."""
VENV_NAMES = (".venv", "venv")
CONDA_NAMES = (".conda", "env", ".env", "conda-env")
APP_REASON = "the app's own"


@dataclass(frozen=True)
class Interpreter:
    """A Python to run a script with, and why it was chosen."""

    path: str
    reason: str

    @property
    def is_app(self) -> bool:
        return self.reason == APP_REASON


def app_interpreter() -> Interpreter:
    return Interpreter(sys.executable, APP_REASON)


def env_python(prefix: str) -> str | None:
    """The Python of the environment at ``prefix`` (``bin/python``, or ``Scripts\\python.exe``), if any."""
    for rel in (("bin", "python3"), ("bin", "python"), ("Scripts", "python.exe"), ("python.exe",)):
        path = os.path.join(prefix, *rel)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _relative(folder: str, base: str) -> str:
    rel = os.path.relpath(folder, base)
    return "./" + rel if not rel.startswith("..") else rel


def project_root(start: str, home: str | None = None) -> str | None:
    """The first folder from ``start`` upward holding a root marker; None if none below ``home``/``/``."""
    folder = os.path.abspath(start)
    home = os.path.abspath(home or os.path.expanduser("~"))
    while True:
        if any(os.path.exists(os.path.join(folder, m)) for m in ROOT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if folder == home or parent == folder:
            return None
        folder = parent


def _folders_up(start: str, home: str | None) -> list[str]:
    """``start`` and its parents up to the project root (inclusive), else up to home or ``/``."""
    stop = project_root(start, home)
    home = os.path.abspath(home or os.path.expanduser("~"))
    folders, folder = [], os.path.abspath(start)
    while True:
        folders.append(folder)
        parent = os.path.dirname(folder)
        if folder == stop or (stop is None and folder == home) or parent == folder:
            return folders
        folder = parent


def shebang_python(script: str, environ: Mapping[str, str]) -> str | None:
    """The Python a script's ``#!`` line names, found on PATH for ``/usr/bin/env``; None if none."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if words and os.path.basename(words[0]) == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
        if not words or not os.path.basename(words[0]).startswith("python"):
            return None
        return shutil.which(words[0], path=environ.get("PATH"))
    if not words or not os.path.basename(words[0]).startswith("python"):
        return None
    return words[0] if os.path.isfile(words[0]) and os.access(words[0], os.X_OK) else None


def detect(script: str, environ: Mapping[str, str] | None = None, home: str | None = None) -> Interpreter:
    """The Python that should run ``script`` (a file or a folder), with the reason."""
    env = os.environ if environ is None else environ
    if (venv := env.get("VIRTUAL_ENV")) and (python := env_python(venv)):
        return Interpreter(python, f"from $VIRTUAL_ENV ({os.path.basename(os.path.normpath(venv))})")
    if (conda := env.get("CONDA_PREFIX")) and (python := env_python(conda)):
        name = env.get("CONDA_DEFAULT_ENV") or os.path.basename(os.path.normpath(conda))
        return Interpreter(python, f"conda env '{name}'")
    start = script if os.path.isdir(script) else os.path.dirname(os.path.abspath(script))
    folders = _folders_up(start, home)
    for folder in folders:
        for name in VENV_NAMES:
            place = os.path.join(folder, name)
            if os.path.isfile(os.path.join(place, "pyvenv.cfg")) and (python := env_python(place)):
                return Interpreter(python, f"from {_relative(place, start)}")
    for folder in folders:
        for name in CONDA_NAMES:
            place = os.path.join(folder, name)
            if os.path.isdir(os.path.join(place, "conda-meta")) and (python := env_python(place)):
                return Interpreter(python, f"conda env {_relative(place, start)}")
    if os.path.isfile(script) and (python := shebang_python(script, env)):
        return Interpreter(python, "the script's shebang")
    return app_interpreter()
