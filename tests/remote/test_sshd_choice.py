"""Which sshd the test server runs: ``$GPUPROF_TEST_SSHD``, else the first on ``PATH`` (an OpenSSH
kit's ``bin`` put first, on a machine without OpenSSH), else Debian's ``/usr/sbin/sshd``."""

from __future__ import annotations

import os

from .sshd import SYSTEM_SSHD, sshd_path


def _program(folder, name: str = "sshd") -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_the_sshd_first_on_path_is_the_one_run(tmp_path, monkeypatch):
    kit = _program(tmp_path)
    monkeypatch.delenv("GPUPROF_TEST_SSHD", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert sshd_path() == kit


def test_gpuprof_test_sshd_names_it_and_a_relative_name_is_made_absolute(tmp_path, monkeypatch):
    _program(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GPUPROF_TEST_SSHD", "sshd")  # sshd re-executes itself: it needs an absolute path
    assert sshd_path() == str(tmp_path / "sshd")


def test_without_one_on_path_it_is_debians(tmp_path, monkeypatch):
    monkeypatch.delenv("GPUPROF_TEST_SSHD", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert sshd_path() == SYSTEM_SSHD
