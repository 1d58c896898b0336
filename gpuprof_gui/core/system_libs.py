"""The system libraries Qt's X11 plugin lacks here, and the Debian packages that bring them.

When a library of its xcb platform plugin is missing, Qt says only "could not load the Qt
platform plugin "xcb"" and blames libxcb-cursor0 whatever is missing. The window asks
first (``ui/app.py``, before its ``QApplication``): one ``ldd`` on the plugin names the
library files that are "not found", and :func:`missing_sentence` turns them into one
plain sentence with the ``apt-get install`` line. Anything that cannot be told (no
``ldd``, no plugin file) counts as nothing missing, so the check never stops a start
that would work. Qt-free: the plugin's path is the caller's.

``tools/sysdeps.sh`` answers the same question for ``make run`` with ``dpkg-query``,
from the Makefile's package lists; :func:`uses_xcb` is its ``uses_x11``.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping

XCB_PLUGIN = "libqxcb.so"
"""The X11 platform plugin, in Qt's ``plugins/platforms`` folder."""
XCB_RUNTIME_LIBS = ("libxcb-cursor.so.0",)
"""Libraries Qt 6.5+ needs for a window on X11 even where the plugin does not link them."""
LDD_TIMEOUT_S = 5.0

# Where Debian names a library's package otherwise than its soname says (Debian policy 8.1).
_PACKAGE_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libGLdispatch.so.0": "libglvnd0",
    "libz.so.1": "zlib1g",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "librt.so.1": "libc6",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
}


def debian_package(soname: str) -> str:
    """The Debian package of a shared library: ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``.

    Debian's rule: the name before ``.so.``, lower case, then the version, with a hyphen
    between them where the name ends in a digit (``libxkbcommon-x11.so.0`` ->
    ``libxkbcommon-x11-0``, ``libX11.so.6`` -> ``libx11-6``); the few packages named
    otherwise (glib, zlib, libc's parts) are listed.
    """
    if soname in _PACKAGE_EXCEPTIONS:
        return _PACKAGE_EXCEPTIONS[soname]
    name, _, version = soname.partition(".so.")
    name = name.removesuffix(".so").lower().replace("_", "-")
    return f"{name}-{version}" if name[-1:].isdigit() and version else f"{name}{version}"


def not_found(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` could not resolve (its ``NAME => not found`` lines), in its order."""
    missing = []
    for line in ldd_output.splitlines():
        name, arrow, where = line.strip().partition(" => ")
        if arrow and where.strip() == "not found" and name not in missing:
            missing.append(name)
    return missing


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(elf: str, also: Iterable[str] = ()) -> list[str] | None:
    """The libraries ``elf`` needs that the dynamic loader cannot find here; None if that cannot be told.

    One ``ldd`` call. Each of ``also`` that ``ldd`` does not mention (``elf`` loads it
    at run time) is looked for as the loader would, with ``dlopen``.
    """
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        result = subprocess.run(
            [ldd, elf], capture_output=True, text=True, errors="replace", timeout=LDD_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:  # not there, not an ELF file, or not for this machine
        return None
    missing = not_found(result.stdout)
    missing += [name for name in also if name not in result.stdout and not _loadable(name)]
    return missing


def uses_xcb(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Will Qt open its window through its X11 (xcb) plugin here?

    Yes where ``QT_QPA_PLATFORM`` asks for ``xcb``, or leaves the choice to Qt on an X11
    desktop; a Wayland session (``WAYLAND_DISPLAY``) may be served by Qt's Wayland plugin,
    and a fallback list (``xcb;offscreen``) by another one: neither counts.
    """
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "")
    if requested:
        return requested.split(":")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def missing_sentence(missing: list[str], apt: bool = True) -> str:
    """One sentence naming the ``missing`` library files and the Debian packages to install.

    ``apt``: this system has ``apt-get``; elsewhere the packages are named as Debian's.
    """
    packages = " ".join(dict.fromkeys(debian_package(name) for name in missing))
    them, are = ("it", "is") if len(missing) == 1 else ("them", "are")
    if apt:
        install = f"Install {them} with: sudo apt-get install {packages}"
    else:
        install = f"Install {them} with your system's package manager (on Debian or Ubuntu: {packages})"
    return (
        f"gpuprof gui cannot open a window: Qt's X11 plugin needs {_listing(missing)}, which {are} not "
        f"installed. {install} (or run it with QT_QPA_PLATFORM=offscreen for screenshots only)."
    )


def xcb_problem(plugins_dir: str, environ: Mapping[str, str]) -> str | None:
    """The sentence saying what Qt's X11 plugin in ``plugins_dir`` lacks, where it will be used; else None."""
    if not uses_xcb(environ):
        return None
    missing = missing_libraries(os.path.join(plugins_dir, "platforms", XCB_PLUGIN), also=XCB_RUNTIME_LIBS)
    if not missing:
        return None
    return missing_sentence(missing, apt=shutil.which("apt-get") is not None)
