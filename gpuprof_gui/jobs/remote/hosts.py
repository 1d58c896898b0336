"""Remote hosts as the user names them, and what went wrong reaching one, in one sentence.

:class:`Host` is ``[user@]name[:port]`` as typed (``name`` may be an alias from the user's SSH
config); :func:`classify_ssh_error` turns what ssh printed into a :class:`HostError` sentence that
says what happened and what to do. Pure: no process is started here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class HostError(Exception):
    """A remote host could not be reached or used; ``str()`` is one plain sentence for the user."""


_NAME = r"[A-Za-z0-9._-]+"
_HOST_TEXT = re.compile(rf"(?:(?P<user>{_NAME})@)?(?P<name>{_NAME})(?::(?P<port>[0-9]{{1,5}}))?")


def _not_a_host(text: str) -> HostError:
    shown = f"“{text}”" if len(text) <= 60 else f"“{text[:57]}...”"
    what = shown if text.strip() else "An empty name"
    return HostError(f"{what} is not a host: write user@name, name:port or an alias from your SSH config.")


@dataclass(frozen=True)
class Host:
    """A host as the user wrote it: ``[user@]name[:port]``, where ``name`` may be an ssh-config alias."""

    user: str | None
    name: str
    port: int | None

    def __post_init__(self) -> None:
        ok_user = self.user is None or (re.fullmatch(_NAME, self.user) and not self.user.startswith("-"))
        ok_name = re.fullmatch(_NAME, self.name) and not self.name.startswith("-")
        ok_port = self.port is None or 1 <= self.port <= 65535
        if not (ok_user and ok_name and ok_port):
            raise _not_a_host(self.label)

    @property
    def target(self) -> str:
        """What ssh is given to connect to: ``user@name`` or ``name`` (the port goes with ``-p``)."""
        return f"{self.user}@{self.name}" if self.user else self.name

    @property
    def label(self) -> str:
        """The host as the user typed it: ``me@gpu1:2222``, ``gpubox``."""
        return self.target + (f":{self.port}" if self.port is not None else "")


def parse_host(text: str) -> Host:
    """The :class:`Host` in ``text`` (``[user@]name[:port]``); :class:`HostError` when it is not one."""
    stripped = text.strip()
    found = _HOST_TEXT.fullmatch(stripped)
    if found is None:
        raise _not_a_host(stripped or text)
    port = found["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise _not_a_host(stripped)
    return Host(user=found["user"], name=found["name"], port=int(port) if port is not None else None)


def terminal_command(host: Host) -> str:
    """The ssh command a user types in a terminal to reach ``host`` (ssh takes no ``name:port``)."""
    return "ssh " + (f"-p {host.port} " if host.port is not None else "") + host.target


# Lines ssh prints that say nothing about the failure: a dead master's socket (ssh then connects
# on its own), and the notice that a session without a command gets no terminal.
_NOISE = ("Control socket connect(", "ControlSocket ", "Pseudo-terminal will not be allocated")
_LAST_LINE_CHARS = 200

_CHANGED_KEY = ("REMOTE HOST IDENTIFICATION HAS CHANGED", "has changed and you have requested strict checking")
_UNKNOWN_KEY = ("host key is known for", "Host key verification failed")
_AUTH = ("Permission denied", "Too many authentication failures", "No more authentication methods")
_DNS = ("Could not resolve hostname", "Name or service not known", "Temporary failure in name resolution")
_UNREACHABLE = (
    ("timed out", "it did not answer in time"),
    ("No route to host", "no route to host"),
    ("Network is unreachable", "the network is unreachable"),
    ("Host is unreachable", "it is unreachable"),
)
_LOST = (
    "Connection closed",
    "closed by remote host",
    "Connection reset",
    "Broken pipe",
    "Timeout, server",
    "client_loop: send disconnect",
    "mux_client",
    "Control master terminated",
)


def _said(stderr: str) -> list[str]:
    """The lines of ssh's stderr that can explain a failure, in order."""
    lines = (line.strip() for line in stderr.replace("\r", "\n").splitlines())
    return [line for line in lines if line and not line.startswith(_NOISE)]


def _port_in(text: str, host: Host) -> str:
    found = re.search(r"port (\d+): Connection refused", text)
    port = found[1] if found else (str(host.port) if host.port is not None else "")
    return f" on port {port}" if port else ""


def classify_ssh_error(stderr: str, host: Host) -> str:
    """One sentence for the user from what ssh printed when it failed: what happened, what to do.

    A host key is never accepted here, unknown or changed: the user checks it in a terminal,
    where ssh shows the fingerprint. Passwords are never asked for: the app logs in by key.
    """
    lines = _said(stderr)
    text = "\n".join(lines)
    label, command = host.label, terminal_command(host)
    if any(mark in text for mark in _CHANGED_KEY):
        return (
            f"WARNING: the host key of {label} has changed since this computer last connected, which can "
            "mean that someone is intercepting the connection, so gpuprof-gui refuses to connect: ask the "
            "host's administrator whether its key was changed, and only then remove the old key from your "
            f"known_hosts file and connect once with `{command}` in a terminal."
        )
    if any(mark in text for mark in _UNKNOWN_KEY):
        return (
            f"The host key of {label} is not known to this computer: connect once with `{command}` in a "
            "terminal, compare the fingerprint, then try again."
        )
    if any(mark in text for mark in _AUTH):
        return (
            f"{label} did not accept your SSH key (permission denied), and gpuprof-gui stores no password: "
            f"set up a key that `{command}` logs in with without asking (ssh-copy-id installs one, ssh-add "
            "unlocks one with a passphrase), then try again."
        )
    if any(mark in text for mark in _DNS):
        found = re.search(r"Could not resolve hostname ([^:\s]+)", text)
        name = found[1] if found else host.name
        return (
            f"The name {name} could not be found (could not resolve hostname): check its spelling, your "
            "network and your SSH config, then try again."
        )
    if "Connection refused" in text:
        return (
            f"{label} refused the connection{_port_in(text, host)}: check that its SSH server is running "
            "and that the port is right, then try again."
        )
    for mark, what in _UNREACHABLE:
        if mark in text:
            return (
                f"{label} could not be reached ({what}): check that it is switched on and reachable from "
                "this computer (network, VPN, firewall), then try again."
            )
    if not lines or any(mark in text for mark in _LOST):
        return f"The connection to {label} was lost: check the network and that the host is up, then try again."
    last = lines[-1].rstrip(".")
    if len(last) > _LAST_LINE_CHARS:
        last = last[: _LAST_LINE_CHARS - 3] + "..."
    return f"ssh could not use {label} (it said: “{last}”): run `{command}` in a terminal to see why, then try again."
