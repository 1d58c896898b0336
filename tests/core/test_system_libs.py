"""What Qt's X11 plugin lacks: ldd's "not found" lines, the Debian package of each, the sentence.

The real case is built, not faked: a shared library linked against a stub that is then
deleted, so the real ``ldd`` reports the stub "not found" as it would a missing libxcb.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from gpuprof_gui.core import system_libs
from gpuprof_gui.core.system_libs import debian_package, missing_libraries, missing_sentence, not_found, uses_xcb

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd4b3e2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f2a1c000000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2a1bf00000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f2a1be00000)
\tlibxcb-icccm.so.4 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f2a1c400000)
"""


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxcb-image.so.0", "libxcb-image0"),
        ("libxcb-render-util.so.0", "libxcb-render-util0"),
        ("libxcb.so.1", "libxcb1"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),  # a name ending in a digit takes a hyphen
        ("libX11.so.6", "libx11-6"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libdbus-1.so.3", "libdbus-1-3"),
        ("libGL.so.1", "libgl1"),
        ("libEGL.so.1", "libegl1"),
        ("libgcc_s.so.1", "libgcc-s1"),
        ("libglib-2.0.so.0", "libglib2.0-0"),  # named otherwise by Debian
        ("libz.so.1", "zlib1g"),
    ],
)
def test_a_library_file_maps_to_its_debian_package(soname, package):
    assert debian_package(soname) == package


def test_ldd_not_found_lines_are_the_missing_libraries():
    assert not_found(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert not_found(LDD_OUTPUT.replace("not found", "/usr/lib/x.so (0x1)")) == []


def test_the_sentence_names_the_files_and_the_packages_in_one_line():
    two = missing_sentence(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert two == (
        "gpuprof gui cannot open a window: Qt's X11 plugin needs libxcb-icccm.so.4 and libxcb-keysyms.so.1, "
        "which are not installed. Install them with: sudo apt-get install libxcb-icccm4 libxcb-keysyms1 "
        "(or run it with QT_QPA_PLATFORM=offscreen for screenshots only)."
    )
    one = missing_sentence(["libxkbcommon-x11.so.0"])
    assert "needs libxkbcommon-x11.so.0, which is not installed. Install it with: sudo apt-get install " in one
    assert one.count("libxkbcommon-x11-0") == 1
    three = missing_sentence(["libglib-2.0.so.0", "libgthread-2.0.so.0", "libxcb.so.1"], apt=False)
    assert "libglib-2.0.so.0, libgthread-2.0.so.0 and libxcb.so.1" in three
    assert "apt-get" not in three and "(on Debian or Ubuntu: libglib2.0-0 libxcb1)" in three
    assert all("\n" not in text for text in (one, two, three))


@pytest.mark.parametrize(
    ("environ", "platform", "xcb"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nograb"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb;offscreen"}, "linux", False),  # Qt falls back by itself
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),  # Qt may pick Wayland
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "darwin", False),
    ],
)
def test_only_an_x11_window_is_checked(environ, platform, xcb):
    assert uses_xcb(environ, platform) is xcb


def _fake_ldd(folder, body: str):
    folder.mkdir(exist_ok=True)
    ldd = folder / "ldd"
    ldd.write_text(f"#!/bin/sh\n{body}\n")
    ldd.chmod(0o755)
    return folder


def test_no_ldd_or_a_failing_one_counts_as_nothing_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ldd at all
    assert missing_libraries("/usr/lib/whatever.so") is None
    fake = _fake_ldd(tmp_path / "bin", "echo 'ldd: not a dynamic executable' >&2; exit 1")
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert missing_libraries("/usr/lib/whatever.so") is None
    _fake_ldd(fake, "exec sleep 30")
    monkeypatch.setattr(system_libs, "LDD_TIMEOUT_S", 0.2)
    assert missing_libraries("/usr/lib/whatever.so") is None


def test_nothing_is_run_unless_the_window_uses_x11(tmp_path, monkeypatch):
    called = tmp_path / "ldd-was-run"
    fake = _fake_ldd(tmp_path / "bin", f"touch {called}; echo '\tlibxcb-icccm.so.4 => not found'")
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert system_libs.xcb_problem(str(tmp_path), {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) is None
    assert not called.exists()
    problem = system_libs.xcb_problem(str(tmp_path), {"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"})
    assert called.exists()
    assert problem is not None and "needs libxcb-icccm.so.4, which is not installed" in problem


@pytest.fixture
def linked_against_a_deleted_library(tmp_path):
    """A real shared library whose NEEDED entry ``libgpuproftestmissing.so.1`` is then deleted."""
    gcc = shutil.which("gcc")
    if gcc is None or shutil.which("ldd") is None:
        pytest.skip("needs gcc and ldd")
    stub, probe = tmp_path / "libgpuproftestmissing.so.1", tmp_path / "libprobe.so"
    (tmp_path / "stub.c").write_text("int gpuprof_stub(void) { return 1; }\n")
    (tmp_path / "probe.c").write_text("int gpuprof_stub(void);\nint gpuprof_probe(void) { return gpuprof_stub(); }\n")
    build = [gcc, "-shared", "-fPIC"]
    subprocess.run([*build, "-o", stub, "-Wl,-soname,libgpuproftestmissing.so.1", "stub.c"], cwd=tmp_path, check=True)
    link = ["-L.", "-l:libgpuproftestmissing.so.1", "-Wl,--no-as-needed,-rpath,$ORIGIN"]
    subprocess.run([*build, "-o", probe, "probe.c", *link], cwd=tmp_path, check=True)
    assert missing_libraries(str(probe)) == [], "with the stub beside it, nothing is missing"
    stub.unlink()
    return probe


def test_a_deleted_library_is_found_missing_by_the_real_ldd(linked_against_a_deleted_library):
    assert missing_libraries(str(linked_against_a_deleted_library)) == ["libgpuproftestmissing.so.1"]


def test_a_library_loaded_at_run_time_is_looked_for_too(linked_against_a_deleted_library):
    also = ("libgpuproftestabsent.so.7", "libc.so.6")  # libc is always there
    assert missing_libraries(str(linked_against_a_deleted_library), also=also) == [
        "libgpuproftestmissing.so.1",
        "libgpuproftestabsent.so.7",
    ]


def test_a_file_ldd_cannot_read_counts_as_nothing_missing(tmp_path):
    if shutil.which("ldd") is None:
        pytest.skip("needs ldd")
    text = tmp_path / "notes.txt"
    text.write_text("not a library\n")
    assert missing_libraries(str(text)) is None
    assert missing_libraries(str(tmp_path / "absent.so")) is None
