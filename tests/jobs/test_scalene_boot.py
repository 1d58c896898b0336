"""How the profile worker starts Scalene (workers/scalene_boot.py): one process, plain SIGTERM in forks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gpuprof_gui.workers import scalene_boot

pytest.importorskip("scalene")

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_environment_scalene_wants_is_known_and_names_its_allocator():
    full = scalene_boot.preload_environment(["run", "-o", "out.json", "x.py"])
    cpu = scalene_boot.preload_environment(["run", "-o", "out.json", "--cpu-only", "x.py"])
    assert full is not None and cpu is not None, "Scalene's launcher functions were not found"
    assert "SCALENE_ALLOCATION_SAMPLING_WINDOW" in cpu
    if sys.platform == "linux":
        assert "libscalene.so" in full.get("LD_PRELOAD", "") or "libscalene.so" in os.environ.get("LD_PRELOAD", "")
        assert "LD_PRELOAD" not in cpu


def test_another_scalene_without_these_functions_is_run_as_it_is(monkeypatch):
    import types

    monkeypatch.setitem(sys.modules, "scalene.scalene_preload", types.ModuleType("scalene.scalene_preload"))
    assert scalene_boot.preload_environment(["run", "x.py"]) is None


def test_missing_environment_is_scalenes_own_test(monkeypatch):
    monkeypatch.setenv("GPUPROF_TEST_A", "1")
    monkeypatch.delenv("GPUPROF_TEST_B", raising=False)
    assert scalene_boot.missing_environment({"GPUPROF_TEST_A": "1", "GPUPROF_TEST_B": "2"}) == {"GPUPROF_TEST_B": "2"}
    assert scalene_boot.missing_environment({"GPUPROF_TEST_A": "other"}) == {"GPUPROF_TEST_A": "other"}


def test_scalene_profiles_in_the_process_that_was_started(tmp_path):
    """No second process: the script runs in the pid the worker started, with nothing of ours left in its env."""
    script = tmp_path / "who.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, time
            print("pid", os.getpid(), "marker", os.environ.get("GPUPROF_SCALENE_BOOT_REEXECUTED"), flush=True)
            t = time.time()
            while time.time() - t < 1.2:
                sum(range(1000))
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "profile.json"
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", scalene_boot.BOOT_MODULE, "run", "-o", str(out), "--cpu-only", str(script)],
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    line = next(ln for ln in stdout.splitlines() if ln.startswith("pid "))
    assert line == f"pid {proc.pid} marker None", line
    assert out.stat().st_size > 16


def test_a_forked_child_dies_of_sigterm_while_the_profiling_process_keeps_scalenes_handler(tmp_path):
    script = tmp_path / "fork_term.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, signal, time
            pid = os.fork()
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            time.sleep(0.3)
            os.kill(pid, signal.SIGTERM)
            _, status = os.waitpid(pid, 0)
            print("child ended by signal", os.WTERMSIG(status) if os.WIFSIGNALED(status) else None, flush=True)
            t = time.time()
            while time.time() - t < 1.0:
                sum(range(1000))
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            scalene_boot.BOOT_MODULE,
            "run",
            "-o",
            str(tmp_path / "p.json"),
            "--cpu-only",
            str(script),
        ],
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"child ended by signal {int(signal.SIGTERM)}" in proc.stdout, (proc.stdout, proc.stderr)


def test_the_script_under_scalene_sees_nothing_of_gpuprofs_path(tmp_path):
    """The boot process needs gpuprof_gui importable (an uninstalled checkout: on PYTHONPATH, marked);
    it removes that entry before Scalene runs the script, as the profile worker does."""
    from gpuprof_gui.jobs.runner import RunSpec, run_profile
    from gpuprof_gui.workers.relaunch import ADDED_PATH_ENV, module_env

    env = module_env()
    root = env[ADDED_PATH_ENV]
    assert env["PYTHONPATH"].split(os.pathsep)[0] == root
    script = tmp_path / "look.py"
    script.write_text(
        "import os, sys, time\n"
        f"print('marker', os.environ.get({ADDED_PATH_ENV!r}), 'root on path', {root!r} in sys.path, flush=True)\n"
        "t = time.time()\nwhile time.time() - t < 1.2:\n    sum(range(1000))\n",
        encoding="utf-8",
    )
    out: list[bytes] = []
    outcome = run_profile(
        RunSpec(str(script), profiler="scalene", scalene_cpu_only=True, output_dir=str(tmp_path / "o")),
        on_stdout=out.append,
    )
    assert outcome.status == "finished", outcome.message
    assert "marker None root on path False" in b"".join(out).decode()


def _boot(tmp_path: Path, script: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", scalene_boot.BOOT_MODULE, "run", "-o", str(out), "--cpu-only", str(script)],
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_pool_workers_ended_by_terminate_leave_their_samples(tmp_path):
    """terminate() while the workers burn: each dies of SIGTERM, as under plain Python, after saving its samples."""
    script = tmp_path / "terminated_pool.py"
    burn = (REPO_ROOT / "tests" / "scripts" / "callpaths" / "pool_work.py").read_text(encoding="utf-8")
    script.write_text(
        burn.split('if __name__ == "__main__":')[0]
        + textwrap.dedent(
            """
            if __name__ == "__main__":
                import time
                pool = mp.get_context("fork").Pool(2)
                pool.map_async(burn, [10**9] * 2)
                time.sleep(1.5)
                pool.terminate()  # the workers are mid-task: only SIGTERM ends them
                pool.join()
                print("terminated", flush=True)
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "p.json"
    proc = _boot(tmp_path, script, out)
    assert proc.returncode == 0 and "terminated" in proc.stdout, proc.stderr
    profile = json.loads(out.read_text())
    functions = [f["line"] for entry in profile["files"].values() for f in entry["functions"]]
    assert "burn" in functions, functions


def test_a_child_without_samples_never_overwrites_the_profile(tmp_path):
    """A forked child that took no samples and ends after the profiling process used to write ``{}`` over its file."""
    marker = tmp_path / "child-ended"
    script = tmp_path / "late_idle_child.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import atexit, os, signal, sys, time
            if os.fork() == 0:
                # at exit, after Scalene's own output (which runs as SystemExit leaves the script)
                atexit.register(lambda: open({str(marker)!r}, "w").close())
                # No sample reaches this child (as for a pool worker that never ran), and it ends
                # after the profiling process wrote the profile.
                signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGALRM, signal.SIGVTALRM}})
                time.sleep(2.0)
                sys.exit(0)
            t = time.time()
            while time.time() - t < 1.0:
                sum(range(1000))
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "p.json"
    proc = _boot(tmp_path, script, out)
    assert proc.returncode == 0, proc.stderr
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "the forked child never ended"
    profile = json.loads(out.read_text())
    assert profile.get("files"), out.read_text()[:200]
