"""Trace a Python program's GPU work through CUPTI (NVIDIA's ``cupti-python`` bindings).

    with GpuTracer() as tracer:
        run_the_program()
    trace = tracer.trace            # a core.gpu_trace.GpuTrace

Activity records give every kernel, copy, memset and synchronisation on the GPU's timeline and the
CUDA runtime/driver calls on the CPU's; the callback API, subscribed for launches, copies, memsets
and synchronisations only, takes the calling Python stack at each such call (on the calling thread)
and keeps it by correlation id, so each kernel and copy is tied to the Python line that issued it.
NVTX ranges (the ``nvtx`` package) come as marker records when CUPTI is NVTX's injection library:
the tracer points ``NVTX_INJECTION64_PATH`` at the libcupti it loaded, before the program first uses NVTX.

Trace a script::

    python -m gpuprof_gui.gpu.cupti_trace [--out trace.json] SCRIPT [args...] [--out trace.json]
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any

from gpuprof_gui.core.gpu_trace import COPY_KINDS, MEMORY_KINDS, SYNC_TYPES, GpuTrace, GpuTraceBuilder

HOOKED_CALLS = re.compile(
    r"^(?:cu|cuda|cu64)(?:Launch|Memcpy|Memset|GraphLaunch|(?:Ctx|Device|Stream|Event|Thread)Synchronize|StreamWaitEvent|EventQuery)"
)
"""The runtime/driver calls whose Python caller is taken (launches, copies, memsets, syncs). CUPTI reports
an event query (CuPy's memory pools make them) as a synchronisation too."""
STACK_DEPTH = 16
"""Python frames kept per call, innermost first."""
_LIBRARY_PARTS = (
    os.sep + "site-packages" + os.sep,
    os.sep + "dist-packages" + os.sep,
    os.sep + "cupy" + os.sep,
    os.sep + "cupyx" + os.sep,
    os.sep + "numba" + os.sep,
    os.sep + "numba_cuda" + os.sep,
)
_OWN_FOLDER = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MARKER_START, _MARKER_END = 1 << 1, 1 << 2
BUFFER_BYTES = 32 * 1024 * 1024
"""CUPTI hands a buffer back when it is full, on a thread of its own: from Python 3.12 cProfile records
every thread, so the fewer buffers come back during the run (about 300,000 records each), the less
of the tracer shows up there. The rest come back at the end, with the profiler off."""
NVTX_DEFAULT_DOMAIN = "NVTX"


class GpuTraceUnavailableError(RuntimeError):
    """Tracing cannot start here; ``str()`` says what is missing and how to get it."""


def _load_cupti() -> Any:
    try:
        from cupti import cupti  # type: ignore[import-not-found]
    except ImportError as exc:
        raise GpuTraceUnavailableError(
            f"GPU tracing needs NVIDIA's CUPTI bindings ({exc}). Install them with "
            "`pip install cupti-python` (and `pip install nvtx` to see NVTX ranges), matching your CUDA driver."
        ) from exc
    return cupti


def _is_library(filename: str, cache: dict[str, bool]) -> bool:
    hit = cache.get(filename)
    if hit is None:
        path = os.path.abspath(filename) if not filename.startswith("<") else filename
        hit = (
            filename.startswith("<frozen")
            or any(part in path for part in _LIBRARY_PARTS)
            or path.startswith(_OWN_FOLDER)
            or path.endswith(os.sep + "runpy.py")
        )
        cache[filename] = hit
    return hit


def _libcupti_path() -> str | None:
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                if "libcupti.so" in line:
                    return line.split(None, 5)[-1].strip()
    except OSError:
        return None
    return None


class GpuTracer:
    """Records CUPTI activity and the launching Python stacks between ``__enter__`` and ``__exit__``."""

    def __init__(self, script: str = "", argv: list[str] | None = None, device_index: int = 0) -> None:
        self.script = script
        self.argv = list(argv or [])
        self.device_index = device_index
        self.trace: GpuTrace | None = None
        self._records: list[tuple] = []
        self._stacks: dict[int, tuple] = {}
        self._library_files: dict[str, bool] = {}
        self._subscriber: int | None = None
        self._kinds: list[Any] = []
        self._enabled: list[Any] = []
        self._clock: dict[str, int] = {}
        self._devices: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._enter = 0
        self._program_thread = threading.get_ident()
        self.frameless_calls = 0
        """Hooked CUDA calls made with no Python line of the program's on their own thread (a library's thread)."""

    # --- start and stop ---------------------------------------------------------------------------

    def __enter__(self) -> GpuTracer:
        self._program_thread = threading.get_ident()
        cupti = self._cupti = _load_cupti()
        cupti.get_timestamp()  # loads libcupti, so NVTX can be pointed at it
        lib = _libcupti_path()
        if lib and "NVTX_INJECTION64_PATH" not in os.environ:
            os.environ["NVTX_INJECTION64_PATH"] = lib
        _open_nvtx_domains()
        self._enter = int(cupti.ApiCallbackSite.API_ENTER)
        kind = cupti.ActivityKind
        wanted = ["DEVICE", "CONCURRENT_KERNEL", "MEMCPY", "MEMSET", "SYNCHRONIZATION", "RUNTIME", "DRIVER"]
        wanted += ["MARKER"]
        try:
            cupti.activity_register_callbacks(self._buffer_requested, self._buffer_completed)
            for name in wanted:
                try:
                    cupti.activity_enable(getattr(kind, name))
                    self._kinds.append(getattr(kind, name))
                    self._enabled.append(getattr(kind, name))
                except cupti.cuptiError:
                    if name not in ("MARKER", "DEVICE"):
                        raise
            self._subscribe(cupti)
        except Exception as exc:
            self._stop(cupti)
            raise GpuTraceUnavailableError(f"CUPTI refused to start tracing: {type(exc).__name__}: {exc}") from exc
        self._clock = {"cupti_ns": int(cupti.get_timestamp()), "perf_ns": time.perf_counter_ns(),
                       "monotonic_ns": time.monotonic_ns()}  # fmt: skip
        return self

    def _subscribe(self, cupti: Any) -> None:
        self._subscriber = cupti.subscribe(self._on_api, None)
        domains = (
            (cupti.CallbackDomain.RUNTIME_API, cupti.runtime_api_trace_cbid),
            (cupti.CallbackDomain.DRIVER_API, cupti.driver_api_trace_cbid),
        )
        for domain, ids in domains:
            for name, cbid in ids.__members__.items():
                if HOOKED_CALLS.match(name) and "Graph" not in name.replace("GraphLaunch", ""):
                    cupti.enable_callback(1, self._subscriber, domain, cbid)

    def __exit__(self, *exc_info: Any) -> None:
        cupti = self._cupti
        end = {"cupti_end_ns": int(cupti.get_timestamp()), "perf_end_ns": time.perf_counter_ns()}
        cupti.activity_flush_all(1)
        self._stop(cupti)
        self._clock.update(end)
        self.trace = self._build()

    def _stop(self, cupti: Any) -> None:
        if self._subscriber is not None:
            cupti.unsubscribe(self._subscriber)
            self._subscriber = None
        for kind in self._kinds:
            with contextlib.suppress(cupti.cuptiError):
                cupti.activity_disable(kind)
        self._kinds = []

    # --- callbacks (CUPTI's threads and the program's) ---------------------------------------------

    def _on_api(self, _userdata: Any, _domain: Any, _cbid: Any, data: Any) -> None:
        # Runs inside every hooked CUDA call, on the program's thread and under its cProfile: no
        # Python-level calls but sys._getframe on the usual path (each would be profiled and cost).
        if data.callback_site != self._enter:  # the exit needs nothing
            return
        # f_back, not _getframe(1): on a thread with no Python frames of its own (a library's) this
        # callback is the only frame, and _getframe(1) would raise.
        stack = self._user_stack(sys._getframe().f_back)
        if not stack:
            # A library's own thread (PyTorch's autograd engine launches the backward pass from
            # one): the work is the program's, charged to the line its thread is waiting in.
            self.frameless_calls += 1
            stack = self._user_stack(sys._current_frames().get(self._program_thread))
        self._stacks[data.correlation_id] = stack

    def _user_stack(self, frame: Any) -> tuple:
        stack: tuple = ()
        depth = 0
        library = self._library_files
        while frame is not None and depth < STACK_DEPTH:
            code = frame.f_code
            filename = code.co_filename
            hit = library[filename] if filename in library else _is_library(filename, library)
            if not hit:
                stack += ((filename, frame.f_lineno or 0, code.co_name),)
                depth += 1
            frame = frame.f_back
        return stack

    def _buffer_requested(self) -> tuple[int, int]:
        return BUFFER_BYTES, 0

    def _buffer_completed(self, activities: list) -> None:
        kind = self._cupti.ActivityKind
        out: list[tuple] = []
        for a in activities:
            k = a.kind
            if k == kind.CONCURRENT_KERNEL or k == kind.KERNEL:
                out.append(("kernels", a.name, a.start, a.end, a.stream_id, a.grid_x, a.grid_y, a.grid_z,
                            a.block_x, a.block_y, a.block_z, a.correlation_id))  # fmt: skip
            elif k == kind.MEMCPY:
                out.append(("copies", a.copy_kind, a.bytes, a.src_kind, a.dst_kind, a.start, a.end, a.stream_id,
                            a.correlation_id))  # fmt: skip
            elif k == kind.MEMSET:
                out.append(("memsets", a.bytes, a.start, a.end, a.stream_id, a.correlation_id))
            elif k == kind.SYNCHRONIZATION:
                out.append(("syncs", a.type, a.start, a.end, a.stream_id, a.correlation_id))
            elif k == kind.RUNTIME or k == kind.DRIVER:
                out.append(("api", k == kind.DRIVER, a.cbid, a.start, a.end, a.thread_id, a.correlation_id))
            elif k == kind.MARKER:
                out.append(("markers", a.flags_, a.id, a.name or "", a.timestamp, _marker_thread(a)))
            elif k == kind.DEVICE:
                self._devices.append({"id": a.id, "name": a.name,
                                      "cc": f"{a.compute_capability_major}.{a.compute_capability_minor}"})  # fmt: skip
        with self._lock:
            self._records.extend(out)

    # --- records to a trace -------------------------------------------------------------------------

    def _build(self) -> GpuTrace:
        cupti = self._cupti
        t0 = self._clock["cupti_ns"]
        b = GpuTraceBuilder()
        copy_kind = _codes(cupti.ActivityMemcpyKind, COPY_KINDS,
                           {"HTOD": "H2D", "DTOH": "D2H", "DTOD": "D2D", "HTOH": "H2H", "PTOP": "P2P"})  # fmt: skip
        memory = _codes(cupti.ActivityMemoryKind, MEMORY_KINDS, {
            "PAGEABLE": "pageable", "PINNED": "pinned", "DEVICE": "device", "DEVICE_STATIC": "device",
            "MANAGED": "managed", "MANAGED_STATIC": "managed", "ARRAY": "array"})  # fmt: skip
        sync = _codes(cupti.ActivitySynchronizationType, SYNC_TYPES, {
            "EVENT_SYNCHRONIZE": "event", "STREAM_WAIT_EVENT": "stream_wait_event",
            "STREAM_SYNCHRONIZE": "stream", "CONTEXT_SYNCHRONIZE": "context"})  # fmt: skip
        api_names: dict[tuple[bool, int], int] = {}
        stacks: dict[int, int] = {}
        open_markers: dict[int, tuple[int, int, int]] = {}

        def rel(t: int) -> int:
            return max(0, int(t) - t0)

        def stack(corr: int) -> int:
            if corr not in stacks:
                stacks[corr] = b.stack(self._stacks.get(corr))
            return stacks[corr]

        for r in self._records:
            table = r[0]
            if table == "kernels":
                _, name, s, e, st, gx, gy, gz, bx, by, bz, corr = r
                b.add("kernels", name=b.name(name), start=rel(s), end=rel(e), stream=st, grid_x=gx, grid_y=gy,
                      grid_z=gz, block_x=bx, block_y=by, block_z=bz, corr=corr, stack=stack(corr))  # fmt: skip
            elif table == "copies":
                _, ck, n, src, dst, s, e, st, corr = r
                b.add("copies", kind=copy_kind(ck), bytes=n, src=memory(src), dst=memory(dst), start=rel(s),
                      end=rel(e), stream=st, corr=corr, stack=stack(corr))  # fmt: skip
            elif table == "memsets":
                _, n, s, e, st, corr = r
                b.add("memsets", bytes=n, start=rel(s), end=rel(e), stream=st, corr=corr, stack=stack(corr))
            elif table == "syncs":
                _, ty, s, e, st, corr = r
                b.add("syncs", type=sync(ty), start=rel(s), end=max(rel(s), rel(e)), stream=st & 0xFFFFFFFF,
                      corr=corr, stack=stack(corr))  # fmt: skip
            elif table == "api":
                _, driver, cbid, s, e, thread, corr = r
                key = (driver, cbid)
                if key not in api_names:
                    domain = cupti.CallbackDomain.DRIVER_API if driver else cupti.CallbackDomain.RUNTIME_API
                    api_names[key] = b.name(_callback_name(cupti, domain, cbid))
                b.add("api", name=api_names[key], domain=int(driver), start=rel(s), end=rel(e),
                      thread=thread & 0xFFFFFFFF, corr=corr, stack=stack(corr))  # fmt: skip
            elif table == "markers":
                _, flags, mid, name, ts, thread = r
                if flags & _MARKER_START or not flags & _MARKER_END:
                    open_markers[mid] = (b.name(name), rel(ts), thread)
                if flags & _MARKER_END or not flags & _MARKER_START:
                    name_id, s, th = open_markers.pop(mid, (b.name(name), rel(ts), thread))
                    b.add("markers", name=name_id, start=s, end=max(s, rel(ts)), thread=th & 0xFFFFFFFF)
        return b.build(self._meta())

    def _meta(self) -> dict[str, Any]:
        from gpuprof_gui.gpu import nvml

        handle = nvml.device_handle(self.device_index)
        cc = nvml.query("nvmlDeviceGetCudaComputeCapability", handle) if handle is not None else None
        name = nvml.query("nvmlDeviceGetName", handle) if handle is not None else None
        if not name and self._devices:
            name = self._devices[0]["name"]
        cuda = nvml.query("nvmlSystemGetCudaDriverVersion")
        return {
            "synthetic": False,
            "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "device": {
                "name": name or "",
                "index": self.device_index,
                "compute_capability": f"{cc[0]}.{cc[1]}" if cc else (self._devices[0]["cc"] if self._devices else ""),
            },
            "driver_version": nvml.query("nvmlSystemGetDriverVersion") or "",
            "cuda_version": f"{cuda // 1000}.{cuda % 1000 // 10}" if isinstance(cuda, int) else "",
            "cupti_version": _package_version("cupti-python"),
            "script": self.script,
            "argv": self.argv,
            "clock": dict(self._clock),
            "duration_ns": self._clock["cupti_end_ns"] - self._clock["cupti_ns"],
            "dropped_records": 0,
            "activities": [getattr(k, "name", str(k)) for k in self._enabled],
        }


