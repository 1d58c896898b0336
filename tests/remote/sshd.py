"""A real OpenSSH server on 127.0.0.1 for the remote-host tests and the SSH benchmark.

Everything it needs lives in one throwaway folder: its host key, the user's key (and a second
key it does not accept), ``authorized_keys``, the client's config file and ``known_hosts``, and the
"remote" home that sessions get as ``$HOME``. Clients reach it only through that config file
(``ssh -F``, which the product takes from ``GPUPROF_SSH_CONFIG``): OpenSSH reads ``~/.ssh`` from the
password database's home, not ``$HOME``, so a test must name every file itself and never touch the
real ``~/.ssh``.

sshd runs as the current user. As root it needs its privilege-separation user (``sshd``, made by
Debian's openssh-server) and ``/run/sshd``; as anyone else it needs neither and serves that user only.

``sshd`` is ``$GPUPROF_TEST_SSHD``, else the first on ``PATH``, else ``/usr/sbin/sshd``; ``ssh`` and
``ssh-keygen`` are the first on ``PATH``. With the OpenSSH kit's ``bin`` first on ``PATH``
(``tools/make_ssh_kit.sh``) the tests use only the kit, on a machine without OpenSSH.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_SSHD = "/usr/sbin/sshd"
ALIAS = "gpuhost"
"""The ``Host`` alias the client config gives the server, as a user's own config would."""

START_TIMEOUT_S = 20.0
"""sshd says it listens within milliseconds; 20 s only bounds a wait on a very loaded machine."""

PRIVSEP_DIR = "/run/sshd"
INSTALL_HINT = (
    "`make sysdeps` installs openssh-server and openssh-client as root; "
    "or put the bin of tools/make_ssh_kit.sh's kit first on PATH"
)
PRIVSEP_MISSING = "Privilege separation user sshd does not exist"
"""What sshd (``-t`` too) says as root without that user."""


def sshd_path() -> str:
    """The sshd to run, as an absolute path (sshd re-executes itself through it)."""
    chosen = os.environ.get("GPUPROF_TEST_SSHD") or shutil.which("sshd") or SYSTEM_SSHD
    return os.path.abspath(chosen)


def unavailable_reason() -> str | None:
    """None when a test server can be started here, else why not (for a skip)."""
    missing = [p for p in (sshd_path(),) if not os.access(p, os.X_OK)]
    missing += [name for name in ("ssh", "ssh-keygen") if shutil.which(name) is None]
    if missing:
        return f"needs OpenSSH ({', '.join(missing)} not found): {INSTALL_HINT}"
    if os.geteuid() == 0:  # Debian's sshd needs its user then; the kit's stands one in
        check = subprocess.run([sshd_path(), "-t", "-f", os.devnull], capture_output=True, text=True, timeout=30)
        if PRIVSEP_MISSING in check.stderr:
            return f"sshd as root needs its privilege-separation user 'sshd': {INSTALL_HINT}"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def processes_naming(text: str) -> list[int]:
    """Live processes with ``text`` as one word of their command line (a control folder, a log file)."""
    found = []
    for entry in os.scandir("/proc"):
        try:
            with open(os.path.join(entry.path, "cmdline"), "rb") as cmdline:
                words = cmdline.read().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and any(text.encode() in word for word in words) and entry.name != str(os.getpid()):
            found.append(int(entry.name))
    return found


