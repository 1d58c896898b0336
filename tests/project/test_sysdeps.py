"""`make run` on a desktop without Qt's Debian packages: installed first as root, else one sudo line.

The Makefile and tools/sysdeps.sh run for real, in a copy of the project whose .venv is a
stand-in (its gpuprof-gui only notes that the window was started). What the system says is
faked on PATH: dpkg-query (which packages are installed), id (root or not) and apt-get
(which notes what it was asked to install).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or not sys.platform.startswith("linux"), reason="needs make, on Linux"
)

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60
ABSENT = ("libxcb-icccm4", "libxcb-keysyms1")
INSTALL_LINE = "sudo apt-get install libxcb-icccm4 libxcb-keysyms1"
_LEAKY_ENV = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def _system(tmp_path: Path, uid: int, absent: tuple[str, ...] = ABSENT, t64: tuple[str, ...] = ()) -> Path:
    """A folder of fakes for PATH: every package installed but ``absent`` (and *t64 names but ``t64``)."""
    bin_dir = tmp_path / "system"
    bin_dir.mkdir(parents=True)
    _script(
        bin_dir / "dpkg-query",
        "for pkg; do :; done\n"  # the package is the last argument
        f'case " {" ".join(absent)} " in *" $pkg "*) exit 1 ;; esac\n'
        f'case $pkg in *t64) case " {" ".join(t64)} " in *" $pkg "*) ;; *) exit 1 ;; esac ;; esac\n'
        "echo 'install ok installed'\n",
    )
    _script(bin_dir / "id", f'[ "$1" = -u ] && echo {uid}\n')
    _script(bin_dir / "apt-get", f'echo "$@" >> "{tmp_path}/apt-get.log"\n')
    return bin_dir


def _env(system: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env["PATH"] = f"{system}{os.pathsep}{env['PATH']}"
    env.update(extra)
    return env


def _missing(system: Path, *packages: str, **env: str) -> str:
    result = subprocess.run(
        ["sh", str(REPO / "tools" / "sysdeps.sh"), "missing", *packages],
        env=_env(system, **env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def project(tmp_path) -> Path:
    """The Makefile and tools/sysdeps.sh, with an installed stand-in .venv."""
    root = tmp_path / "project"
    (root / "tools").mkdir(parents=True)
    shutil.copy(REPO / "Makefile", root)
    shutil.copy(REPO / "tools" / "sysdeps.sh", root / "tools")
    for name in ("pyproject.toml", "setup.py"):
        (root / name).write_text("")
        os.utime(root / name, (1, 1))
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    _script(bin_dir / "python", "exit 0\n")
    _script(bin_dir / "gpuprof-gui", f'echo "$@" > "{tmp_path}/window.log"\n')
    (root / ".venv" / ".install-stamp").touch()
    return root


def _make_run(project: Path, system: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "run", *args],
        cwd=project,
        env=_env(system, DISPLAY=":0", **env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def test_the_check_names_exactly_the_missing_packages(tmp_path):
    system = _system(tmp_path, uid=1000)
    assert _missing(system, "libegl1", "libxcb-icccm4", "libxcb1", "libxcb-keysyms1") == " ".join(ABSENT)
    assert _missing(system, "libegl1", "libxcb1") == ""


def test_a_package_renamed_for_64_bit_time_counts_as_installed(tmp_path):
    renamed = _system(tmp_path / "trixie", uid=1000, absent=("libglib2.0-0",), t64=("libglib2.0-0t64",))
    assert _missing(renamed, "libglib2.0-0") == ""
    absent = _system(tmp_path / "bare", uid=1000, absent=("libglib2.0-0",))
    assert _missing(absent, "libglib2.0-0") == "libglib2.0-0"


@pytest.mark.parametrize(
    ("env", "x11"),
    [
        ({"DISPLAY": ":0"}, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
    ],
)
def test_the_x11_packages_count_only_for_a_window_on_x11(tmp_path, env, x11):
    system = _system(tmp_path, uid=1000, absent=("libegl1", "libxcb-icccm4"))
    expected = "libegl1 libxcb-icccm4" if x11 else "libegl1"
    assert _missing(system, "libegl1", "--x11", "libxcb-icccm4", **env) == expected


def test_make_run_as_a_user_prints_the_one_install_line_and_stops(tmp_path, project):
    result = _make_run(project, _system(tmp_path, uid=1000))
    assert result.returncode != 0
    ours = [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith("make: ***")]
    assert [line for line in ours if "apt-get" in line] == [INSTALL_LINE], ours
    assert ours[0].startswith("make run: Qt needs Debian packages that are not installed")
    assert len(ours) == 2
    assert not (tmp_path / "window.log").exists(), "no window may start without its libraries"
    assert not (tmp_path / "apt-get.log").exists()


def test_make_run_as_root_installs_the_missing_packages_then_opens_the_window(tmp_path, project):
    result = _make_run(project, _system(tmp_path, uid=0))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sysdeps: installing libxcb-icccm4 libxcb-keysyms1" in result.stdout
    assert (tmp_path / "apt-get.log").read_text().splitlines() == [
        "install -y -qq --no-install-recommends libxcb-icccm4 libxcb-keysyms1"
    ]
    assert (tmp_path / "window.log").read_text().split() == ["resources/examples/hotspots_demo.py", "--run"]


def test_make_run_with_everything_installed_opens_the_window(tmp_path, project):
    result = _make_run(project, _system(tmp_path, uid=1000, absent=()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "apt-get" not in result.stdout + result.stderr
    assert (tmp_path / "window.log").is_file()


def test_make_run_headless_asks_only_for_the_offscreen_packages(tmp_path, project):
    result = _make_run(project, _system(tmp_path, uid=1000), QT_QPA_PLATFORM="offscreen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "window.log").is_file()


def test_make_run_without_a_venv_asks_for_the_venv_module_too(tmp_path, project):
    shutil.rmtree(project / ".venv")
    no_ensurepip = tmp_path / "python-without-venv"
    _script(no_ensurepip, "exit 1\n")
    result = _make_run(project, _system(tmp_path, uid=1000), f"PYTHON={no_ensurepip}")
    assert result.returncode != 0
    assert f"{INSTALL_LINE} python3-venv" in result.stderr.splitlines()
    assert not (project / ".venv").exists()


def test_make_sysdeps_as_a_user_names_the_missing_packages_and_goes_on(tmp_path, project):
    result = subprocess.run(
        ["make", "sysdeps"],
        cwd=project,
        env=_env(_system(tmp_path, uid=1000)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr
    skipped = "sysdeps: skipped (needs root and apt-get); not installed: libxcb-icccm4 libxcb-keysyms1"
    assert result.stdout.strip() == skipped
    assert not (tmp_path / "apt-get.log").exists()
