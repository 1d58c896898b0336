"""`gpuprof profile script.py` exits with the status plain `python script.py` gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(180)

SCRIPTS = {
    "huge_system_exit": "raise SystemExit(2**100)\n",
    "negative_huge_system_exit": "raise SystemExit(-(2**70))\n",
    "long_system_exit": "raise SystemExit(2**40 + 3)\n",
    "os_exit_in_atexit": "import atexit, os\natexit.register(lambda: os._exit(7))\nprint('bye')\n",
    "os_exit_in_atexit_after_exit": "import atexit, os, sys\natexit.register(os._exit, 9)\nsys.exit(3)\n",
    "system_exit_in_atexit": "import atexit, sys\natexit.register(sys.exit, 5)\n",
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_exit_status_matches_plain_python(tmp_path, name):
    script = tmp_path / f"{name}.py"
    script.write_text(SCRIPTS[name], encoding="utf-8")
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)
    profiled = subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", "profile", str(script)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=170,
    )
    assert profiled.returncode == plain.returncode, profiled.stderr
