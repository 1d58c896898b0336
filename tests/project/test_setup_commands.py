"""The README's two commands, tried for real in a fresh clone of the committed HEAD.

Slow (a fresh venv installs PySide6 and friends; pip's cache makes it ~1-2 min).
Only committed files are in the clone, exactly what a new user or CI gets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None, reason="needs make and git"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]
# First install into an empty venv dominates: PySide6 (~100 MB wheel) from the
# cache or the index, then numpy, pyqtgraph, scalene.
INSTALL_TIMEOUT_S = 900
# The window profiles the example (~3 s under cProfile) before its screenshot.
RUN_TIMEOUT_S = 300
QUICK_TIMEOUT_S = 60
SCREENSHOT_ENV = "GPUPROF_SCREENSHOT"  # the app saves its window there and quits
NO_DISPLAY_MESSAGE = "make run: no display"
HEADLESS_HINT = (
    "QT_QPA_PLATFORM=offscreen .venv/bin/gpuprof gui resources/examples/hotspots_demo.py --run --screenshot shot.png"
)
# Variables of an outer make (e.g. `make test PYTEST_ARGS=...` running this
# test) or of the outer session that would leak into the clone's commands.
_LEAKY_ENV = (
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "MAKEOVERRIDES",
    "PYTEST_ARGS",
    "PYTEST_ADDOPTS",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "QT_QPA_PLATFORM",
    SCREENSHOT_ENV,
)


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not running from a git checkout")
    target = tmp_path_factory.mktemp("fresh") / "gpuprof-gui"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(target)], check=True, timeout=QUICK_TIMEOUT_S)
    return target


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env.update(extra)
    return env


def make(clone: Path, *args: str, env: dict[str, str], timeout_s: float) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *args], cwd=clone, env=env, capture_output=True, text=True, timeout=timeout_s)


def test_ci_entry_point_runs_make_test():
    ci = REPO_ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    text = ci.read_text()
    assert "set -euo pipefail" in text
    assert text.strip().splitlines()[-1] == "make test"


def test_make_run_without_display_says_so_in_one_line(clone):
    result = make(clone, "run", env=clean_env(), timeout_s=QUICK_TIMEOUT_S)
    # The recipe exits 1; GNU make reports any failed recipe with status 2.
    assert result.returncode != 0
    ours = [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith("make: ***")]
    assert len(ours) == 1, ours
    assert ours[0].startswith(NO_DISPLAY_MESSAGE)
    assert HEADLESS_HINT in ours[0]
    assert not (clone / ".venv").exists(), "failing for want of a display should not install first"


@pytest.mark.timeout(INSTALL_TIMEOUT_S + QUICK_TIMEOUT_S)
def test_make_test_installs_and_runs_a_narrow_selection(clone):
    result = make(
        clone, "test", "PYTEST_ARGS=tests/project/test_layering.py", env=clean_env(), timeout_s=INSTALL_TIMEOUT_S
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert " passed" in output
    assert "test_examples" not in output  # the selection held; the suite did not run
    assert (clone / ".venv" / ".install-stamp").is_file()

    again = make(clone, "install", env=clean_env(), timeout_s=QUICK_TIMEOUT_S)
    assert again.returncode == 0
    assert "installing" not in again.stdout, "install should be a no-op while pyproject.toml is unchanged"


@pytest.mark.timeout(INSTALL_TIMEOUT_S + QUICK_TIMEOUT_S)
def test_make_test_fails_when_nothing_is_collected(clone):
    # pytest exits 5 when no test runs; nothing in the chain may turn that into success.
    args = "PYTEST_ARGS=tests/project/test_layering.py -k no_test_is_called_this"
    result = make(clone, "test", args, env=clean_env(), timeout_s=INSTALL_TIMEOUT_S)
    assert result.returncode != 0
    assert "deselected" in result.stdout + result.stderr


@pytest.mark.timeout(INSTALL_TIMEOUT_S + RUN_TIMEOUT_S)
def test_make_run_opens_the_window_offscreen(clone, tmp_path):
    # Without support the window would stay open until the timeout.
    sources = "\n".join(p.read_text(errors="replace") for p in (clone / "gpuprof_gui").rglob("*.py"))
    if SCREENSHOT_ENV not in sources:
        pytest.xfail(f"the app does not honour {SCREENSHOT_ENV} yet")
    shot = tmp_path / "window.png"
    env = clean_env(QT_QPA_PLATFORM="offscreen", **{SCREENSHOT_ENV: str(shot)})
    result = make(clone, "run", env=env, timeout_s=INSTALL_TIMEOUT_S + RUN_TIMEOUT_S)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert shot.is_file(), output[-4000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000, "the screenshot looks empty"


@pytest.mark.timeout(INSTALL_TIMEOUT_S)
def test_wheel_carries_the_resources(clone, tmp_path):
    # A real (non-editable) build: what `pip install .` or a release would ship.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(clone)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    (wheel,) = tmp_path.glob("gpuprof_gui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "gpuprof_gui/assets.py",
        "gpuprof_gui/resources/gpuprof.svg",
        "gpuprof_gui/resources/gpuprof-256.png",
        "gpuprof_gui/resources/examples/hotspots_demo.py",
        "gpuprof_gui/resources/examples/recursion_demo.py",
        "gpuprof_gui/resources/examples/numpy_demo.py",
        "gpuprof_gui/resources/examples/kernels/saxpy.py",
        "gpuprof_gui/resources/recorded/saxpy_h100/lab_results.json",
        "gpuprof_gui/resources/recorded/saxpy_h100/telemetry.json",
    ):
        assert expected in names
    assert not any(name.startswith(("resources/", "tests/")) for name in names)
