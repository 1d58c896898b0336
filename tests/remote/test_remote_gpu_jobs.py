"""The kernel lab, device facts and live telemetry on a remote host, against a real OpenSSH server.

The "host" is this machine through sshd (see conftest). It has no GPU and no CuPy, so the lab
and the facts must say so in one sentence naming the host; its telemetry runs for real through
SSH with a fake NVML put on the host worker's path (tests/remote/fake_nvml), which is how the
10 Hz stream, the labels and the clean stop are checked here. The GPU machine runs the same
flows against its real GPU (tests/gpu/test_remote_gpu.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpuprof_gui.exit_codes import ExitStatus
from gpuprof_gui.gpu.telemetry_merge import MergedTelemetry
from gpuprof_gui.gpu.trace_io import load_trace
from gpuprof_gui.jobs.lab_runner import LabRunSpec, describe_file, run_lab
from gpuprof_gui.jobs.remote.remote_telemetry import RemoteTelemetry, host_facts

from .sshd import processes_naming

REPO_ROOT = Path(__file__).resolve().parents[2]
SAXPY = REPO_ROOT / "resources" / "examples" / "kernels" / "saxpy.py"
FAKE_NVML = Path(__file__).resolve().parent / "fake_nvml"


def _runs_left(sshd) -> list[str]:
    runs = Path(sshd.remote_home) / ".cache" / "gpuprof-gui" / "remote" / "runs"
    return sorted(os.listdir(runs)) if runs.is_dir() else []


def _python_with_fake_nvml(tmp_path: Path, gpus: int = 2) -> str:
    """A "python3" for the host whose NVML is the fake one (the CLI has no other way to name it)."""
    wrapper = tmp_path / "python-fake-nvml"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={FAKE_NVML} GPUPROF_FAKE_GPUS={gpus} exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def _gpuprof(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gpuprof_gui.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# ---- the kernel lab ------------------------------------------------------------------------------
def test_the_lab_file_is_read_on_the_host(sshd):
    described = describe_file(str(SAXPY), host=sshd.alias, python=sys.executable)
    assert described["problem"]["name"] and [c["name"] for c in described["candidates"]]
    assert _runs_left(sshd) == []


def test_a_lab_run_on_a_host_without_cupy_says_so_naming_the_host(sshd, tmp_path):
    outcome = run_lab(LabRunSpec(str(SAXPY), host=sshd.alias, python=sys.executable, output_dir=str(tmp_path)))
    assert outcome.status == "no_gpu"
    assert outcome.message.startswith(f"on {sshd.alias}: CuPy is not installed"), outcome.message
    assert _runs_left(sshd) == []
    assert processes_naming("kernel_worker") == []


def test_a_host_python_without_numpy_is_one_sentence(sshd, tmp_path):
    """A host whose python3 lacks NumPy: the lab says which Python lacks what, naming the host."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "numpy.py").write_text("raise ModuleNotFoundError(\"No module named 'numpy'\", name='numpy')\n")
    wrapper = tmp_path / "python-without-numpy"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={hide} exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    outcome = run_lab(LabRunSpec(str(SAXPY), host=sshd.alias, python=str(wrapper), output_dir=str(tmp_path / "o")))
    assert outcome.status == "no_gpu"
    assert outcome.message.startswith(f"on {sshd.alias}: numpy is not installed for "), outcome.message
    assert "install them there, or name another Python" in outcome.message


def test_a_lab_run_on_a_host_that_cannot_be_reached_is_a_host_failure(sshd, tmp_path):
    sshd.forget_host_key()
    outcome = run_lab(LabRunSpec(str(SAXPY), host=sshd.alias, python=sys.executable, output_dir=str(tmp_path)))
    assert outcome.status == "error" and outcome.remote_failure
    assert "host key" in outcome.message.lower() and "ssh " in outcome.message


def test_cli_kernels_on_a_host_without_cupy(sshd):
    done = _gpuprof("kernels", str(SAXPY), "--host", sshd.alias, "--python", sys.executable)
    assert done.returncode == ExitStatus.UNAVAILABLE, done.stderr
    assert f"no GPU lab there: on {sshd.alias}: CuPy is not installed" in done.stderr


