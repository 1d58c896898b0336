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

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # a bare `pytest` from a checkout without install
    sys.path.insert(0, str(REPO_ROOT))

# Runs the tests start (the app in subprocesses too) are autosaved under GPUPROF_RUNS_DIR:
# keep them out of the user's ~/.cache. Tests that need their own folder set it themselves.
if "GPUPROF_RUNS_DIR" not in os.environ:
    import tempfile

    os.environ["GPUPROF_RUNS_DIR"] = tempfile.mkdtemp(prefix="gpuprof-test-runs-")

# Settings (QSettings), caches and recent files: never the user's own. Tests that
# need a folder of their own still set these themselves; everything else,
# subprocesses and the packaged app included, starts from an empty one here.
# (A test run once read a profiler choice the user had saved in the window.)
import tempfile  # noqa: E402

_TEST_HOME = tempfile.mkdtemp(prefix="gpuprof-test-home-")
for _var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
    os.environ[_var] = os.path.join(_TEST_HOME, _var.lower())

QT_IMPORT_MARKERS = ("PySide6", "pyqtgraph", "window_support", "pytestqt", "qtbot")
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Which other Pythons the user-Python tests ran the worker under (they skip when there are none)."""
    module = next((m for name, m in sys.modules.items() if name.endswith("test_user_python")), None)
    found = getattr(module, "OTHER_PYTHONS", None)
    if found is None:
        return
    from gpuprof_gui.jobs.interpreters import probe

    versions = ", ".join(probe(p).version_text for p in found) or "none found: those tests were skipped"
    terminalreporter.write_line(f"other Pythons the worker ran under: {versions}")
