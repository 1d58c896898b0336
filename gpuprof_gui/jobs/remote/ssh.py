"""The SSH transport to a remote GPU host: the system's OpenSSH client, one shared connection per host.

Every command to a host goes through ``ssh``, never a library: the user's own SSH config, keys, agent
and ``known_hosts`` apply, and nothing here stores a password or accepts a host key. The first use of
a host starts a *master* connection (``ControlMaster``) whose socket lives in a private folder; later
commands ride on it and start in milliseconds instead of a full key exchange and login.

Failures come back as :class:`HostError`, whose text is one sentence for the user, classified from
what ssh said (:func:`classify_ssh_error`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shlex
import signal
import socket
import stat
import subprocess
from collections.abc import Iterator

from gpuprof_gui.jobs.remote.hosts import Host, HostError, classify_ssh_error, parse_host, terminal_command

__all__ = [
    "Host",
    "HostError",
    "classify_ssh_error",
    "close_master",
    "control_dir",
    "ensure_master",
    "master_pid",
    "parse_host",
    "run_remote",
    "ssh_argv",
    "ssh_options",
]

CONTROL_DIR_ENV = "GPUPROF_SSH_CONTROL_DIR"
"""A folder for the control sockets, used before any other (the tests give each test its own)."""
CONFIG_ENV = "GPUPROF_SSH_CONFIG"
"""An ssh config file passed with ``-F`` (the tests' own; a user's ``~/.ssh/config`` applies otherwise)."""

FALLBACK_PARENT = "/tmp"
"""Where the control folder goes without a usable ``$XDG_RUNTIME_DIR``: short, and on every system."""

# A unix socket's path must fit sun_path: 108 bytes with the closing NUL. ssh names the socket
# "/" + %C (40 hex digits of SHA-1) and, while the master starts, binds it first under that name
# plus "." and 16 random characters: 107 - 1 - 40 - 17 = 49 bytes are left for the folder.
SUN_PATH_MAX_BYTES = 107
MAX_CONTROL_DIR_BYTES = SUN_PATH_MAX_BYTES - 1 - 40 - 17

CONTROL_PERSIST_S = 60
"""The master outlives its last session by a minute: back-to-back runs reuse it, an idle app lets go."""
SERVER_ALIVE_INTERVAL_S = 5
SERVER_ALIVE_COUNT = 3
"""A host that stops answering is declared lost after 5 s x 3 = 15 s, not TCP's many minutes."""
CONNECT_TIMEOUT_S = 10
CONTROL_COMMAND_TIMEOUT_S = 10.0
"""``ssh -O check/exit`` and ``ssh -G`` talk only to a local socket or read config: instant, unless stuck."""

# ssh reads ControlPath as a config value: whitespace, quotes and '%' would be parsed, not kept.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._/+@-]*")
_MASTER_RUNNING = re.compile(r"Master running \(pid=(\d+)\)")


# -- the control folder ----------------------------------------------------------------------------
def _short_enough(path: str) -> bool:
    return len(os.fsencode(path)) <= MAX_CONTROL_DIR_BYTES


def control_dir() -> str:
    """The private folder (0700, this user's) of the control sockets, made if absent.

    ``$GPUPROF_SSH_CONTROL_DIR`` first; else ``$XDG_RUNTIME_DIR/gpuprof-ssh`` when that path is short
    enough for a socket; else ``/tmp/gpuprof-ssh-<uid>``. A folder that another user owns, that
    others may open, or that is a link is refused: a socket there would hand them the connection.
    """
    explicit = os.environ.get(CONTROL_DIR_ENV)
    if explicit:
        path = explicit
        if not (_PLAIN_PATH.fullmatch(path) and _short_enough(path)):
            raise HostError(
                f"The folder for SSH connections named by {CONTROL_DIR_ENV}, {path}, cannot hold a socket "
                f"(it needs an absolute path of at most {MAX_CONTROL_DIR_BYTES} bytes of letters, digits "
                "and ._-+@/): set it to another folder, then try again."
            )
    else:
        runtime = os.environ.get("XDG_RUNTIME_DIR") or ""
        path = os.path.join(runtime, "gpuprof-ssh")
        usable = runtime and os.path.isdir(runtime) and _PLAIN_PATH.fullmatch(path) and _short_enough(path)
        if not usable:
            path = os.path.join(FALLBACK_PARENT, f"gpuprof-ssh-{os.getuid()}")
    _make_private_folder(path)
    return path


