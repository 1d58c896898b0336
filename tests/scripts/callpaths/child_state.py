"""Reports, from forked children, whether they inherited a profiler or a SIGTERM handler.

Prints one JSON line per child: {"profiler": ..., "sigterm": ...}.
"""

import json
import multiprocessing as mp
import signal
import sys


def state(_):
    active = sys.getprofile() is not None
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:  # Python 3.12+: cProfile hooks in through sys.monitoring
        active = active or monitoring.get_tool(monitoring.PROFILER_ID) is not None
    return {"profiler": active, "sigterm": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL}


if __name__ == "__main__":
    with mp.get_context("fork").Pool(2) as pool:
        for row in pool.map(state, range(4)):
            print(json.dumps(row))
