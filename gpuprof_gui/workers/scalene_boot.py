"""Scalene's profiling process, as the profile worker starts it: Scalene's own ``main``, with two mends.

Run as ``python -P -m gpuprof_gui.workers.scalene_boot run -o OUT [--cpu-only] SCRIPT --- ARGS``.

1. **One process, started with -P.** Scalene's launcher starts a second, plain
   ``python -m scalene`` when its environment (the preloaded allocator, the
   sampling window) is not set yet. That process has the current folder first on
   ``sys.path``, so a module planted there (``argparse.py`` in a downloads folder)
   ran; and a SIGTERM ended the launcher alone, orphaning it. Here that
   environment is made first with Scalene's own functions and this module
   re-executes itself in place (same pid, ``-P`` kept): Scalene finds everything
   ready and profiles in this process.
2. **Forked children of the script die of SIGTERM, as under plain Python.** A
   fork inherits Scalene's SIGTERM handler, which in the child waits for the
   parent's signal-queue threads and never returns: ``multiprocessing.Pool
   .terminate()`` then hung the run until its timeout (Scalene 2.x). Before it
   dies, the child leaves its samples where the profiling process merges them,
   so a pool's work is in the profile whether its workers ended by the pool's
   sentinel or by ``terminate()`` (which wins more often on a loaded machine).
3. **A child never writes the profile file.** A forked child that took no
   samples (an idle pool worker) made Scalene write ``{}`` over the output
   file; when it ended after the profiling process, the whole profile was lost
   and read as "too short to sample". A child only leaves its samples.

When Scalene's internals are not what is checked here (another version), each
mend is skipped and Scalene runs as it always did.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import types
from collections.abc import Callable

BOOT_MODULE = "gpuprof_gui.workers.scalene_boot"

_REEXECUTED = "GPUPROF_SCALENE_BOOT_REEXECUTED"
"""Set for the re-executed process only, so a Scalene that still wants another process cannot loop."""


def preload_environment(argv: list[str]) -> dict[str, str] | None:
    """What Scalene's launcher would add to the environment for ``scalene *argv``; None if unknown."""
    saved = sys.argv
    sys.argv = ["scalene", *argv]
    try:
        from scalene.scalene_parseargs import ScaleneParseArgs
        from scalene.scalene_preload import ScalenePreload

        args, _left = ScaleneParseArgs.parse_args()
        return {str(k): str(v) for k, v in ScalenePreload.get_preload_environ(args).items()}
    except (Exception, SystemExit):  # noqa: BLE001 - another Scalene, or bad arguments Scalene itself will report
        return None
    finally:
        sys.argv = saved


def missing_environment(wanted: dict[str, str]) -> dict[str, str]:
    """The entries of ``wanted`` this process's environment lacks (Scalene's own test)."""
    return {k: v for k, v in wanted.items() if os.environ.get(k) != v}


def _child_samples_saver() -> Callable[..., bool] | None:
    """A function that, in a forked child, writes the child's samples for the profiling process to merge.

    It is what Scalene's own child output ends in (``output_stats`` into the
    shared folder), without the paths that write the profile file or wait for
    threads the fork did not copy. None when Scalene cannot be imported; the
    function returns False when this Scalene's internals differ (another version).
    """
    try:
        from scalene.scalene_profiler import Scalene
    except ImportError:
        return None

    def save(in_signal_handler: bool = False) -> bool:
        # Read when called: these are set by Scalene's main, after this module installs the mends.
        stats = getattr(Scalene, "_Scalene__stats", None)
        pid = getattr(Scalene, "_Scalene__pid", None)
        folder = getattr(Scalene, "_Scalene__python_alias_dir", None)
        disable = getattr(Scalene, "_disable_signals", None)
        if stats is None or not pid or folder is None or disable is None:
            return False
        try:
            if not in_signal_handler:
                disable()  # joins Scalene's queue threads, which a handler may have interrupted
            stats.stop_clock()
            cpu, mem = stats.cpu_stats, stats.memory_stats
            if not (cpu.total_cpu_samples or mem.total_memory_malloc_samples or mem.total_memory_free_samples):
                return False
            stats.output_stats(pid, folder)
        except Exception:  # noqa: BLE001 - a child's samples are a bonus; the child must still end
            return False
        return True

    return save


def children_only_leave_samples() -> bool:
    """In a forked child, Scalene's profile output becomes "leave the samples"; the profiling process is untouched."""
    try:
        from scalene.scalene_profiler import Scalene

        original = Scalene.__dict__["output_profile"].__func__
    except (ImportError, KeyError, AttributeError):
        return False
    save = _child_samples_saver()
    if save is None:
        return False
    profiling_pid = os.getpid()

    def output_profile(program_args: list[str] | None = None) -> bool:
        if os.getpid() != profiling_pid:
            return save()
        return bool(original(program_args))

    Scalene.output_profile = staticmethod(output_profile)
    return True


def forked_children_die_of_sigterm() -> bool:
    """Replace Scalene's SIGTERM handler by one that, in a forked child, dies as plain Python does.

    Scalene reads ``Scalene.term_signal_handler`` when it installs its signals, in
    this process and again in each forked child, so the replacement is what both get.
    """
    try:
        from scalene.scalene_profiler import Scalene

        original = Scalene.__dict__["term_signal_handler"].__func__
    except (ImportError, KeyError, AttributeError):
        return False
    profiling_pid = os.getpid()
    save = _child_samples_saver()

    def term_signal_handler(signum: int, frame: types.FrameType | None) -> None:
        if os.getpid() != profiling_pid:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if save is not None:
                save(in_signal_handler=True)
            os.kill(os.getpid(), signal.SIGTERM)  # default action: the child ends now
            return
        original(signum, frame)

    Scalene.term_signal_handler = staticmethod(term_signal_handler)
    return True


def main() -> None:
    argv = sys.argv[1:]
    wanted = preload_environment(argv)
    again = os.environ.pop(_REEXECUTED, None) is not None
    if wanted is not None and (missing := missing_environment(wanted)) and not again:
        env = {**os.environ, **missing, _REEXECUTED: "1"}
        sys.stdout.flush()
        sys.stderr.flush()
        from gpuprof_gui.workers.relaunch import module_command

        command = module_command(BOOT_MODULE)
        os.execve(command[0], [*command, *argv], env)
    from gpuprof_gui.workers.relaunch import restore_environment

    restore_environment()  # after any re-execution, which needs it: the script must not see our path
    if wanted is None or missing_environment(wanted):
        # Scalene will start its own second process after all: keep its launcher
        # alive on SIGTERM so the profiling process can write its partial profile.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    forked_children_die_of_sigterm()
    children_only_leave_samples()
    sys.argv = ["scalene", *argv]
    runpy.run_module("scalene", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
