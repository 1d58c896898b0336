"""The kernel worker: the only process that creates a CUDA context.

``python -m gpuprof_gui.workers.kernel_worker [--channel-fd N] VERB ...``

- ``describe FILE``: the problem and candidates (kinds, CUDA source) as a
  ``result`` message; needs no GPU, no CuPy.
- ``run FILE [--size N ...] [--candidate NAME ...] [--source-override NAME=PATH ...]
  [--source-override-text NAME=SOURCE ...] --output-dir DIR``: for each candidate (all sizes of one, then the next):
  compile, check against the NumPy reference on fresh random inputs
  (output poisoned first), time with CUDA events; ``progress`` messages carry
  each record as it is made, ``result`` the path of DIR/results.json.
- ``copy``: device facts and the measured device-to-device copy bandwidth.

Exit statuses: 0; ``lab_model.WORKER_EXIT_NO_GPU`` (no CuPy/driver/device,
``result`` says why); ``lab_model.WORKER_EXIT_CONTEXT_LOST`` (a kernel
killed the CUDA context; the records so far were sent and saved).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.protocol import CHANNEL_FD_ARG, ExitCode, MsgType
from gpuprof_gui.workers._channel import Channel, open_channel

try:  # NumPy: a GPU host's Python may lack it, and must say so in a sentence, not a traceback
    from gpuprof_gui.lab import LabFileError, describe, load_lab_file
except ImportError as _missing:
    MISSING: ImportError | None = _missing

    class LabFileError(Exception):  # type: ignore[no-redef]
        pass
else:
    MISSING = None

WORKER_NAME = "kernel"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kernel_worker")
    parser.add_argument(CHANNEL_FD_ARG, dest="channel_fd", type=int, default=None)
    parser.add_argument("verb", choices=("describe", "run", "copy"))
    parser.add_argument("file", nargs="?")
    parser.add_argument("--size", type=int, action="append", default=[])
    parser.add_argument("--candidate", action="append", default=[])
    parser.add_argument("--source-override", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--source-override-text", action="append", default=[], metavar="NAME=SOURCE")
    parser.add_argument("--output-dir", default=".")
    return parser.parse_args(argv)


def cuda_unavailable_reason(cp_holder: list) -> str | None:
    """None when CuPy imports and sees a device (and puts the module into ``cp_holder``)."""
    try:
        import cupy as cp
    except Exception as exc:  # noqa: BLE001 - a broken CuPy install raises anything on import
        return (
            f"CuPy is not installed ({type(exc).__name__}); install the build matching "
            "your driver, e.g. `pip install cupy-cuda13x` or `pip install cupy-cuda12x`"
        )
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - CUDARuntimeError without a driver, and whatever else stops CUDA
        return f"no usable NVIDIA driver or GPU ({type(exc).__name__}: {exc})"
    if count <= 0:
        return "CUDA reports no GPU on this machine"
    cp_holder.append(cp)
    return None


def _numba_cuda(lab) -> tuple[object | None, str | None]:
    """numba.cuda when it can compile and run a kernel here, else (None, why not)."""
    if not any(c.kind == "numba" for c in lab.candidates):
        return None, None
    import numpy as np

    if not hasattr(np, "row_stack"):
        # NumPy 2.5 removed row_stack (deprecated alias of vstack); numba-cuda
        # releases that still name it fail at their first compile without this.
        np.row_stack = np.vstack
    try:
        from numba import cuda
    except Exception as exc:  # noqa: BLE001 - a broken Numba install raises anything on import
        return None, f"Numba is not installed ({type(exc).__name__}); `pip install numba-cuda`"
    try:
        if not cuda.is_available():
            return None, "Numba cannot use the CUDA driver on this machine"

        @cuda.jit
        def probe(a):
            i = cuda.grid(1)
            if i < a.size:
                a[i] = i

        arr = cuda.device_array(4, dtype=np.float32)
        probe[1, 4](arr)
        cuda.synchronize()
    except Exception as exc:  # noqa: BLE001 - whatever stops the probe kernel means Numba cannot be used
        import numba

        first = (str(exc).strip().splitlines() or [""])[0]
        return None, (
            f"Numba {numba.__version__} cannot compile CUDA kernels here with NumPy "
            f"{np.__version__} ({type(exc).__name__}: {first})"
        )
    return cuda, None


def _apply_overrides(lab, overrides: list[str], texts: tuple[str, ...] = ()) -> None:
    """Edited candidate sources: from files (``NAME=PATH``), or given whole (``NAME=SOURCE``, on a remote host)."""
    for item, from_file in [*((o, True) for o in overrides), *((t, False) for t in texts)]:
        name, sep, value = item.partition("=")
        if not sep:
            raise LabFileError(f"a source override wants NAME=PATH or NAME=SOURCE, not {item[:40]!r}")
        if from_file:
            with open(value, encoding="utf-8") as fh:
                value = fh.read()
        source = value
        idx = lab.candidates.index(lab.candidate(name))
        lab.candidates[idx] = lab.candidates[idx].with_source(source)


def _startup_ms(cp, t0: float) -> float:
    """Milliseconds from before ``import cupy`` to a live CUDA context (an allocation makes it)."""
    cp.empty(1, dtype=cp.uint8)
    cp.cuda.runtime.deviceSynchronize()
    return (time.perf_counter() - t0) * 1e3


def _run(args: argparse.Namespace, channel: Channel | None) -> int:
    holder: list = []
    t0 = time.perf_counter()
    reason = cuda_unavailable_reason(holder)
    if reason is not None:
        if channel:
            channel.send(MsgType.RESULT, status="no_gpu", reason=reason)
        print(reason, file=sys.stderr)
        return lm.WORKER_EXIT_NO_GPU
    cp = holder[0]
    startup_ms = _startup_ms(cp, t0)
    if args.verb == "copy":
        from gpuprof_gui.workers.kernel_worker_device import device_facts, measure_copy_gbps

        facts = device_facts(cp)
        facts.copy_gbps = measure_copy_gbps(cp)
        facts.startup_ms = startup_ms
        if channel:
            channel.send(MsgType.RESULT, status="ok", device=facts.to_dict())
        print(facts.to_dict())
        return 0
    from gpuprof_gui.workers.kernel_worker_run import LabSession

    lab = load_lab_file(args.file)
    _apply_overrides(lab, args.source_override, tuple(args.source_override_text))
    if args.candidate:
        lab.candidates = [lab.candidate(name) for name in args.candidate]
    numba_cuda, numba_reason = _numba_cuda(lab)
    os.makedirs(args.output_dir, exist_ok=True)
    session = LabSession(
        cp,
        lab,
        args.size or list(lab.problem.default_sizes),
        channel,
        args.output_dir,
        numba_cuda,
        numba_reason,
        startup_ms,
    )
    session.prepare()
    for cand in lab.candidates:
        session.run_candidate(cand)
    path = session.save()
    if channel:
        channel.send(MsgType.RESULT, status="ok", path=os.path.abspath(path))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    channel = open_channel(args.channel_fd, WORKER_NAME) if args.channel_fd is not None else None
    if args.verb in ("describe", "run") and not args.file:
        if channel:
            channel.error(ExitCode.BAD_ARGUMENTS, f"{args.verb} needs a candidate file")
        return int(ExitCode.BAD_ARGUMENTS)
    if MISSING is not None:
        version = ".".join(map(str, sys.version_info[:3]))
        message = (
            f"{MISSING.name or 'a module the lab needs'} is not installed for {sys.executable} (Python {version}), "
            "which the lab needs with CuPy: install them there, or name another Python"
        )
        if channel:
            channel.send(MsgType.RESULT, status="no_gpu", reason=message)
        print(message, file=sys.stderr)
        return lm.WORKER_EXIT_NO_GPU
    try:
        if args.verb == "describe":
            info = describe(load_lab_file(args.file))
            if channel:
                channel.send(MsgType.RESULT, status="ok", describe=info)
            else:
                import json

                print(json.dumps(info, indent=1))
            return 0
        return _run(args, channel)
    except (LabFileError, KeyError, OSError) as exc:
        message = str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)
        if channel:
            channel.error(ExitCode.BAD_ARGUMENTS, message)
        print(message, file=sys.stderr)
        return int(ExitCode.BAD_ARGUMENTS)
    except Exception as exc:  # noqa: BLE001 - said on the channel: the worker tells why it stops
        if channel:
            channel.error(ExitCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", traceback.format_exc())
        traceback.print_exc()
        return int(ExitCode.INTERNAL_ERROR)


if __name__ == "__main__":
    sys.exit(main())