def _keygen(path: Path, comment: str) -> str:
    """A new ed25519 key pair at ``path`` (no passphrase); returns the public line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path.with_suffix(".pub").read_text().strip()


def _key_field(public_line: str) -> str:
    """``ssh-ed25519 AAAA...`` from a public key line (its comment dropped)."""
    return " ".join(public_line.split()[:2])


@dataclass
class SshServer:
    """A running sshd and the client-side files that reach it."""

    root: Path
    port: int
    user: str
    process: subprocess.Popen[str] | None = None
    log_lines: list[str] = field(default_factory=list)
    alias: str = ALIAS

    # -- files ----------------------------------------------------------------------------------
    @property
    def config(self) -> Path:
        """The client config (``ssh -F``): the alias, the user's key, the test ``known_hosts``."""
        return self.root / "ssh_config"

    @property
    def stranger_config(self) -> Path:
        """The same client config, but offering a key the server does not accept."""
        return self.root / "ssh_config_stranger"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def remote_home(self) -> Path:
        """``$HOME`` of the sessions this server starts (kept apart from the local test home)."""
        return self.root / "rhome"

    @property
    def host_key_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {_key_field((self.root / 'host_ed25519.pub').read_text())}\n"

    # -- the host-key faults ---------------------------------------------------------------------
    def trust_host_key(self) -> None:
        """known_hosts holds the server's real key (the state every test starts from)."""
        self.known_hosts.write_text(self.host_key_line)

    def write_wrong_host_key(self) -> None:
        """known_hosts holds another key for this server: its key has changed, as in an attack."""
        other = _key_field((self.root / "other_host_ed25519.pub").read_text())
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {other}\n")

    def forget_host_key(self) -> None:
        """known_hosts is empty: the server's key is unknown."""
        self.known_hosts.write_text("")

    def log_text(self) -> str:
        """What sshd has logged so far."""
        return "".join(self.log_lines)

    # -- life -----------------------------------------------------------------------------------
    @classmethod
    def start(cls, root: Path, *, attempts: int = 3) -> SshServer:
        """Make the keys and configs in ``root`` and start sshd on a free port.

        The port is found free before sshd binds it; another program may take it in between,
        so a start that fails with "Address already in use" is tried again on a new port.
        """
        root.mkdir(parents=True, exist_ok=True)
        _keygen(root / "host_ed25519", "gpuprof test host key")
        _keygen(root / "other_host_ed25519", "gpuprof test host key (the wrong one)")
        user_key = _keygen(root / "id_ed25519", "gpuprof test user key")
        _keygen(root / "stranger_ed25519", "gpuprof test key the server does not accept")
        (root / "authorized_keys").write_text(user_key + "\n")
        (root / "rhome" / ".cache").mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            with contextlib.suppress(OSError):  # the kit's sshd does without it
                os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)
        for attempt in range(attempts):
            server = cls(root=root, port=free_port(), user=getpass.getuser())
            server._write_configs()
            try:
                server._run()
            except OSError as exc:
                if "Address already in use" not in str(exc) or attempt == attempts - 1:
                    raise
                continue
            return server
        raise AssertionError("unreachable")

    def _write_configs(self) -> None:
        r = self.root
        (r / "sshd_config").write_text(
            f"Port {self.port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {r / 'host_ed25519'}\n"
            f"AuthorizedKeysFile {r / 'authorized_keys'}\n"
            f"PidFile {r / 'sshd.pid'}\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UsePAM no\n"
            # The folder and keys belong to whoever runs the tests; sshd's ownership checks
            # are for a real system's files.
            "StrictModes no\n"
            "PermitRootLogin prohibit-password\n"
            f"SetEnv HOME={r / 'rhome'} XDG_CACHE_HOME={r / 'rhome' / '.cache'}\n"
            "LogLevel INFO\n"
        )
        for path, key in ((self.config, "id_ed25519"), (self.stranger_config, "stranger_ed25519")):
            path.write_text(
                f"Host {self.alias}\n"
                "  HostName 127.0.0.1\n"
                f"  Port {self.port}\n"
                f"  User {self.user}\n"
                "\n"
                "Host *\n"
                f"  IdentityFile {r / key}\n"
                "  IdentitiesOnly yes\n"
                f"  UserKnownHostsFile {self.known_hosts}\n"
                "  GlobalKnownHostsFile /dev/null\n"
                "  UpdateHostKeys no\n"
                "  CheckHostIP no\n"
                "  IdentityAgent none\n"
            )
        self.trust_host_key()

    def _run(self) -> None:
        ready = f"Server listening on 127.0.0.1 port {self.port}"
        heard = threading.Event()
        process = subprocess.Popen(
            [sshd_path(), "-D", "-e", "-f", str(self.root / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

        def read_log() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                self.log_lines.append(line)
                if ready in line:
                    heard.set()
            heard.set()  # sshd ended: stop waiting

        threading.Thread(target=read_log, name="sshd-log", daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not heard.wait(0.05):
            if time.monotonic() > deadline:
                break
        if process.poll() is not None or ready not in self.log_text():
            process.kill()
            process.wait()
            raise OSError(f"sshd did not start: {self.log_text().strip()[-800:]}")
        self.process = process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