def test_cli_python_without_host_is_a_usage_error():
    done = _gpuprof("kernels", str(SAXPY), "--python", sys.executable)
    assert done.returncode == ExitStatus.USAGE and "--python needs --host" in done.stderr


def test_an_edited_candidate_travels_as_text(sshd, tmp_path, monkeypatch):
    """The window's edited source has no file on the host: it is sent in the worker's arguments."""
    from gpuprof_gui.jobs import lab_runner

    seen: list[list[str]] = []
    real = lab_runner._supervise_on

    def spy(host, python, path, args, *rest, **kw):
        seen.append(list(args))
        return real(host, python, path, args, *rest, **kw)

    monkeypatch.setattr(lab_runner, "_supervise_on", spy)
    spec = LabRunSpec(
        str(SAXPY),
        host=sshd.alias,
        python=sys.executable,
        output_dir=str(tmp_path),
        source_overrides={"cupy": "# edited\n"},
    )
    run_lab(spec)
    run_args = seen[-1]
    assert "--source-override-text" in run_args
    assert run_args[run_args.index("--source-override-text") + 1] == "cupy=# edited\n"
    assert not list(tmp_path.glob("override_*"))  # nothing written here for the host


# ---- device facts ----------------------------------------------------------------------------------
def test_host_facts_come_from_the_hosts_nvml(sshd, tmp_path):
    facts = host_facts(sshd.alias, _python_with_fake_nvml(tmp_path, gpus=2))
    assert facts["reason"] is None and facts["host"] == sshd.alias
    assert [d["name"] for d in facts["devices"]] == ["NVIDIA H100 80GB HBM3"] * 2
    assert facts["devices"][0]["sm_count"]["value"] == 132


def test_host_facts_of_a_host_without_a_gpu(sshd):
    facts = host_facts(sshd.alias, sys.executable)
    assert facts["devices"] == [] and facts["reason"].startswith(f"{sshd.alias}: ")
    assert not facts["unreachable"]


def test_cli_devices_on_a_host(sshd, tmp_path):
    python = _python_with_fake_nvml(tmp_path, gpus=2)
    done = _gpuprof("devices", "--host", sshd.alias, "--python", python, "--json", "--no-measure")
    assert done.returncode == ExitStatus.OK, done.stderr
    report = json.loads(done.stdout)
    assert [d["host"] for d in report["devices"]] == [sshd.alias] * 2
    assert report["hosts"] == [{"host": sshd.alias, "gpus": 2, "reason": None}]
    text = _gpuprof("devices", "--host", sshd.alias, "--python", python, "--no-measure")
    assert f"== {sshd.alias} ==" in text.stdout and "H100" in text.stdout


# ---- live telemetry ---------------------------------------------------------------------------------
def test_remote_telemetry_streams_every_gpu_at_10_hz_and_stops_clean(sshd):
    source = RemoteTelemetry(
        sshd.alias, hz=10, python=sys.executable, env={"PYTHONPATH": str(FAKE_NVML), "GPUPROF_FAKE_GPUS": "3"}
    )
    source.start()
    try:
        assert source.wait_live(90), source.reason
        assert [d["index"] for d in source.devices()] == [0, 1, 2]
        first = source.snapshot()
        time.sleep(3.0)
        snap = source.snapshot(first["cursor"])
    finally:
        source.stop()
    for dev in snap["devices"]:
        t = dev["series"]["power_w"][0]
        # 3 s at 10 Hz: 30 rows; a loaded 2-core machine may lose a few ticks, never most of them.
        assert len(t) >= 15, (dev["index"], len(t))
        assert t[0] >= 0 and t[-1] - t[0] <= 4.0  # seconds since the host's sampler started
    powers = [float(dev["series"]["power_w"][1][-1]) for dev in snap["devices"]]
    assert powers == [120.0, 121.0, 122.0]  # each GPU's own readings, in order
    assert source.state == "stopped"
    deadline = time.monotonic() + 20
    while processes_naming("telemetry_stream") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_naming("telemetry_stream") == []
    assert _runs_left(sshd) == []


def test_remote_telemetry_without_a_gpu_fails_in_one_sentence(sshd):
    source = RemoteTelemetry(sshd.alias, python=sys.executable)
    source.start()
    assert not source.wait_live(90)
    source.stop()
    assert source.state == "failed"
    assert source.reason.startswith(f"{sshd.alias}: no GPU telemetry: "), source.reason


