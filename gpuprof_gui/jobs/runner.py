"""Starts and supervises the profile worker without Qt (the CLI and the tests use it).

The GUI drives the same workers with ``QProcess`` and shares the pure pieces
here: :func:`worker_argv`, :func:`worker_env`, :class:`OutcomeTracker`,
:class:`GroupStopper` and :func:`kill_process_group`. Those live beside this
module (process_group, outcome, supervisor, convert_client) and are importable
from here too, as the window and the CLI import them.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable

from gpuprof_gui.jobs.convert_client import (
    CONVERT_TIMEOUT_S,
    ConvertOutcome,
    convert_untrusted,
    open_profile_safely,
)
from gpuprof_gui.jobs.interpreters import InterpreterError, probe, worker_bundle
from gpuprof_gui.jobs.outcome import STATUSES, OutcomeTracker, RunOutcome
from gpuprof_gui.jobs.process_group import STOP_GRACE_S, GroupStopper, kill_process_group, stop_process_group
from gpuprof_gui.jobs.run_spec import RunSpec
from gpuprof_gui.jobs.supervisor import Callback, python_module_argv, supervise, worker_env
from gpuprof_gui.protocol import CHANNEL_FD_ARG, PROFILERS
from gpuprof_gui.workers.stack_sampler import find_py_spy

__all__ = [
    "CONVERT_TIMEOUT_S",
    "STATUSES",
    "STOP_GRACE_S",
    "ConvertOutcome",
    "GroupStopper",
    "OutcomeTracker",
    "RunOutcome",
    "RunSpec",
    "convert_untrusted",
    "kill_process_group",
    "open_profile_safely",
    "run_profile",
    "stop_process_group",
    "supervise",
    "worker_argv",
    "worker_env",
]


PROFILE_WORKER = "gpuprof_gui.workers.profile_worker"


def worker_argv(spec: RunSpec, channel_fd: int, output_dir: str, launcher: str | None = None) -> list[str]:
    """Command line of the profile worker for ``spec``; ``launcher``: the worker bundle's, for a user's Python."""
    start = [spec.python or "python3", launcher, PROFILE_WORKER] if launcher else python_module_argv(PROFILE_WORKER)
    argv = [
        *start,
        CHANNEL_FD_ARG,
        str(channel_fd),
        "--profiler",
        spec.profiler,
        "--output-dir",
        os.path.abspath(output_dir),
    ]
    argv += spec.profiler_flags()
    if launcher and (py_spy := find_py_spy()):
        argv += ["--py-spy", py_spy]
    return [*argv, os.path.abspath(spec.script), "--", *spec.args]


def run_profile(
    spec: RunSpec,
    on_stdout: Callback = None,
    on_stderr: Callback = None,
    cancel: threading.Event | None = None,
    on_started: Callable[[int], None] | None = None,
) -> RunOutcome:
    """Profile ``spec`` in a worker process; script output goes to the callbacks as raw bytes.

    ``on_started(pid)`` hears the worker's pid, which is also its process group's id.
    """
    output_dir = spec.output_dir or tempfile.mkdtemp(prefix="gpuprof-")
    tracker = OutcomeTracker(spec.profiler, spec.timeout_s, output_dir)
    if spec.profiler not in PROFILERS:
        return tracker.outcome(
            "could_not_start",
            f"Unknown profiler {spec.profiler!r}; choose one of {', '.join(PROFILERS)}.",
            0.0,
            profile_path=None,
        )
    if spec.host:
        return _run_remote(spec, output_dir, tracker, on_stdout, on_stderr, cancel, on_started)
    launcher, env = None, worker_env(spec.env)
    if spec.python:
        try:
            info = probe(spec.python)
            if not info.is_app:
                launcher = worker_bundle()
                env = dict(os.environ if spec.env is None else spec.env)  # nothing of the app's on its path
        except (InterpreterError, OSError) as exc:
            text = str(exc) if isinstance(exc, InterpreterError) else f"The worker's code could not be prepared: {exc}."
            return tracker.outcome("could_not_start", text, 0.0, profile_path=None, script_exit_code=None)
    tracker.convert = lambda res: _convert_in_app(res, spec, output_dir)
    return supervise(
        lambda fd: worker_argv(spec, fd, output_dir, launcher),
        tracker,
        env=env,
        cwd=spec.cwd,
        on_stdout=on_stdout,
        on_stderr=on_stderr,
        cancel=cancel,
        timeout_s=spec.timeout_s,
        on_started=on_started,
    )


def _run_remote(
    spec: RunSpec,
    output_dir: str,
    tracker: OutcomeTracker,
    on_stdout: Callback,
    on_stderr: Callback,
    cancel: threading.Event | None,
    on_started: Callable[[int], None] | None,
) -> RunOutcome:
    """The run on ``spec.host``, through the relay (jobs/remote): seen here as a local worker."""
    from gpuprof_gui.jobs.remote import remote_run

    os.makedirs(output_dir, exist_ok=True)
    tracker.convert = lambda res: _convert_in_app(res, spec, output_dir)
    return remote_run.supervise_remote(
        remote_run.profile_job(spec, output_dir),
        tracker,
        on_stdout=on_stdout,
        on_stderr=on_stderr,
        cancel=cancel,
        timeout_s=spec.timeout_s,
        on_started=on_started,
    )


def _convert_in_app(result: dict, spec: RunSpec, output_dir: str) -> None:
    """py-spy's raw stacks from a worker in a user's Python, made into a profile here."""
    from gpuprof_gui.workers.pyspy_run import PROFILE_NAME, convert_raw

    wall = result.get("wall_s")
    path, note = convert_raw(
        str(result["raw_stacks"]),
        os.path.join(output_dir, PROFILE_NAME),
        spec.pyspy_native,
        float(wall) if isinstance(wall, (int, float)) else 0.0,
        os.path.abspath(spec.script),
    )
    result["profile_path"] = path
    if note:
        result["notes"] = [*(result.get("notes") or []), note]
