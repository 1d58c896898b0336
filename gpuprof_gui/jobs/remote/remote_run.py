"""A worker run on a remote host: the job the relay carries out, and the master connection first.

:func:`gpuprof_gui.jobs.runner.run_profile` comes here when its spec names a host, and so
do the kernel lab, ``gpuprof devices`` and remote telemetry (:func:`supervise_remote`). The
SSH master connection is made in the app's own process (never below the relay, whose
process tree is swept after each run); its faults (unknown host key, refused login, no
such host) end the run before it starts, in one sentence.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

from gpuprof_gui.jobs.outcome import OutcomeTracker, RunOutcome
from gpuprof_gui.jobs.remote.relay import RELAY_MODULE
from gpuprof_gui.jobs.remote.relay import STOP_GRACE_S as REMOTE_GRACE_S
from gpuprof_gui.jobs.remote.ssh import HostError, ensure_master, parse_host
from gpuprof_gui.jobs.remote.transfer import TransferError, plan_upload
from gpuprof_gui.jobs.run_spec import RunSpec
from gpuprof_gui.jobs.supervisor import Callback, CancelFlag, python_module_argv, supervise, worker_env
from gpuprof_gui.protocol import CHANNEL_FD_ARG

PROFILE_WORKER = "gpuprof_gui.workers.profile_worker"
GPU_STACK_MIN_VERSION = (3, 10)
"""The Python a host needs for the lab and telemetry: NumPy 2 and CuPy 14 need 3.10 (profiling needs 3.9)."""


def worker_job(
    host: str,
    module: str,
    worker_args: list[str],
    output_dir: str | None,
    *,
    python: str | None = None,
    upload_folder: str | None = None,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
    min_version: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """What the relay is to do: run ``module`` of the worker bundle on ``host`` with ``worker_args``.

    The arguments may name ``{channel_fd}``, ``{src}`` (where ``upload_folder`` was copied),
    ``{out}`` (what comes back into ``output_dir``) and ``{scratch}``. ``output_dir`` None: only the
    worker's messages matter; :func:`supervise_remote` gives it a temporary folder, removed after.
    """
    return {
        "host": host,
        "python": python or "python3",
        "module": module,
        "worker_args": [str(a) for a in worker_args],
        "upload_folder": upload_folder,
        "cwd": cwd,
        "env": dict(env or {}),
        "output_dir": output_dir,
        "min_version": list(min_version) if min_version else None,
    }


def profile_job(spec: RunSpec, output_dir: str) -> dict[str, Any]:
    """What the relay is to do for ``spec``: the remote worker's arguments, the folder to send."""
    assert spec.host
    args = [CHANNEL_FD_ARG, "{channel_fd}", "--profiler", spec.profiler, "--output-dir", "{out}"]
    args += spec.profiler_flags()
    if spec.on_host:  # a path on the host: run as it is there, from its folder
        script, upload, cwd = spec.script, None, os.path.dirname(spec.script) or None
    else:
        local = os.path.abspath(spec.script)
        upload = os.path.dirname(local)
        script, cwd = "{src}/" + os.path.basename(local), "{src}"
    return worker_job(
        spec.host,
        PROFILE_WORKER,
        [*args, script, "--", *spec.args],
        output_dir,
        python=spec.python,
        upload_folder=upload,
        cwd=cwd,
    )


def prepare_job(job: dict[str, Any]) -> tuple[str, str | None]:
    """Connect and write the relay's job; ``(job_path, None)`` or ``("", sentence)`` when it cannot run."""
    try:
        host = parse_host(str(job["host"]))
        if job["upload_folder"]:
            plan_upload(job["upload_folder"])  # a folder too large is refused before any connection
        ensure_master(host)
    except (HostError, TransferError) as exc:
        return "", str(exc)
    os.makedirs(job["output_dir"], exist_ok=True)
    fd, path = tempfile.mkstemp(prefix=".remote-job-", suffix=".json", dir=job["output_dir"])
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(job, fh)
    return path, None


def prepare(spec: RunSpec, output_dir: str) -> tuple[str, str | None]:
    """:func:`prepare_job` for a profile run."""
    return prepare_job(profile_job(spec, output_dir))


def relay_argv(job_path: str, channel_fd: int) -> list[str]:
    return [*python_module_argv(RELAY_MODULE), CHANNEL_FD_ARG, str(channel_fd), job_path]


def supervise_remote(
    job: dict[str, Any],
    tracker: OutcomeTracker,
    *,
    on_stdout: Callback = None,
    on_stderr: Callback = None,
    cancel: CancelFlag | None = None,
    timeout_s: float | None = None,
    on_started: Callable[[int], None] | None = None,
) -> RunOutcome:
    """Run ``job`` through the relay as :func:`supervise` runs a local worker; the same outcome."""
    if job["output_dir"] is None:
        scratch = tempfile.mkdtemp(prefix="gpuprof-remote-")
        try:
            return supervise_remote(
                {**job, "output_dir": scratch},
                tracker,
                on_stdout=on_stdout,
                on_stderr=on_stderr,
                cancel=cancel,
                timeout_s=timeout_s,
                on_started=on_started,
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    job_path, failure = prepare_job(job)
    if failure is not None:
        return tracker.outcome("could_not_start", failure, 0.0, profile_path=None, script_exit_code=None)
    try:
        return supervise(
            lambda fd: relay_argv(job_path, fd),
            tracker,
            env=worker_env(None),
            on_stdout=on_stdout,
            on_stderr=on_stderr,
            cancel=cancel,
            timeout_s=timeout_s,
            on_started=on_started,
            stop_grace_s=REMOTE_GRACE_S,
        )
    finally:
        with contextlib.suppress(OSError):
            os.remove(job_path)
