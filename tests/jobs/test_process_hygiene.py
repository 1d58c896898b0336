"""The profile worker's processes: forked children, signals, escaping daemons, exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpuprof_gui.jobs.runner import RunSpec, run_profile

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"

pytestmark = pytest.mark.timeout(300)


def _run(spec: RunSpec, **kw):
    out: list[bytes] = []
    err: list[bytes] = []
    outcome = run_profile(spec, on_stdout=out.append, on_stderr=err.append, **kw)
    return outcome, b"".join(out).decode(errors="replace"), b"".join(err).decode(errors="replace")


def test_fork_pool_terminate_is_quiet_and_ends(tmp_path):
    """Pool workers get SIGTERM with its default action, even while they are still starting."""
    for i in range(10):
        spec = RunSpec(str(SCRIPTS / "fork_pool_terminate.py"), timeout_s=60, output_dir=str(tmp_path / str(i)))
        outcome, out, err = _run(spec)
        assert "_Cancelled" not in err, err
        assert outcome.status == "finished", (i, outcome.message, err)
        assert "pools terminated" in out
