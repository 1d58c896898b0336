"""What the shared SSH connection saves: a command over a new connection vs one through the master.

Starts a real OpenSSH server on 127.0.0.1 (tests/remote/sshd.py) and, in one run, side by side:
  new_connection_median_s  `ssh host true` with no master: TCP, key exchange, host key check,
                           public-key login, a session. Median of --repeat.
  via_master_median_s      the same command through the master (jobs/remote/ssh.py: run_remote):
                           a new session on the open connection. Median of --repeat.
  master_start_s           ensure_master once, from nothing (login and the master in the background).
Over loopback; over a real network each new connection also pays several round trips, so the gap
only grows. Prints one JSON object; without OpenSSH's sshd it says so and exits 0.

Run: .venv/bin/python benchmarks/ssh_connection.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))

from remote.sshd import SshServer, unavailable_reason  # noqa: E402

from gpuprof_gui.jobs.remote import ssh  # noqa: E402


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=True, timeout=60)
    return time.perf_counter() - start


def measure(server: SshServer, repeat: int) -> dict[str, object]:
    host = ssh.parse_host(server.alias)
    # Command-line options: the first value given wins, so ControlPath=none goes before ours.
    unshared = ["ssh", "-o", "ControlPath=none", *ssh.ssh_options(host), "-T", "--", host.target, "true"]
    start = time.perf_counter()
    ssh.ensure_master(host)
    master_start_s = time.perf_counter() - start
    shared = ssh.ssh_argv(host, ["true"])
    new, via = [], []
    for _ in range(repeat):  # alternated, so both see the same machine load
        new.append(_timed(unshared))
        via.append(_timed(shared))
    ssh.close_master(host)
    version = subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=False).stderr.strip()
    return {
        "new_connection_median_s": round(statistics.median(new), 4),
        "via_master_median_s": round(statistics.median(via), 4),
        "speedup": round(statistics.median(new) / statistics.median(via), 1),
        "master_start_s": round(master_start_s, 4),
        "new_connection_range_s": [round(min(new), 4), round(max(new), 4)],
        "via_master_range_s": [round(min(via), 4), round(max(via), 4)],
        "repeat": repeat,
        "openssh": version.split(",")[0],
        "server": "sshd on 127.0.0.1 (loopback)",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="commands of each kind (default 20)")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason is not None:
        print(json.dumps({"skipped": reason}))
        return 0
    root = Path(tempfile.mkdtemp(prefix="gpuprof-sshd-"))
    control = tempfile.mkdtemp(prefix="gps-", dir="/tmp")  # short: a socket path has 107 bytes
    server = SshServer.start(root)
    os.environ.update(GPUPROF_SSH_CONFIG=str(server.config), GPUPROF_SSH_CONTROL_DIR=control)
    os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        print(json.dumps(measure(server, args.repeat), indent=2))
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(control, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
