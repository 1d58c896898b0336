"""Shared test setup: headless Qt, the gpu/slow markers, common fixtures."""

from __future__ import annotations

import os

# Qt reads this when the first QGuiApplication is built, so it must be set
# before any test module creates one; an explicit setting (e.g. xcb under
# Xvfb) is respected.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import functools
import sys
from pathlib import Path

import pytest

REAL_ENVIRON = dict(os.environ)
"""The environment pytest was started with, before this file moves HOME, XDG_* and the runs
folder: it says where the user's own settings, recent files and runs are (see :func:`user_places`)."""

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # a bare `pytest` from a checkout without install
    sys.path.insert(0, str(REPO_ROOT))

# Settings (QSettings), caches, recent files and runs: never the user's own. Tests that
# need a folder of their own still set these themselves; everything else, subprocesses
# and the packaged app included, starts from an empty home here. (A test run once read a
# profiler choice the user had saved in the window.) A user's own GPUPROF_RUNS_DIR is
# replaced too: the runs the tests start do not belong among theirs.
import tempfile  # noqa: E402

_TEST_HOME = tempfile.mkdtemp(prefix="gpuprof-test-home-")
for _var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
    os.environ[_var] = os.path.join(_TEST_HOME, _var.lower())
os.environ["GPUPROF_RUNS_DIR"] = os.path.join(_TEST_HOME, "runs")


def _real_home(environ: dict[str, str]) -> str:
    import pwd

    return environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir


def _lend_from_real_home(real_home: str, test_home: str) -> None:
    """HOME itself moves to the test home (for ``~`` in this process and in every subprocess),
    keeping what tests read from the real one: the pyenv Pythons the worker is tried under
    (tests/jobs/test_user_python.py looks in ``$PYENV_ROOT``; ``~/.pyenv`` is lent too) and
    git's own settings (safe.directory, say)."""
    pyenv = os.environ.get("PYENV_ROOT") or os.path.join(real_home, ".pyenv")
    if os.path.isdir(pyenv):
        os.environ["PYENV_ROOT"] = pyenv  # pyenv's shims find it without HOME; test ids keep its path
        os.symlink(pyenv, os.path.join(test_home, ".pyenv"))
    gitconfig = os.path.join(real_home, ".gitconfig")
    if os.path.isfile(gitconfig):
        os.environ.setdefault("GIT_CONFIG_GLOBAL", gitconfig)
    os.environ["HOME"] = test_home


_lend_from_real_home(_real_home(REAL_ENVIRON), _TEST_HOME)

APP_NAME = "gpuprof-gui"
"""The organisation and application name QSettings files the window's settings under
(ui/app.py), and the name of its cache folder (runs, worker bundles)."""


def user_places(environ: dict[str, str]) -> list[str]:
    """Glob patterns of the user's own gpuprof-gui files, for ``environ`` (the one pytest started with).

    QSettings (IniFormat on Linux) keeps the window's settings and recent files in
    ``$XDG_CONFIG_HOME/gpuprof-gui/gpuprof-gui.conf`` (and organisation-wide ones in
    ``gpuprof-gui.conf`` beside that folder); runs and worker bundles live in
    ``$XDG_CACHE_HOME/gpuprof-gui``, or in ``$GPUPROF_RUNS_DIR``. Both the XDG folders
    ``environ`` names and the defaults under its HOME are watched.
    """
    import glob

    home = _real_home(environ)
    patterns = []
    for var, default in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        for base in dict.fromkeys((environ.get(var) or os.path.join(home, default), os.path.join(home, default))):
            patterns.append(os.path.join(glob.escape(base), APP_NAME + "*"))
    if environ.get("GPUPROF_RUNS_DIR"):
        patterns.append(glob.escape(environ["GPUPROF_RUNS_DIR"]))
    return patterns


def snapshot_places(patterns: list[str]) -> dict[str, tuple[str, int, int]]:
    """Every file and folder under ``patterns``: path -> (kind, size, mtime in ns)."""
    import glob
    import stat

    found: dict[str, tuple[str, int, int]] = {}

    def note(path: str) -> None:
        try:
            st = os.lstat(path)
        except OSError:
            return
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "link" if stat.S_ISLNK(st.st_mode) else "file"
        found[path] = (kind, 0 if kind == "dir" else st.st_size, 0 if kind == "dir" else st.st_mtime_ns)

    for pattern in patterns:
        for top in glob.glob(pattern):
            note(top)
            for folder, dirs, files in os.walk(top):
                for name in dirs + files:
                    note(os.path.join(folder, name))
    return found


def changed_places(before: dict[str, tuple[str, int, int]], after: dict[str, tuple[str, int, int]]) -> list[str]:
    """The paths made, removed or changed between two snapshots, each with what happened."""
    out = []
    for path in sorted(before.keys() | after.keys()):
        if path not in before:
            out.append(f"made: {path}")
        elif path not in after:
            out.append(f"removed: {path}")
        elif before[path] != after[path]:
            out.append(f"changed: {path}")
    return out


USER_PLACES = user_places(REAL_ENVIRON)
_USER_FILES_BEFORE = snapshot_places(USER_PLACES)

QT_IMPORT_MARKERS = ("PySide6", "pyqtgraph", "window_support", "pytestqt", "qtbot", "gpuprof_gui.ui")
"""A test module whose source names one of these needs Qt."""