def _make_private_folder(path: str) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise HostError(
            f"gpuprof-gui could not make the folder {path} for its SSH connections ({exc.strerror}): "
            f"make it yourself with `mkdir -m 700 {path}`, then try again."
        ) from None
    else:
        os.chmod(path, 0o700)  # whatever the umask left
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise HostError(
            f"{path} should be gpuprof-gui's private folder for SSH connections but is not a folder: "
            "remove it, then try again."
        )
    if info.st_uid != os.getuid():
        raise HostError(
            f"The folder {path} for gpuprof-gui's SSH connections belongs to another user, so it is not "
            "safe to use: remove it, then try again."
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode != 0o700:
        raise HostError(
            f"The folder {path} for gpuprof-gui's SSH connections has mode {mode:o}, not 700, so other "
            f"users could use your connections: run `chmod 700 {path}`, then try again."
        )


# -- command lines ---------------------------------------------------------------------------------
def ssh_options(host: Host) -> list[str]:
    """The options of every ssh command to ``host``: never a question, never a new host key, a
    dead link noticed within seconds, and the shared connection's socket in :func:`control_dir`."""
    config = os.environ.get(CONFIG_ENV)
    options = ["-F", config] if config else []
    options += [
        "-o",
        "BatchMode=yes",  # no password or passphrase prompt: the app has no terminal to ask in
        "-o",
        "StrictHostKeyChecking=yes",  # an unknown or changed host key is refused, never added
        "-o",
        f"ServerAliveInterval={SERVER_ALIVE_INTERVAL_S}",
        "-o",
        f"ServerAliveCountMax={SERVER_ALIVE_COUNT}",
        "-o",
        f"ConnectTimeout={CONNECT_TIMEOUT_S}",
        "-o",
        f"ControlPath={control_dir()}/%C",
    ]
    if host.port is not None:
        options += ["-p", str(host.port)]
    return options


def ssh_argv(host: Host, remote_argv: list[str]) -> list[str]:
    """The command line that runs ``remote_argv`` on ``host`` through its master (or a connection
    of its own when none runs). The remote shell receives one string quoted by :func:`shlex.join`,
    so each argument arrives as it is, whatever quotes, ``$( )`` or ``;`` it holds."""
    return ["ssh", *ssh_options(host), "-o", "ControlMaster=no", "-T", "--", host.target, shlex.join(remote_argv)]


def _local_ssh(host: Host, *words: str) -> subprocess.CompletedProcess[str] | None:
    """``ssh <options> WORDS -- host`` for what needs no login (``-O check``, ``-O exit``, ``-G``);
    None when ssh could not be run or did not answer."""
    try:
        return subprocess.run(
            ["ssh", *ssh_options(host), *words, "--", host.target],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=CONTROL_COMMAND_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def master_pid(host: Host) -> int | None:
    """The process id of the master connection to ``host``, or None when none answers."""
    done = _local_ssh(host, "-O", "check")
    found = _MASTER_RUNNING.search(done.stderr) if done is not None and done.returncode == 0 else None
    return int(found[1]) if found else None


def close_master(host: Host) -> None:
    """End the master connection to ``host`` (its sessions end with it); nothing when none runs."""
    _local_ssh(host, "-O", "exit")


# -- the master connection -------------------------------------------------------------------------
def _file_stem(host: Host) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", host.label)


def _socket_path(host: Host) -> str | None:
    """The control socket's path as ssh works it out (``ssh -G`` expands ``%C``), or None."""
    done = _local_ssh(host, "-G")
    if done is None:
        return None
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key == "controlpath" and value != "none":
            return value
    return None


def _remove_stale_socket(host: Host) -> None:
    """Remove the socket a killed master left behind: a new master would not replace it, and would
    run without sharing ("ControlSocket ... already exists, disabling multiplexing")."""
    path = _socket_path(host)
    if path is None or not os.path.exists(path) or not stat.S_ISSOCK(os.lstat(path).st_mode):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError as exc:
            if exc.errno == errno.ECONNREFUSED:  # nobody listens: the master is gone
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)


@contextlib.contextmanager
def _host_lock(host: Host) -> Iterator[None]:
    """One master start at a time per host, across threads and processes: a second master would
    find the socket taken and run on as a plain, unshared connection."""
    fd = os.open(os.path.join(control_dir(), _file_stem(host) + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def ensure_master(host: Host, timeout_s: float = 20.0) -> None:
    """Make sure a master connection to ``host`` runs: return at once when one answers, else log in
    (by key or agent only) and leave the master in the background for ``CONTROL_PERSIST_S`` after
    its last session. Raises :class:`HostError` with a sentence saying what went wrong."""
    if master_pid(host) is not None:
        return
    with _host_lock(host):
        if master_pid(host) is not None:  # another thread or process started it meanwhile
            return
        _remove_stale_socket(host)
        log_path = os.path.join(control_dir(), _file_stem(host) + ".log")
        argv = [
            "ssh",
            *ssh_options(host),
            "-o",
            "ControlMaster=yes",
            "-o",
            f"ControlPersist={CONTROL_PERSIST_S}",
            "-f",  # into the background once logged in
            "-N",  # no command: the master only carries the sessions that follow
            "-E",
            log_path,
            "--",
            host.target,
        ]
        # The log file takes stderr too (the few words ssh says before it reads -E); a file, not a
        # pipe, so the master left in the background holds nothing this call waits for.
        with open(log_path, "wb") as log:
            try:
                done = subprocess.run(
                    argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, timeout=timeout_s
                )
            except FileNotFoundError:
                raise HostError(_NO_SSH) from None
            except subprocess.TimeoutExpired:
                raise HostError(
                    f"{host.label} did not let gpuprof-gui log in within {timeout_s:g} s: check that it is "
                    f"reachable and that `{terminal_command(host)}` logs in without a question, then try again."
                ) from None
        with open(log_path, encoding="utf-8", errors="replace") as log_text:
            said = log_text.read()
        if done.returncode != 0:
            raise HostError(classify_ssh_error(said, host))
        if master_pid(host) is None:
            _end_unshared_connection(argv)
            raise HostError(
                f"ssh logged in to {host.label} but kept no shared connection open: run "
                f"`{terminal_command(host)}` in a terminal to see why, then try again."
            )


def _end_unshared_connection(argv: list[str]) -> None:
    """End the ssh left in the background by a master start that could not share its connection
    (its socket was taken): unshared, it would only hold a login open until the network drops.

    It is found by its command line, which names this host's log file in the private control folder.
    """
    wanted = "\0".join(argv).encode() + b"\0"
    try:
        processes = list(os.scandir("/proc"))
    except OSError:  # no /proc (not Linux): nothing to look through
        return
    for entry in processes:
        if not entry.name.isdigit():
            continue
        try:
            with open(os.path.join(entry.path, "cmdline"), "rb") as cmdline:
                if cmdline.read() == wanted:
                    os.kill(int(entry.name), signal.SIGTERM)
        except OSError:  # gone meanwhile, or not ours
            continue


_NO_SSH = (
    "The ssh program was not found on this computer: install OpenSSH's client "
    "(openssh-client on Debian and Ubuntu), then try again."
)


def run_remote(
    host: Host, remote_argv: list[str], *, input: bytes | None = None, timeout_s: float = 60.0
) -> subprocess.CompletedProcess[bytes]:
    """Run a short command on ``host`` (through its master when one runs) and return its outcome.

    ssh's own failures (exit status 255) raise :class:`HostError`; the remote command's status,
    output and errors come back as they are.
    """
    try:
        done = subprocess.run(
            ssh_argv(host, remote_argv),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError:
        raise HostError(_NO_SSH) from None
    except subprocess.TimeoutExpired:
        raise HostError(
            f"The command on {host.label} did not finish within {timeout_s:g} s, so gpuprof-gui stopped "
            "waiting: check that the host is not overloaded and the network is up, then try again."
        ) from None
    if done.returncode == 255:
        raise HostError(classify_ssh_error(done.stderr.decode("utf-8", "replace"), host))
    return done
