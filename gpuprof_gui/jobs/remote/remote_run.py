"""A profile run on a remote host: the job the relay carries out, and the master connection first.

:func:`gpuprof_gui.jobs.runner.run_profile` comes here when its spec names a host. The
SSH master connection is made in the app's own process (never below the relay, whose
process tree is swept after each run); its faults (unknown host key, refused login, no
such host) end the run before it starts, in one sentence.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from gpuprof_gui.jobs.remote.relay import RELAY_MODULE
from gpuprof_gui.jobs.remote.ssh import HostError, ensure_master, parse_host
from gpuprof_gui.jobs.remote.transfer import TransferError, plan_upload
from gpuprof_gui.jobs.run_spec import RunSpec
from gpuprof_gui.jobs.supervisor import python_module_argv
from gpuprof_gui.protocol import CHANNEL_FD_ARG

PROFILE_WORKER = "gpuprof_gui.workers.profile_worker"


def profile_job(spec: RunSpec, output_dir: str) -> dict[str, Any]:
    """What the relay is to do for ``spec``: the remote worker's arguments, the folder to send."""
    args = [CHANNEL_FD_ARG, "{channel_fd}", "--profiler", spec.profiler, "--output-dir", "{out}"]
    args += spec.profiler_flags()
    if spec.on_host:  # a path on the host: run as it is there, from its folder
        script, upload, cwd = spec.script, None, os.path.dirname(spec.script) or None
    else:
        local = os.path.abspath(spec.script)
        upload = os.path.dirname(local)
        script, cwd = "{src}/" + os.path.basename(local), "{src}"
    return {
        "host": spec.host,
        "python": spec.python or "python3",
        "module": PROFILE_WORKER,
        "worker_args": [*args, script, "--", *spec.args],
        "upload_folder": upload,
        "cwd": cwd,
        "env": {},
        "output_dir": output_dir,
    }


def prepare(spec: RunSpec, output_dir: str) -> tuple[str, str | None]:
    """Connect and write the relay's job; ``(job_path, None)`` or ``("", sentence)`` when it cannot run."""
    assert spec.host
    try:
        host = parse_host(spec.host)
        job = profile_job(spec, output_dir)
        if job["upload_folder"]:
            plan_upload(job["upload_folder"])  # a folder too large is refused before any connection
        ensure_master(host)
    except (HostError, TransferError) as exc:
        return "", str(exc)
    fd, path = tempfile.mkstemp(prefix=".remote-job-", suffix=".json", dir=output_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(job, fh)
    return path, None


def relay_argv(job_path: str, channel_fd: int) -> list[str]:
    return [*python_module_argv(RELAY_MODULE), CHANNEL_FD_ARG, str(channel_fd), job_path]
