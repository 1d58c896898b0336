"""Convert worker: parses an untrusted profile file in a throw-away process.

    python -m gpuprof_gui.workers.convert_worker --channel-fd N IN OUT

``.prof`` files are ``marshal`` data, and ``marshal`` is not hardened against
malformed input: a crafted or truncated file can crash or hang the parser.
Here that only ends this worker; the caller reports it and keeps running.
On success OUT holds the profile in our own JSON format and a ``result``
message names it.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from gpuprof_gui.protocol import CHANNEL_FD_ARG, ExitCode, MsgType
from gpuprof_gui.workers._channel import Channel, open_channel


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(ExitCode.BAD_ARGUMENTS)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _ArgParser(prog="gpuprof_gui.workers.convert_worker")
    parser.add_argument(CHANNEL_FD_ARG, dest="channel_fd", type=int, required=True)
    parser.add_argument("input")
    parser.add_argument("output")
    return parser.parse_args(argv)


def convert(in_path: str, out_path: str, channel: Channel) -> int:
    from gpuprof_gui.core.importers import ProfileFormatError, load_profile
    from gpuprof_gui.core.serialize import dump_profile

    try:
        profile = load_profile(in_path, trusted=True)
    except ProfileFormatError as exc:
        channel.error(ExitCode.BAD_PROFILE_FILE, str(exc))
        return ExitCode.BAD_PROFILE_FILE
    except OSError as exc:
        channel.error(ExitCode.BAD_PROFILE_FILE,
                      f"The profile file could not be read: {exc.strerror} ({in_path}).")
        return ExitCode.BAD_PROFILE_FILE
    except (ValueError, EOFError, TypeError, KeyError, IndexError, RecursionError) as exc:
        # marshal/pstats raise these on damaged data the importer did not foresee
        channel.error(ExitCode.BAD_PROFILE_FILE,
                      f"{ExitCode.BAD_PROFILE_FILE.message} ({type(exc).__name__}: {exc})",
                      traceback.format_exc())
        return ExitCode.BAD_PROFILE_FILE
    dump_profile(profile, out_path)
    channel.send(MsgType.RESULT, profile_path=out_path, profiler=profile.profiler)
    return ExitCode.OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    channel = open_channel(args.channel_fd, "convert")
    if channel is None:
        print(f"convert_worker: {CHANNEL_FD_ARG} {args.channel_fd} is not an open pipe",
              file=sys.stderr)
        return ExitCode.BAD_ARGUMENTS
    try:
        return convert(args.input, args.output, channel)
    except Exception:
        text = traceback.format_exc()
        sys.stderr.write(text)
        channel.error(ExitCode.INTERNAL_ERROR, ExitCode.INTERNAL_ERROR.message, text)
        return ExitCode.INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