def _qt_missing() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("PySide6") is None
    except ImportError:  # a broken or blocked install counts as missing
        return True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Without Qt (a bare GPU machine), skip the modules that need it: `pytest -m gpu` still collects."""
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_") or not _qt_missing():
        return None
    text = collection_path.read_text(encoding="utf-8", errors="replace")
    return True if any(marker in text for marker in QT_IMPORT_MARKERS) else None


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject.toml; repeated here so the markers are known
    # even when pytest runs with another config file (e.g. on the GPU machine).
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU with CuPy; skipped cleanly otherwise")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    # An exception in a thread or in a __del__ fails the test that caused it, as one in the test would.
    config.addinivalue_line("filterwarnings", "error::pytest.PytestUnhandledThreadExceptionWarning")
    config.addinivalue_line("filterwarnings", "error::pytest.PytestUnraisableExceptionWarning")
    config.addinivalue_line(
        "markers", "expect_traceback(why): the test's own output may hold a Python traceback, for the reason given"
    )


TRACEBACK_MARKS = ("Traceback (most recent call last)", "Exception ignored in", "Fatal Python error")
"""Text that means an exception reached a console: in a passing test's output it is a bug."""


@pytest.hookimpl(hookwrapper=True, trylast=True)  # innermost: other wrappers see the verdict
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """A test that passed but printed a traceback (its process, a worker it let write to the
    terminal, a Qt slot, a thread, a logged exception) fails, unless it says why it expects one."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not report.passed or item.get_closest_marker("expect_traceback"):
        return None
    # Each phase's report repeats the earlier phases' sections: read this phase's own.
    text = "\n".join(body for title, body in report.sections if title.endswith(f" {report.when}"))
    found = next((mark for mark in TRACEBACK_MARKS if mark in text), None)
    if found is not None:
        start = text.index(found)
        report.outcome = "failed"
        report.longrepr = (
            f"unexpected traceback in the test's output ({report.when}); mark the test "
            f"expect_traceback(why) if it is meant to be there:\n{text[max(0, start - 400) : start + 3000]}"
        )
    return None


@functools.cache
def cuda_unavailable_reason() -> str | None:
    """None when CuPy imports and sees a CUDA device, else why not (for the skip)."""
    try:
        import cupy  # imported only when a gpu test is collected
    except Exception as exc:  # noqa: BLE001 - ImportError, or a broken CUDA install raising anything
        return f"CuPy is not importable ({type(exc).__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - CUDARuntimeError without a driver
        return f"no usable CUDA driver ({type(exc).__name__}: {exc})"
    if count <= 0:
        return "CuPy found no CUDA device"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    reason = cuda_unavailable_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"gpu test: {reason}")
    for item in gpu_items:
        item.add_marker(skip)


@pytest.fixture
def tmp_script(tmp_path: Path):
    """Factory: ``tmp_script(text, name="script.py")`` writes a script into tmp_path, returns its path."""

    def write(text: str, name: str = "script.py") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def examples_dir() -> Path:
    """The bundled example scripts (resources/examples)."""
    from gpuprof_gui.assets import examples_dir as bundled_examples_dir

    return bundled_examples_dir()


@pytest.fixture
def repo_root() -> Path:
    """The checkout the tests run from."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def user_venv(tmp_path_factory):
    """Factory: ``user_venv(packages, base=None)`` -> the python of a virtualenv made now, with
    ``packages`` installed from the registry (once per session for each base and package list).

    The user's own environment, as a data scientist has one: not the app's.
    """
    import subprocess

    made: dict[tuple[str, tuple[str, ...]], str] = {}

    def make(packages: tuple[str, ...] | list[str], base: str | None = None) -> str:
        base = base or getattr(sys, "_base_executable", sys.executable)
        key = (base, tuple(packages))
        if key in made:
            return made[key]
        where = tmp_path_factory.mktemp("venv") / ".venv"
        res = subprocess.run([base, "-m", "venv", str(where)], capture_output=True, text=True, timeout=180)
        if res.returncode != 0:
            pytest.skip(f"{base} cannot make a virtualenv: {res.stderr.strip()[-200:]}")
        python = str(where / "bin" / "python")
        res = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages],
            capture_output=True,
            text=True,
            timeout=480,
        )
        if res.returncode != 0:
            pytest.fail(f"pip install {' '.join(packages)} into {where} failed: {res.stderr.strip()[-600:]}")
        made[key] = python
        return python

    return make


_user_files_changed: list[str] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session fails when it changed the user's own settings, recent files or runs, whatever else passed."""
    _user_files_changed[:] = changed_places(_USER_FILES_BEFORE, snapshot_places(USER_PLACES))
    if _user_files_changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What the session changed among the user's own files, and which other Pythons the worker ran under."""
    if _user_files_changed:
        terminalreporter.section("the user's own gpuprof-gui files changed", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            "The tests must use the test home (tests/conftest.py), never the user's settings, "
            "recent files or runs; a gpuprof-gui used outside the tests meanwhile would also show here:"
        )
        for line in _user_files_changed[:50]:
            terminalreporter.write_line(f"  {line}")
    module = next((m for name, m in sys.modules.items() if name.endswith("test_user_python")), None)
    found = getattr(module, "OTHER_PYTHONS", None)
    if found is None:
        return
    from gpuprof_gui.jobs.interpreters import probe

    versions = ", ".join(probe(p).version_text for p in found) or "none found: those tests were skipped"
    terminalreporter.write_line(f"other Pythons the worker ran under: {versions}")
