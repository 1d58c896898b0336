"""Convert worker: parses an untrusted profile file in a throw-away process.

    python -m gpuprof_gui.workers.convert_worker --channel-fd N IN OUT

``.prof`` files are ``marshal`` data, and ``marshal`` is not hardened against
malformed input: a crafted or truncated file can crash or hang the parser.
Here that only ends this worker; the caller reports it and keeps running.
On success OUT holds the profile and a ``result`` message names it: numpy
columns (:mod:`gpuprof_gui.core.profile_npz`) when OUT ends in ``.npz``, the
window's fast hand-off, otherwise our JSON format.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import traceback

from gpuprof_gui.protocol import CHANNEL_FD_ARG, ExitCode, MsgType
from gpuprof_gui.workers._channel import Channel, WorkerArgParser, serve

# marshal trusts the lengths inside the file: 4 KiB of random bytes can make
# it allocate 13 GB (measured) before failing. A real pstats dump expands to
# roughly 10-30x its size in Python objects plus the call tree; 64x, and never
# less than 1 GiB, leaves room for any genuine file while a damaged one fails
# fast with MemoryError instead of swapping the machine.
MEMORY_BUDGET_PER_FILE_BYTE = 64
MIN_MEMORY_BUDGET_BYTES = 1 << 30


@contextlib.contextmanager
def limited_address_space(extra_bytes: int):
    """Cap this process's address space at its current size plus ``extra_bytes``."""
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = current + extra_bytes
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):  # not Linux: run without the cap
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = WorkerArgParser(prog="gpuprof_gui.workers.convert_worker")
    parser.add_argument(CHANNEL_FD_ARG, dest="channel_fd", type=int, required=True)
    parser.add_argument("input")
    parser.add_argument("output")
    return parser.parse_args(argv)


def convert(in_path: str, out_path: str, channel: Channel) -> int:
    from gpuprof_gui.core.importers import ProfileFormatError, load_profile

    try:
        size = os.path.getsize(in_path)
    except OSError:
        size = 0
    budget = max(MIN_MEMORY_BUDGET_BYTES, size * MEMORY_BUDGET_PER_FILE_BYTE)
    try:
        with limited_address_space(budget):
            profile = load_profile(in_path, trusted=True)
    except MemoryError:
        channel.error(
            ExitCode.BAD_PROFILE_FILE, "The file is a damaged cProfile dump: it claims more data than it holds."
        )
        return ExitCode.BAD_PROFILE_FILE
    except ProfileFormatError as exc:
        channel.error(ExitCode.BAD_PROFILE_FILE, str(exc))
        return ExitCode.BAD_PROFILE_FILE
    except OSError as exc:
        channel.error(ExitCode.BAD_PROFILE_FILE, f"The profile file could not be read: {exc.strerror} ({in_path}).")
        return ExitCode.BAD_PROFILE_FILE
    except (ValueError, EOFError, TypeError, KeyError, IndexError, RecursionError) as exc:
        # marshal/pstats raise these on damaged data the importer did not foresee
        channel.error(
            ExitCode.BAD_PROFILE_FILE,
            f"{ExitCode.BAD_PROFILE_FILE.message} ({type(exc).__name__}: {exc})",
            traceback.format_exc(),
        )
        return ExitCode.BAD_PROFILE_FILE
    if out_path.endswith(".npz"):
        from gpuprof_gui.core.profile_npz import dump_profile_npz

        dump_profile_npz(profile, out_path)
    else:
        from gpuprof_gui.core.serialize import dump_profile

        dump_profile(profile, out_path)
    channel.send(MsgType.RESULT, profile_path=out_path, profiler=profile.profiler)
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return serve(args.channel_fd, "convert", lambda channel: convert(args.input, args.output, channel))


if __name__ == "__main__":
    # A throw-away process that builds about a million objects and no reference cycles: the
    # cyclic collector ran 436 times and took 9% (0.13 s) of parsing a 20,000-function dump.
    # limited_address_space still bounds the memory a damaged file can take.
    gc.disable()
    status = main()
    # The result is written and announced; skip the interpreter's teardown, which frees the
    # parsed dump object by object (60-90 ms for a 20,000-function profile) while the
    # window waits for this process to end.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
