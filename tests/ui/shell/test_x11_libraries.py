"""The window's start on X11 when Qt's xcb plugin lacks libraries: one sentence, not Qt's riddle.

Qt itself says "could not load the Qt platform plugin "xcb"" and blames libxcb-cursor0
whatever is missing; ``gpuprof gui`` asks ``ldd`` first (core/system_libs.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo

from gpuprof_gui.core.system_libs import XCB_PLUGIN, XCB_RUNTIME_LIBS, debian_package
from gpuprof_gui.exit_codes import ExitStatus

REPO = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 60
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}
"""Part of every Debian system: the Makefile does not list them."""


def _gui(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "GPUPROF_SCREENSHOT")}
    environ.update(PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="xcb", **env)
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "gui", *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )


def test_missing_xcb_libraries_are_named_instead_of_qts_message(tmp_path):
    # What ldd says on a desktop without libxcb-icccm4 and libxcb-keysyms1 (no X server at :99 either).
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ldd").write_text(
        "#!/bin/sh\n"
        'printf "\\tlibxcb-cursor.so.0 => /lib/libxcb-cursor.so.0 (0x1)\\n"\n'
        'printf "\\tlibxcb-icccm.so.4 => not found\\n\\tlibxcb-keysyms.so.1 => not found\\n"\n'
    )
    (fake / "ldd").chmod(0o755)
    result = _gui(tmp_path, DISPLAY=":99", PATH=f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert result.returncode == ExitStatus.UNAVAILABLE, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gpuprof gui cannot open a window: Qt's X11 plugin needs libxcb-icccm.so.4 and ")
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 " in lines[0]
    assert "libxcb-cursor0" not in lines[0] and "platform plugin" not in lines[0]


def test_a_complete_system_starts_on_x11(tmp_path, xvfb_display):
    """The real check on the real plugin lets a working start through: the window opens under Xvfb."""
    if shutil.which("ldd") is None:
        pytest.skip("needs ldd")
    shot = tmp_path / "shot.png"
    result = _gui(tmp_path, "--screenshot", str(shot), DISPLAY=xvfb_display)
    assert result.returncode == ExitStatus.OK, result.stderr[-3000:]
    assert "cannot open a window" not in result.stderr
    assert shot.is_file()


def _needed(elf: Path) -> list[str]:
    dynamic = subprocess.run(["readelf", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)


def _makefile_list(*names: str) -> set[str]:
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    packages: set[str] = set()
    for name in names:
        match = re.search(rf"^{name} :=(.*)$", text, re.MULTILINE)
        assert match, f"{name} not in the Makefile"
        packages.update(match.group(1).split())
    return packages


def test_every_library_the_xcb_plugin_links_has_its_package_in_the_makefile():
    """The soname -> package rule, on what the installed PySide6 really needs, and `make run`'s lists."""
    if shutil.which("readelf") is None:
        pytest.skip("needs readelf")
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    plugin = plugins / "platforms" / XCB_PLUGIN
    qpa = next((plugins.parent / "lib").glob("libQt6XcbQpa.so*"), None)
    if not plugin.is_file() or qpa is None:
        pytest.skip("this PySide6 has no X11 plugin")
    system = {name for elf in (plugin, qpa) for name in _needed(elf) if not name.startswith("libQt6")}
    assert {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"} <= system
    packages = {debian_package(name) for name in system | set(XCB_RUNTIME_LIBS)}
    listed = _makefile_list("SYSDEPS_OFFSCREEN", "SYSDEPS_XCB") | BASE_PACKAGES
    assert packages - listed == set()
