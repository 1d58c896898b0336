"""GPU telemetry sampled in a process of its own, for a traced profile run.

    python -m gpuprof_gui.gpu.telemetry_process OUT.json [--hz H]

Samples every GPU until its standard input closes (the traced run has ended, or died), then writes
the telemetry trace to OUT.json. A thread in the profiled process would do the same, but from Python
3.12 cProfile records every thread's calls and the sampler's would be mixed into the script's profile.
"""

from __future__ import annotations

import argparse
import sys

from gpuprof_gui.gpu.telemetry import TelemetrySampler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpuprof_gui.gpu.telemetry_process")
    parser.add_argument("output")
    parser.add_argument("--hz", type=float, default=20.0)
    args = parser.parse_args(argv)
    sampler = TelemetrySampler(args.hz)
    if not sampler.start():
        print(f"no GPU telemetry: {sampler.reason}", file=sys.stderr, flush=True)
        return 3
    try:
        sys.stdin.read()  # until the run closes its end
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        sampler.stop()
    sampler.save_trace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
