"""What running on a remote host costs: the bundled example profiled here and on a host, side by side.

    python benchmarks/remote_overhead.py [--runs N] [--host HOST]

Without ``--host`` a throwaway OpenSSH server on 127.0.0.1 (tests/remote/sshd.py) is the host, so
the figure is the app's own cost (SSH, the worker's code, the copy of the script's folder, the
agent, the results coming back), not a network's. One remote run first makes the master
connection and sends the worker's code; then ``local`` (``gpuprof profile SCRIPT``) and ``remote``
(``gpuprof profile --host HOST SCRIPT``) alternate ``--runs`` rounds, each timed from outside as a
whole process. Prints ONE JSON object: medians and ``remote_minus_local_s`` (issue 14: <= 1.0 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "resources" / "examples" / "hotspots_demo.py"
TARGET_S = 1.0


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-800:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--host", help="a real host (default: a throwaway sshd on 127.0.0.1)")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    server = None
    host = args.host
    scratch = tempfile.mkdtemp(prefix="gpuprof-remote-bench-")
    if host is None:
        sys.path.insert(0, str(REPO_ROOT))
        from tests.remote.sshd import SshServer, unavailable_reason

        if (why := unavailable_reason()) is not None:
            raise SystemExit(f"no test SSH server: {why}")
        server = SshServer.start(Path(scratch) / "sshd")
        host = server.alias
        env.update(
            GPUPROF_SSH_CONFIG=str(server.config),
            GPUPROF_SSH_CONTROL_DIR=os.path.join(tempfile.gettempdir(), f"gp-bench-{os.getpid()}"),
            XDG_CACHE_HOME=os.path.join(scratch, "cache"),
        )
    py = sys.executable
    # Like for like: the local run uses the Python the host runs (on the loopback host, the same
    # file), and neither has the call-path sampler (a host has no py-spy unless installed there).
    env["GPUPROF_PY_SPY"] = os.devnull
    ssh = ["ssh", "-F", env["GPUPROF_SSH_CONFIG"]] if server is not None else ["ssh"]
    probe = subprocess.run(
        [*ssh, host, "python3 -c 'import sys; print(sys.executable)'"], capture_output=True, text=True, timeout=60
    )
    host_python = probe.stdout.strip().splitlines()[-1] if probe.returncode == 0 and probe.stdout.strip() else ""
    same = ["--python", host_python] if server is not None and os.path.isfile(host_python) else []
    local = [py, "-m", "gpuprof_gui.cli", "profile", "--json", *same, str(SCRIPT)]
    remote = [py, "-m", "gpuprof_gui.cli", "profile", "--json", "--host", host, str(SCRIPT)]
    try:
        first = _timed(remote, env)  # the master connection and the worker's code, once
        times: dict[str, list[float]] = {"local": [], "remote": []}
        for _ in range(args.runs):
            times["local"].append(_timed(local, env))
            times["remote"].append(_timed(remote, env))
    finally:
        if server is not None:
            subprocess.run(["ssh", "-F", str(server.config), "-O", "exit", host], capture_output=True)
            server.stop()
    medians = {k: statistics.median(v) for k, v in times.items()}
    diff = medians["remote"] - medians["local"]
    print(
        json.dumps(
            {
                "benchmark": "remote_overhead",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.node()} ({os.cpu_count()} cores, {platform.platform()})",
                "app_python": platform.python_version(),
                "host": "throwaway sshd on 127.0.0.1" if server is not None else host,
                "script": str(SCRIPT.relative_to(REPO_ROOT)),
                "python": host_python or "python3",
                "runs": args.runs,
                "first_remote_s": round(first, 3),
                "median_s": {k: round(v, 3) for k, v in medians.items()},
                "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
                "remote_minus_local_s": round(diff, 3),
                "target_s": TARGET_S,
                "meets_target": diff <= TARGET_S,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
