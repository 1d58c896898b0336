"""``--host``: the SSH layer is loaded only when a run names a host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
from gpuprof_gui import cli
modules = [cli.verb_module(v) for v in dict.fromkeys(cli.VERBS)]  # every verb's module, as `gpuprof --help` loads
parser, _ = cli.build_parser(list(dict.fromkeys(modules)))
args = parser.parse_args(["profile", "slow.py"])
remote = sorted(m for m in sys.modules if m.startswith("gpuprof_gui.jobs.remote"))
assert remote == [], remote
try:
    parser.parse_args(["profile", "--host=-oProxyCommand=x", "slow.py"])
except SystemExit:
    pass
assert "gpuprof_gui.jobs.remote.ssh" in sys.modules
args = parser.parse_args(["profile", "--host", "me@gpu-box:2222", "slow.py"])
assert args.host == "me@gpu-box:2222", args.host
print("ok")
"""


def test_the_ssh_layer_is_loaded_only_when_host_is_given():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