def _open_nvtx_domains() -> None:
    """Let the ``nvtx`` package's default-domain ranges reach CUPTI.

    ``nvtx.annotate("step")`` and ``nvtx.push_range`` without a domain push onto NVTX's unnamed default
    domain, and CUPTI 13 records no range of that domain (those of a named one it does). Within a
    traced run the package's default domain is the one named "NVTX" (what its documentation calls it);
    nothing changes where the package is not installed, is disabled (``NVTX_DISABLE``) or differs.
    """
    try:
        import nvtx  # type: ignore[import-not-found]
    except ImportError:
        return
    api = getattr(nvtx, "nvtx", None)  # the package's own module, loaded by its __init__
    cached = getattr(api, "_get_domain_cached", None)
    if not nvtx.enabled() or cached is None:
        return

    @functools.cache
    def domain(name: Any) -> Any:
        return cached(NVTX_DEFAULT_DOMAIN if name is None else name)

    setattr(api, "_get_domain_cached", domain)  # noqa: B010 - a module the type checker cannot see


def _marker_thread(a: Any) -> int:
    try:
        return int(a.object_id.pt.thread_id)
    except (AttributeError, TypeError, ValueError):
        return 0


def _codes(enum: Any, names: tuple[str, ...], mapping: dict[str, str]) -> Any:
    """A function from a CUPTI enum value to the index of its name in ``names`` (the last for the rest)."""
    table = {int(getattr(enum, key)): names.index(value) for key, value in mapping.items() if hasattr(enum, key)}
    last = len(names) - 1
    return lambda value: table.get(int(value), last)


