"""Profile worker: runs one script under cProfile or Scalene and reports on the channel.

    python -m gpuprof_gui.workers.profile_worker --channel-fd N \
        --profiler cprofile|scalene|py-spy --output-dir DIR [--cpu-only] [--native] [--gpu-trace] SCRIPT [-- ARGS...]

Protocol: ``hello``, then either ``error`` (the script could not start; the
worker exits with that :class:`ExitCode`) or ``result`` (the worker exits 0;
the script's own exit status is inside the message). The script keeps the
worker's stdin/stdout/stderr untouched. The worker imports nothing heavy
(no numpy) so its start-up adds little to the profiled run.
"""

from __future__ import annotations

import argparse
import os
import sys

from gpuprof_gui.protocol import CHANNEL_FD_ARG, PROFILERS, ExitCode
from gpuprof_gui.workers._channel import Channel, WorkerArgParser, serve
from gpuprof_gui.workers.cprofile_run import CProfileRun
from gpuprof_gui.workers.relaunch import restore_environment
from gpuprof_gui.workers.script_code import ScriptProblem, compile_script
from gpuprof_gui.workers.worker_lifetime import (
    become_group_leader,
    become_subreaper,
    die_with_parent,
    kill_descendants,
    kill_group_if_orphaned,
    orphaned,
)

# Set by the runner when it had to put our package on PYTHONPATH; removed
# again before the script starts so the script sees the environment it would
# see without us.


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = WorkerArgParser(prog="gpuprof_gui.workers.profile_worker")
    parser.add_argument(CHANNEL_FD_ARG, dest="channel_fd", type=int, required=True)
    parser.add_argument("--profiler", choices=PROFILERS, default="cprofile")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--cpu-only", action="store_true", help="Scalene: CPU only")
    parser.add_argument("--native", action="store_true", help="py-spy: native frames too")
    parser.add_argument("--gpu-trace", dest="gpu_trace", action="store_true", help="cProfile: trace the GPU too")
    parser.add_argument("--py-spy", dest="py_spy", help="the app's py-spy, for a Python that has none of its own")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.args and ns.args[0] == "--":
        ns.args = ns.args[1:]
    return ns


def main(argv: list[str] | None = None) -> int:
    become_group_leader()
    die_with_parent()
    become_subreaper()
    args = parse_args(argv)
    try:
        return serve(args.channel_fd, "profile", lambda channel: _profile(args, channel))
    finally:
        # Whatever the script started ends with the run (normal end, cancel, timeout),
        # daemons that left our process group too; their pipes close with them.
        kill_descendants()
        kill_group_if_orphaned()


def _profile(args: argparse.Namespace, channel: Channel) -> int:
    restore_environment()
    if args.py_spy:
        from gpuprof_gui.workers import stack_sampler

        stack_sampler.fallback_py_spy = args.py_spy
    script = os.path.abspath(args.script)
    try:
        code = compile_script(script)
    except ScriptProblem as problem:
        if problem.detail:  # what Python itself prints for a SyntaxError
            sys.stderr.write(problem.detail)
        channel.error(problem.code, problem.message, problem.detail)
        return problem.code
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as exc:
        channel.error(
            ExitCode.PROFILER_FAILED, f"The output folder could not be created: {exc.strerror} ({args.output_dir})."
        )
        return ExitCode.PROFILER_FAILED
    if args.profiler == "scalene":
        from gpuprof_gui.workers.scalene_run import run_scalene

        return run_scalene(script, args.args, args.output_dir, args.cpu_only, channel, orphaned)
    if args.profiler == "py-spy":
        from gpuprof_gui.workers.pyspy_run import run_pyspy

        return run_pyspy(script, args.args, args.output_dir, args.native, channel)
    import faulthandler

    faulthandler.enable()  # a segfault in native code prints the Python stack to stderr
    return CProfileRun(code, script, args.args, args.output_dir, channel, gpu_trace=args.gpu_trace).run()


if __name__ == "__main__":
    sys.exit(main())
