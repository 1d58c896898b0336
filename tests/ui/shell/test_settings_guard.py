"""The suite's guard watches the file Qt itself keeps the window's settings in, for the user's HOME.

A window started with the user's environment (HOME, no XDG_CONFIG_HOME) writes its settings
and recent files through ``QSettings("gpuprof-gui", "gpuprof-gui")``: a test session that let
one do so fails (tests/conftest.py; tests/project/test_user_files_guard.py has the other cases).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"
REPO = Path(__file__).resolve().parents[3]

QT_WRITES_SETTINGS = """
import sys
from PySide6.QtCore import QCoreApplication, QSettings

app = QCoreApplication([])
QCoreApplication.setOrganizationName("gpuprof-gui")
QCoreApplication.setApplicationName("gpuprof-gui")
settings = QSettings()  # what MainWindow() uses when it is given none
settings.setValue("recent_files", ["/home/me/train.py"])
settings.sync()
print(settings.fileName())
"""


def test_settings_written_by_qt_under_the_users_home_fail_the_session(pytester, monkeypatch):
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "GPUPROF_RUNS_DIR"):
        monkeypatch.delenv(var, raising=False)
    real_home = pytester.path / "me"
    real_home.mkdir()
    monkeypatch.setenv("HOME", str(real_home))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    (pytester.path / "writes_settings.py").write_text(QT_WRITES_SETTINGS, encoding="utf-8")
    pytester.makepyfile(
        test_inner=f"""
        import os, subprocess, sys

        def test_a_window_started_with_the_users_environment():
            env = {{k: v for k, v in os.environ.items() if not k.startswith("XDG_")}}
            env["HOME"] = {str(real_home)!r}  # what a test that rebuilt the environment by hand would pass
            out = subprocess.run([{sys.executable!r}, "writes_settings.py"], env=env, capture_output=True,
                                 text=True, check=True).stdout
            assert out.strip() == {str(real_home / ".config" / "gpuprof-gui" / "gpuprof-gui.conf")!r}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.parseoutcomes().get("passed") == 1, result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines([f"*made: {real_home / '.config' / 'gpuprof-gui' / 'gpuprof-gui.conf'}*"])
