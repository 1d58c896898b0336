"""The CUPTI tracer without a GPU: what it says when CUPTI is missing, which calls it hooks, which frames it
keeps, and how it turns activity records into a trace (a stand-in for the cupti module)."""

from __future__ import annotations

import enum
import importlib.util
import subprocess
import sys
from types import SimpleNamespace

import pytest

from gpuprof_gui.core.gpu_trace import COPY_KINDS, MEMORY_KINDS, SYNC_TYPES
from gpuprof_gui.gpu import cupti_trace
from gpuprof_gui.gpu.cupti_trace import HOOKED_CALLS, GpuTracer, GpuTraceUnavailableError, _is_library

no_cupti = pytest.mark.skipif(importlib.util.find_spec("cupti") is not None, reason="cupti-python is installed")


@no_cupti
def test_missing_cupti_says_how_to_get_it():
    with pytest.raises(GpuTraceUnavailableError, match="pip install cupti-python"), GpuTracer():
        pass


@no_cupti
def test_the_command_says_what_is_missing(tmp_path, capsys):
    script = tmp_path / "s.py"
    script.write_text("print('hi')\n")
    assert cupti_trace.main([str(script), "--out", str(tmp_path / "t.json")]) == 3
    assert "cupti-python" in capsys.readouterr().err
    assert not (tmp_path / "t.json").exists()


def test_the_command_without_a_script_prints_its_usage(capsys):
    assert cupti_trace.main([]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "hooked"),
    [
        ("cuLaunchKernel", True), ("cuLaunchKernelEx", True), ("cudaLaunchKernel_v7000", True),
        ("cudaMemcpyAsync_v3020", True), ("cuMemcpyDtoHAsync_v2", True), ("cuMemsetD32Async", True),
        ("cudaStreamSynchronize_v3020", True), ("cuCtxSynchronize", True), ("cudaDeviceSynchronize_v3020", True),
        ("cuEventSynchronize", True), ("cuStreamWaitEvent", True), ("cudaGraphLaunch_v10000", True),
        ("cuMemSetAccess", False), ("cudaMalloc_v3020", False), ("cudaGetDevice_v3020", False),
        ("cuEventRecord", False), ("cudaEventQuery_v3020", True),
    ],
)  # fmt: skip
def test_hooked_calls(name, hooked):
    assert bool(HOOKED_CALLS.match(name)) is hooked


def test_library_frames_are_skipped():
    cache: dict[str, bool] = {}
    assert _is_library("/venv/lib/python3.12/site-packages/cupy/_creation/from_data.py", cache)
    assert _is_library(cupti_trace.__file__, cache)
    assert _is_library("<frozen runpy>", cache)
    assert not _is_library("/home/me/project/train.py", cache)


class _Kind(enum.IntEnum):
    CONCURRENT_KERNEL = 10
    KERNEL = 1
    MEMCPY = 2
    MEMSET = 3
    SYNCHRONIZATION = 4
    RUNTIME = 5
    DRIVER = 6
    MARKER = 7
    DEVICE = 8


_Copy = enum.IntEnum("_Copy", {"HTOD": 1, "DTOH": 2, "DTOD": 8})
_Mem = enum.IntEnum("_Mem", {"PAGEABLE": 1, "DEVICE": 2, "PINNED": 3})
_Sync = enum.IntEnum("_Sync", {"EVENT_SYNCHRONIZE": 1, "STREAM_SYNCHRONIZE": 3, "CONTEXT_SYNCHRONIZE": 4})
_Domain = enum.IntEnum("_Domain", {"DRIVER_API": 1, "RUNTIME_API": 2})


def _stand_in() -> SimpleNamespace:
    return SimpleNamespace(
        ActivityKind=_Kind, ActivityMemcpyKind=_Copy, ActivityMemoryKind=_Mem,
        ActivitySynchronizationType=_Sync, CallbackDomain=_Domain,
        get_callback_name=lambda domain, cbid: {(1, 307): "cuLaunchKernel", (2, 51): "cudaMemcpyAsync"}[domain, cbid],
    )  # fmt: skip


def _rec(kind, **fields):
    return SimpleNamespace(kind=kind, **fields)


def test_records_become_a_trace_tied_to_python_lines(monkeypatch):
    tracer = GpuTracer(script="train.py")
    tracer._cupti = _stand_in()
    tracer._clock = {"cupti_ns": 1_000, "perf_ns": 5, "cupti_end_ns": 9_000, "perf_end_ns": 8_005}
    tracer._stacks = {11: (("train.py", 7, "step"), ("train.py", 20, "main")), 12: (("train.py", 8, "step"),)}
    monkeypatch.setattr(GpuTracer, "_meta", lambda self: {"clock": self._clock})
    kernel = {"grid_x": 4, "grid_y": 1, "grid_z": 1, "block_x": 256, "block_y": 1, "block_z": 1, "stream_id": 7}
    tracer._buffer_completed([
        _rec(_Kind.CONCURRENT_KERNEL, name="scale", start=2_000, end=2_500, correlation_id=11, **kernel),
        _rec(_Kind.MEMCPY, copy_kind=_Copy.DTOH, bytes=4096, src_kind=_Mem.DEVICE, dst_kind=_Mem.PAGEABLE,
             start=3_000, end=3_400, stream_id=7, correlation_id=12),
        _rec(_Kind.SYNCHRONIZATION, type=_Sync.STREAM_SYNCHRONIZE, start=2_600, end=2_900, stream_id=7,
             correlation_id=13),
        _rec(_Kind.DRIVER, cbid=307, start=1_500, end=1_600, thread_id=42, correlation_id=11),
        _rec(_Kind.RUNTIME, cbid=51, start=2_950, end=3_500, thread_id=42, correlation_id=12),
        _rec(_Kind.MARKER, flags_=2, id=1, name="epoch", timestamp=1_200, object_id=None),
        _rec(_Kind.MARKER, flags_=4, id=1, name="", timestamp=3_800, object_id=None),
    ])  # fmt: skip
    trace = tracer._build()
    k, c, s = trace.tables["kernels"], trace.tables["copies"], trace.tables["syncs"]
    assert trace.name(int(k["name"][0])) == "scale" and k["start"].tolist() == [1_000] and k["end"].tolist() == [1_500]
    assert trace.stack_frames(int(k["stack"][0])) == [("train.py", 7, "step"), ("train.py", 20, "main")]
    assert COPY_KINDS[int(c["kind"][0])] == "D2H" and c["bytes"].tolist() == [4096]
    assert MEMORY_KINDS[int(c["src"][0])] == "device" and MEMORY_KINDS[int(c["dst"][0])] == "pageable"
    assert trace.stack_frames(int(c["stack"][0])) == [("train.py", 8, "step")]
    assert SYNC_TYPES[int(s["type"][0])] == "stream" and s["stack"].tolist() == [-1]
    api = trace.tables["api"]
    assert [trace.name(int(n)) for n in api["name"]] == ["cuLaunchKernel", "cudaMemcpyAsync"]
    assert api["domain"].tolist() == [1, 0] and api["thread"].tolist() == [42, 42]
    m = trace.tables["markers"]
    assert trace.name(int(m["name"][0])) == "epoch" and m["start"].tolist() == [200] and m["end"].tolist() == [2_800]


def test_importing_the_tracer_loads_no_cuda_library():
    code = "import sys, gpuprof_gui.gpu.cupti_trace; print(sorted(m for m in ('cupti', 'cupy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