def _callback_name(cupti: Any, domain: Any, cbid: int) -> str:
    try:
        return str(cupti.get_callback_name(domain, cbid))
    except Exception:  # noqa: BLE001 - an id this CUPTI has no name for still gets a row
        return f"cbid {cbid}"


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """Run SCRIPT as ``__main__`` under the tracer and write the trace; the script's exit code."""
    import runpy

    from gpuprof_gui.core.gpu_trace import save_gpu_trace

    args = list(sys.argv[1:] if argv is None else argv)
    out = "gpu_trace.json"
    if len(args) >= 2 and args[-2] in ("--out", "-o"):
        out, args = args[-1], args[:-2]
    while args and args[0] in ("--out", "-o") and len(args) >= 2:
        out, args = args[1], args[2:]
    if not args:
        print("usage: python -m gpuprof_gui.gpu.cupti_trace [--out trace.json] SCRIPT [args...]", file=sys.stderr)
        return 2
    script = os.path.abspath(args[0])
    sys.argv = [script, *args[1:]]
    sys.path.insert(0, os.path.dirname(script))
    code = 0
    try:
        tracer = GpuTracer(script=args[0], argv=args[1:])
        with tracer:
            started = time.perf_counter()
            try:
                runpy.run_path(script, run_name="__main__")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            wall = time.perf_counter() - started
    except GpuTraceUnavailableError as exc:
        print(f"gpuprof: {exc}", file=sys.stderr)
        return 3
    assert tracer.trace is not None
    save_gpu_trace(tracer.trace, out)
    counts = ", ".join(f"{tracer.trace.count(t)} {t}" for t in tracer.trace.tables)
    print(f"gpuprof: traced {wall:.3f} s of {args[0]}: {counts} -> {out}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
