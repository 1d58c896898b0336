"""The ``sshd`` fixture: a real OpenSSH server on 127.0.0.1 and a client set up to reach only it.

One server serves the whole session (``ssh_server``); each test gets it through ``sshd`` with the
client environment the product reads: ``GPUPROF_SSH_CONFIG`` (the server's client config, so no
``~/.ssh`` is read), a fresh short ``GPUPROF_SSH_CONTROL_DIR``, no ssh-agent, and the server's true
host key in ``known_hosts``. Masters a test leaves running are closed after it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .sshd import SshServer, processes_naming, unavailable_reason


def _passwd_ssh_dir() -> Path:
    """The ``~/.ssh`` OpenSSH would use: the password database's home, whatever ``$HOME`` says."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir) / ".ssh"


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Name -> (size, mtime) of what is in ``folder``, without opening any of it."""
    if not folder.is_dir():
        return {}
    return {p.name: (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.iterdir()}


def close_masters(folder: str) -> None:
    """Ask every master whose socket is in ``folder`` to exit (the socket names it; no host needed)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            subprocess.run(
                ["ssh", "-F", "/dev/null", "-o", f"ControlPath={path}", "-O", "exit", "closing"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=10,
                check=False,
            )


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    real_ssh = _passwd_ssh_dir()
    before = (real_ssh.exists(), _listing(real_ssh))
    server = SshServer.start(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()
    assert (real_ssh.exists(), _listing(real_ssh)) == before, f"the tests changed the real {real_ssh}"


@pytest.fixture
def sshd(ssh_server: SshServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshServer]:
    """The session's server, with this test's client environment (see the module's docstring)."""
    control = tempfile.mkdtemp(prefix="gps-", dir="/tmp")  # short: a socket path has 107 bytes
    monkeypatch.setenv("GPUPROF_SSH_CONFIG", str(ssh_server.config))
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", control)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    ssh_server.trust_host_key()
    try:
        yield ssh_server
    finally:
        close_masters(control)
        for pid in processes_naming(control):  # an ssh a failed test left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        shutil.rmtree(control, ignore_errors=True)
        ssh_server.trust_host_key()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A fresh folder with a short path (pytest's ``tmp_path`` is too long to hold a control socket)."""
    folder = tempfile.mkdtemp(prefix="gps-", dir="/tmp")
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
