"""The SSH transport (jobs/remote/ssh.py) against a real OpenSSH server on 127.0.0.1 (the ``sshd`` fixture).

Every fault a user meets is made for real: an unknown and a changed host key, a key the server does
not accept, a closed port, a name that does not resolve, a master connection killed mid-command.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import threading
import time

import pytest

from gpuprof_gui.jobs.remote import ssh
from gpuprof_gui.jobs.remote.ssh import Host, HostError, parse_host

from .sshd import free_port, processes_naming

ECHO_ARGV = "import sys, json; print(json.dumps(sys.argv[1:]))"


def one_sentence(text: str) -> bool:
    """One line, ending in a full stop, with no second sentence started inside it."""
    return "\n" not in text and text.endswith(".") and re.search(r"[.!?] [A-Z]", text) is None


def _error_of(call, *args) -> str:
    with pytest.raises(HostError) as caught:
        call(*args)
    text = str(caught.value)
    assert one_sentence(text), text
    return text


# -- hosts as typed --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "user", "name", "port", "target"),
    [
        ("gpubox", None, "gpubox", None, "gpubox"),
        ("me@gpu1:2222", "me", "gpu1", 2222, "me@gpu1"),
        ("gpu-1.lab.example.org:22", None, "gpu-1.lab.example.org", 22, "gpu-1.lab.example.org"),
        ("a_b.c@10.0.0.5", "a_b.c", "10.0.0.5", None, "a_b.c@10.0.0.5"),
        ("  me@gpu1  ", "me", "gpu1", None, "me@gpu1"),
    ],
)
def test_a_host_is_read_as_typed(text, user, name, port, target):
    host = parse_host(text)
    assert host == Host(user=user, name=name, port=port)
    assert host.target == target
    assert host.label == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-oProxyCommand=touch_x",
        "me@-oProxyCommand=x",
        "-me@gpu1",
        "gpu1:0",
        "gpu1:65536",
        "gpu1:",
        "gpu1:22x",
        "me@",
        "@gpu1",
        "a@b@c",
        "gpu 1",
        "gpu1;reboot",
        "$(id)",
        "[::1]:22",
        "me@gpu1:2222:1",
        "ssh://gpu1",
    ],
)
def test_what_is_not_a_host_is_refused_in_one_sentence(text):
    message = _error_of(parse_host, text)
    assert message.endswith("is not a host: write user@name, name:port or an alias from your SSH config.")


def test_a_host_made_directly_is_checked_too():
    with pytest.raises(HostError):
        Host(user=None, name="-oProxyCommand=x", port=None)
    with pytest.raises(HostError):
        Host(user="me", name="gpu1", port=70000)


# -- command lines ---------------------------------------------------------------------------------
def test_the_remote_command_is_one_shlex_quoted_string_after_the_options(monkeypatch, short_tmp):
    folder = short_tmp / "c"
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", str(folder))
    monkeypatch.delenv("GPUPROF_SSH_CONFIG", raising=False)
    argv = ssh.ssh_argv(parse_host("me@gpu1:2222"), ["python3", "-c", "print('a b')", "$(id)"])
    assert argv == [
        "ssh",
        *("-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"),
        *("-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", "-o", "ConnectTimeout=10"),
        *("-o", f"ControlPath={folder}/%C", "-p", "2222"),
        *("-o", "ControlMaster=no", "-T", "--", "me@gpu1"),
        "python3 -c 'print('\"'\"'a b'\"'\"')' '$(id)'",
    ]
    assert shlex.split(argv[-1]) == ["python3", "-c", "print('a b')", "$(id)"]


def test_the_options_take_a_config_file_from_the_environment_and_never_accept_a_new_key(monkeypatch, short_tmp):
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", str(short_tmp / "c"))
    monkeypatch.setenv("GPUPROF_SSH_CONFIG", "/some/ssh_config")
    options = ssh.ssh_options(parse_host("gpubox"))
    assert options[:2] == ["-F", "/some/ssh_config"]
    assert "-p" not in options
    joined = " ".join(options)
    assert "StrictHostKeyChecking=yes" in joined
    assert "accept-new" not in joined and "StrictHostKeyChecking=no" not in joined


# -- the control folder ----------------------------------------------------------------------------
def test_the_control_folder_is_private_and_short_enough_for_a_socket(monkeypatch, short_tmp):
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", str(short_tmp / "c"))
    path = ssh.control_dir()
    info = os.lstat(path)
    assert info.st_mode & 0o777 == 0o700 and info.st_uid == os.getuid()
    # ssh binds "<folder>/<40 hex digits>.<16 characters>" first: it must fit sun_path (107 bytes).
    assert len(os.fsencode(f"{path}/{'0' * 40}.{'x' * 16}")) <= 107


def test_the_runtime_folder_is_used_when_short_else_one_in_tmp(monkeypatch, short_tmp):
    monkeypatch.delenv("GPUPROF_SSH_CONTROL_DIR", raising=False)
    monkeypatch.setattr(ssh, "FALLBACK_PARENT", str(short_tmp))
    short = short_tmp / "run"
    short.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short))
    assert ssh.control_dir() == f"{short}/gpuprof-ssh"
    deep = short_tmp / ("x" * 60)
    deep.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    assert ssh.control_dir() == f"{short_tmp}/gpuprof-ssh-{os.getuid()}"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert ssh.control_dir() == f"{short_tmp}/gpuprof-ssh-{os.getuid()}"


def test_a_control_folder_others_can_open_is_refused(monkeypatch, short_tmp):
    folder = short_tmp / "c"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", str(folder))
    assert "chmod 700" in _error_of(ssh.control_dir)


def test_a_control_folder_that_is_a_link_is_refused(monkeypatch, short_tmp):
    (short_tmp / "elsewhere").mkdir(mode=0o700)
    (short_tmp / "c").symlink_to(short_tmp / "elsewhere")
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", str(short_tmp / "c"))
    assert "is not a folder" in _error_of(ssh.control_dir)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_control_folder_of_another_user_is_refused(monkeypatch, short_tmp):
    folder = short_tmp / "c"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", str(folder))
    assert "belongs to another user" in _error_of(ssh.control_dir)


def test_a_control_folder_too_long_for_a_socket_is_refused(monkeypatch, short_tmp):
    monkeypatch.setenv("GPUPROF_SSH_CONTROL_DIR", str(short_tmp / ("x" * 60)))
    assert "GPUPROF_SSH_CONTROL_DIR" in _error_of(ssh.control_dir)


# -- the sentences, from what ssh printed ----------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("ssh: connect to host gpu1 port 22: Connection timed out\n", "could not be reached (it did not answer"),
        ("ssh: connect to host gpu1 port 22: No route to host\n", "could not be reached (no route to host)"),
        ("Timeout, server gpu1 not responding.\n", "The connection to me@gpu1:2222 was lost"),
        ("", "The connection to me@gpu1:2222 was lost"),
        ("Control socket connect(/tmp/x/ab): Connection refused\r\n", "The connection to me@gpu1:2222 was lost"),
        ("Bad owner or permissions on /home/me/.ssh/config.\n", "(it said: “Bad owner or permissions on /home/me"),
        ("ssh: Could not resolve hostname gpu1: Temporary failure in name resolution\n", "The name gpu1 could not"),
    ],
)
def test_each_failure_gets_its_sentence(said, expected):
    text = ssh.classify_ssh_error(said, parse_host("me@gpu1:2222"))
    assert expected in text and one_sentence(text), text
    assert "`ssh -p 2222 me@gpu1`" in text or "try again" in text


# -- against the real server -----------------------------------------------------------------------
def _ssh_client_port(host: Host) -> str:
    """The local TCP port of the connection a command ran over (sshd's $SSH_CLIENT)."""
    done = ssh.run_remote(host, ["sh", "-c", 'echo "$SSH_CLIENT"'])
    return done.stdout.decode().split()[1]


def test_every_argument_arrives_byte_for_byte(sshd):
    canary = sshd.remote_home / "quoting-failed"
    args = [
        "with spaces",
        "it's",
        'say "hi"',
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"x; touch {canary}",
        "a && b | c",
        "$HOME ~ *",
        "",
        "--",
        "two\nlines",
        "héllo",
    ]
    done = ssh.run_remote(parse_host(sshd.alias), ["python3", "-c", ECHO_ARGV, *args])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == args
    assert not canary.exists()


def test_a_second_command_reuses_the_master(sshd):
    host = parse_host(sshd.alias)
    ssh.ensure_master(host)
    pid = ssh.master_pid(host)
    assert pid is not None
    assert _ssh_client_port(host) == _ssh_client_port(host)  # one TCP connection carried both
    ssh.ensure_master(host)
    assert ssh.master_pid(host) == pid


def test_the_host_can_be_named_by_address_user_and_port(sshd):
    host = parse_host(f"{sshd.user}@127.0.0.1:{sshd.port}")
    ssh.ensure_master(host)
    done = ssh.run_remote(host, ["sh", "-c", 'echo "$HOME"'])
    assert done.stdout.decode().strip() == str(sshd.remote_home)


def test_input_status_and_errors_of_the_remote_command_come_back(sshd):
    host = parse_host(sshd.alias)
    assert ssh.run_remote(host, ["cat"], input=b"\x00bytes\xff").stdout == b"\x00bytes\xff"
    done = ssh.run_remote(host, ["sh", "-c", "echo oops >&2; exit 3"])
    assert (done.returncode, done.stderr) == (3, b"oops\n")


def test_close_master_ends_it_and_is_quiet_when_none_runs(sshd):
    host = parse_host(sshd.alias)
    ssh.close_master(host)
    ssh.ensure_master(host)
    ssh.close_master(host)
    assert ssh.master_pid(host) is None


def test_an_unknown_host_key_is_refused_not_accepted(sshd):
    sshd.forget_host_key()
    message = _error_of(ssh.ensure_master, parse_host(sshd.alias))
    assert message == (
        "The host key of gpuhost is not known to this computer: connect once with `ssh gpuhost` in a "
        "terminal, compare the fingerprint, then try again."
    )
    assert sshd.known_hosts.read_text() == ""
    assert ssh.master_pid(parse_host(sshd.alias)) is None


def test_a_changed_host_key_is_a_warning_and_no_connection(sshd):
    sshd.write_wrong_host_key()
    wrong = sshd.known_hosts.read_text()
    host = parse_host(sshd.alias)
    message = _error_of(ssh.ensure_master, host)
    assert message.startswith("WARNING: the host key of gpuhost has changed")
    assert "refuses to connect" in message
    assert sshd.known_hosts.read_text() == wrong
    with pytest.raises(HostError, match="has changed"):
        ssh.run_remote(host, ["true"])


def test_a_key_the_host_does_not_accept_is_an_authentication_failure(sshd, monkeypatch):
    monkeypatch.setenv("GPUPROF_SSH_CONFIG", str(sshd.stranger_config))
    message = _error_of(ssh.ensure_master, parse_host(sshd.alias))
    assert message.startswith("gpuhost did not accept your SSH key")
    assert "stores no password" in message


def test_a_closed_port_is_a_refused_connection():
    port = free_port()
    host = parse_host(f"127.0.0.1:{port}")
    assert _error_of(ssh.ensure_master, host) == (
        f"127.0.0.1:{port} refused the connection on port {port}: check that its SSH server is running "
        "and that the port is right, then try again."
    )


def test_a_name_that_does_not_resolve_says_so(sshd):
    message = _error_of(ssh.ensure_master, parse_host("gpu.invalid"))
    assert message.startswith("The name gpu.invalid could not be found")


def test_a_host_that_never_answers_stops_at_the_timeout(sshd):
    with socket.socket() as silent:  # listens, never speaks: ssh waits for a banner that never comes
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        host = parse_host(f"127.0.0.1:{silent.getsockname()[1]}")
        message = _error_of(ssh.ensure_master, host, 1.0)
    assert message.startswith(f"{host.label} did not let gpuprof-gui log in within 1 s")


def test_a_killed_master_ends_the_running_command_and_a_new_one_starts(sshd):
    host = parse_host(sshd.alias)
    ssh.ensure_master(host)
    pid = ssh.master_pid(host)
    assert pid is not None
    # `cat` waits for input that never comes: only a dropped connection ends it.
    command = subprocess.Popen(
        ssh.ssh_argv(host, ["sh", "-c", "echo ready; exec cat"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert command.stdout is not None and command.stdout.readline() == b"ready\n"
        os.kill(pid, signal.SIGKILL)  # the network drops, as far as the client can tell
        _, said = command.communicate(timeout=120)  # a hang guard, not a measurement
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert command.returncode == 255
    assert "was lost" in ssh.classify_ssh_error(said.decode(), host)
    assert ssh.master_pid(host) is None
    ssh.ensure_master(host)  # the dead master's socket is cleared away
    assert ssh.master_pid(host) not in (None, pid)
    assert ssh.run_remote(host, ["echo", "back"]).stdout == b"back\n"


def test_a_master_that_cannot_share_its_connection_leaves_nothing_behind(sshd):
    host = parse_host(sshd.alias)
    taken = ssh._socket_path(host)
    assert taken is not None
    stop = threading.Event()
    with socket.socket(socket.AF_UNIX) as squatter:  # another program's socket where the master's goes

        def hang_up() -> None:
            while not stop.is_set():
                try:
                    squatter.accept()[0].close()
                except TimeoutError:
                    continue

        squatter.bind(taken)
        squatter.listen()
        squatter.settimeout(0.05)
        answering = threading.Thread(target=hang_up)
        answering.start()
        try:
            message = _error_of(ssh.ensure_master, host)
        finally:
            stop.set()
            answering.join()
    assert message.startswith("ssh logged in to gpuhost but kept no shared connection open")
    log = os.path.join(ssh.control_dir(), "gpuhost.log")
    deadline = time.monotonic() + 60  # a hang guard: SIGTERM ends ssh at once
    while processes_naming(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_naming(log) == []
