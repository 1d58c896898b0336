"""How much opening a big foreign cProfile dump adds to the window's start-up.

Prints one JSON object:
  pstats_load_s            ``pstats.Stats(path)`` in this process: the floor any reader of the file pays
  empty_window_s           ``gpuprof gui --screenshot out.png``: start, show the window, save it, quit
  window_with_profile_s    ``gpuprof gui BIG.prof --screenshot out.png``: the same, once the profile is shown
  added_s                  window_with_profile_s - empty_window_s. Target <= 0.6 s.
  added_over_pstats_load   added_s / pstats_load_s
  in_process_parse_s       ``load_profile(path, trusted=True)`` here: pstats plus building the call tree,
                           what the convert worker itself spends; the rest of added_s is moving the
                           result and showing it
Each figure is the best of --repeat runs, taken side by side (one of each per round), so
the machine's load at the time affects all of them alike.

The profile is real: benchmarks/make_big_profile.py generates a program of 20,000
distinct functions and profiles it with cProfile (20,312 functions and 49,303
caller->callee edges in pstats; about 10 s). ``--profile FILE`` measures an existing
dump instead; ``--compare-with FILE`` also opens a second dump in each round, e.g. the
shared generator's ``large.prof``, to show that the two cost the same to open.

On a shared machine other work changes the figures a lot (on the 2-core VM one busy
core took the window's start-up and the worker's parse from running side by side to
taking turns); ``--wait-idle`` waits before each round until the CPUs are
mostly idle (Linux), and says how long it waited.

Run: .venv/bin/python benchmarks/open_big_profile.py [--repeat 3] [--profile FILE] [--compare-with FILE]
                                                   [--wait-idle]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_big_profile import make_profile  # noqa: E402

TARGET_ADDED_S = 0.6
WINDOW_TIMEOUT_S = 120
IDLE_BUSY_FRACTION = 0.15  # "idle enough": under 15% of all CPUs busy over IDLE_SAMPLE_S
IDLE_SAMPLE_S = 1.0
IDLE_WAIT_LIMIT_S = 120.0  # then measure anyway; the output says it did not get idle


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies of all CPUs from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)  # idle + iowait


def wait_until_idle() -> float | None:
    """Wait until the machine is mostly idle; seconds waited, or None if it never was."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < IDLE_WAIT_LIMIT_S:
        before = _cpu_times()
        time.sleep(IDLE_SAMPLE_S)
        after = _cpu_times()
        if before is None or after is None:
            return 0.0
        idle, total = after[0] - before[0], after[1] - before[1]
        if total > 0 and 1.0 - idle / total < IDLE_BUSY_FRACTION:
            return round(time.monotonic() - t0, 1)
    return None


def window_env(tmp: str) -> dict[str, str]:
    """Offscreen, with settings and run folders of our own, so no earlier session changes what opens."""
    return dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=os.path.join(tmp, "config"),
        XDG_CACHE_HOME=os.path.join(tmp, "cache"),
        GPUPROF_RUNS_DIR=os.path.join(tmp, "runs"),
        PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p),
    )


def screenshot_wall_s(env: dict[str, str], tmp: str, path: str | None) -> float:
    """Wall time of ``gpuprof gui [path] --screenshot``, as a user starts it."""
    shot = os.path.join(tmp, "shot.png")
    argv = [sys.executable, "-m", "gpuprof_gui.cli", "gui", *([path] if path else []), "--screenshot", shot]
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=WINDOW_TIMEOUT_S)
    wall = time.perf_counter() - t0
    if done.returncode != 0 or (path and "Opened" not in done.stderr):
        raise SystemExit(f"gpuprof gui {path or ''} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall


def pstats_load_s(path: str) -> float:
    t0 = time.perf_counter()
    pstats.Stats(path)
    return time.perf_counter() - t0


def in_process_parse_s(path: str) -> float:
    from gpuprof_gui.core.importers import load_profile

    t0 = time.perf_counter()
    load_profile(path, trusted=True)
    return time.perf_counter() - t0


def measure(path: str, compare_with: str | None, repeat: int, wait_idle: bool) -> dict:
    samples: dict[str, list[float]] = {
        "pstats_load_s": [],
        "in_process_parse_s": [],
        "empty_window_s": [],
        "window_with_profile_s": [],
    }
    if compare_with:
        samples.update(compare_pstats_load_s=[], window_with_compare_s=[])
    with tempfile.TemporaryDirectory(prefix="gpuprof-bench-") as tmp:
        env = window_env(tmp)
        screenshot_wall_s(env, tmp, None)  # warm the file cache; not counted
        waited = []
        for _ in range(repeat):
            if wait_idle:
                waited.append(wait_until_idle())
            samples["pstats_load_s"].append(pstats_load_s(path))
            samples["in_process_parse_s"].append(in_process_parse_s(path))
            samples["empty_window_s"].append(screenshot_wall_s(env, tmp, None))
            samples["window_with_profile_s"].append(screenshot_wall_s(env, tmp, path))
            if compare_with:
                samples["compare_pstats_load_s"].append(pstats_load_s(compare_with))
                samples["window_with_compare_s"].append(screenshot_wall_s(env, tmp, compare_with))
    best = {key: round(min(values), 3) for key, values in samples.items()}
    added = best["window_with_profile_s"] - best["empty_window_s"]
    result = {
        **best,
        "added_s": round(added, 3),
        "added_over_pstats_load": round(added / best["pstats_load_s"], 2),
        "samples_s": {key: [round(v, 3) for v in values] for key, values in samples.items()},
    }
    if wait_idle:
        result["waited_for_idle_s"] = waited  # None: the machine never became idle that round
    if compare_with:
        result["compare_added_s"] = round(best["window_with_compare_s"] - best["empty_window_s"], 3)
    return result


def profile_counts(path: str) -> dict:
    stats = pstats.Stats(path).stats
    return {
        "functions_in_pstats": len(stats),
        "edges_in_pstats": sum(len(entry[4]) for entry in stats.values()),
        "prof_bytes": os.path.getsize(path),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", help="measure this .prof instead of generating one")
    parser.add_argument("--compare-with", metavar="FILE", help="also open this .prof in each round")
    parser.add_argument("--wait-idle", action="store_true", help="before each round, wait for idle CPUs")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gpuprof-big-") as out_dir:
        if args.profile:
            path, made = args.profile, {}
        else:
            made = make_profile(out_dir)
            path = made["prof"]
        result = {
            "profile": {
                **profile_counts(path),
                "generated": not args.profile,
                "profiled_run_s": made.get("profiled_run_s"),
            }
        }
        if args.compare_with:
            result["compare_profile"] = profile_counts(args.compare_with)
        result.update(measure(path, args.compare_with, args.repeat, args.wait_idle))
    from PySide6 import __version__ as qt_version

    result.update(
        {
            "target_added_s": TARGET_ADDED_S,
            "python": platform.python_version(),
            "qt": qt_version,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
            "date": time.strftime("%Y-%m-%d"),
        }
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
