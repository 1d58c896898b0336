"""``--host``: run on a remote GPU host through SSH, for the verbs that run something (profile, ...)."""

from __future__ import annotations

import argparse


def host_arg(text: str) -> str:
    """argparse type: a host the SSH layer accepts (``user@name[:port]`` or an SSH-config alias).

    The SSH layer is loaded here, when ``--host`` is given: the verbs that run locally never load it.
    """
    from gpuprof_gui.jobs.remote.ssh import HostError, parse_host

    try:
        parse_host(text)
    except HostError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def add_host_option(parser: argparse.ArgumentParser, *, on_host: bool = False, several: bool = False) -> None:
    """``--host HOST`` (``several``: repeatable, a list, each host's GPUs labelled with it)."""
    parser.add_argument(
        "--host",
        type=host_arg,
        metavar="HOST",
        action="append" if several else "store",
        help="run on this GPU host through SSH (user@name[:port] or an alias from ~/.ssh/config); "
        "your SSH keys and known_hosts are used, nothing is installed there"
        + ("; repeat it for several hosts at once" if several else ""),
    )
    if on_host:
        parser.add_argument(
            "--on-host",
            action="store_true",
            help="with --host: SCRIPT is a path on the host, run as it is there (nothing is copied); "
            "by default the script's folder is copied to a private scratch folder on the host",
        )


def add_host_python_option(parser: argparse.ArgumentParser) -> None:
    """``--python`` for the verbs whose only Python is the host's (kernels, devices, monitor)."""
    parser.add_argument(
        "--python",
        metavar="PATH",
        default=None,
        help="with --host: the Python on the host that has NumPy and CuPy (default: python3 there)",
    )