def test_two_hosts_at_once_are_labelled_and_saved_as_one_trace(sshd, tmp_path):
    env = {"PYTHONPATH": str(FAKE_NVML), "GPUPROF_FAKE_GPUS": "1"}
    first = RemoteTelemetry(sshd.alias, python=sys.executable, env=env)
    # The same server under a second name (user@127.0.0.1:port), as a second host would be.
    second_name = f"{os.environ.get('USER') or 'root'}@127.0.0.1:{sshd.port}"
    second = RemoteTelemetry(second_name, python=sys.executable, env=env)
    merged = MergedTelemetry([(first.host, first), (second.host, second)])
    merged.start()
    try:
        assert first.wait_live(90) and second.wait_live(90), (first.reason, second.reason)
        time.sleep(1.0)
        snap = merged.snapshot()
        path = tmp_path / "two-hosts.json"
        from gpuprof_gui.gpu.trace_io import save_trace

        save_trace(merged.trace_dict(), path)
    finally:
        merged.stop()
    labels = [d["label"] for d in snap["devices"]]
    assert labels == [f"{sshd.alias} · GPU 0", f"{second_name} · GPU 0"]
    assert [d["index"] for d in snap["devices"]] == [0, 1]  # one position each, though both are GPU 0
    replay = load_trace(path)
    assert [d["label"] for d in replay.devices] == labels


def test_cli_monitor_on_a_host_prints_labelled_samples(sshd, tmp_path):
    python = _python_with_fake_nvml(tmp_path, gpus=2)
    trace = tmp_path / "monitor.json"
    done = _gpuprof(
        "monitor", "--host", sshd.alias, "--python", python, "--seconds", "2", "--json", "--output", str(trace)
    )
    assert done.returncode == ExitStatus.OK, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    samples = [r for r in rows if r["type"] == "sample"]
    assert {(r["host"], r["gpu"]) for r in samples} == {(sshd.alias, 0), (sshd.alias, 1)}
    assert f"sampling {sshd.alias} (2 GPUs)" in done.stderr
    assert len(load_trace(trace).devices) == 2


def test_cli_monitor_on_a_host_without_a_gpu(sshd):
    done = _gpuprof("monitor", "--host", sshd.alias, "--python", sys.executable, "--seconds", "1")
    assert done.returncode == ExitStatus.UNAVAILABLE
    assert f"gpuprof monitor: {sshd.alias}: {sshd.alias}: no GPU telemetry" in done.stderr


@pytest.mark.parametrize("verb", ["devices", "monitor"])
def test_cli_python_needs_a_host(verb):
    done = _gpuprof(verb, "--python", sys.executable)
    assert done.returncode == ExitStatus.USAGE and "--python needs --host" in done.stderr


# ---- the advisor ------------------------------------------------------------------------------------
def test_cli_advise_profiles_and_runs_the_lab_on_the_host(sshd, tmp_path):
    offload = REPO_ROOT / "resources" / "examples" / "offload"
    done = _gpuprof(
        "advise",
        str(offload / "heat_cpu.py"),
        "--offload",
        "diffuse",
        "--kernels",
        str(offload / "heat_kernels.py"),
        "--host",
        sshd.alias,
        "--python",
        sys.executable,
        "--json",
        timeout=300,
    )
    assert done.returncode == ExitStatus.OK, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["host"] == sshd.alias and doc["run"]["status"] == "finished"
    assert 0.3 < doc["p"] <= 1.0  # the share of the run in diffuse, measured on the host
    assert f"profiling heat_cpu.py under cprofile on {sshd.alias}" in done.stderr
    assert f"on {sshd.alias}: CuPy is not installed" in json.dumps(doc)  # the host has no GPU: said, not guessed
    assert _runs_left(sshd) == []


def test_cli_devices_on_a_host_that_cannot_be_reached_says_so_not_no_gpu(sshd):
    sshd.forget_host_key()
    done = _gpuprof("devices", "--host", sshd.alias, "--python", sys.executable, "--no-measure")
    assert done.returncode == ExitStatus.UNAVAILABLE
    assert f"Not reached: {sshd.alias}: " in done.stdout and "No GPU" not in done.stdout
