"""One kernel-lab session in the worker: per size, per candidate, check and time.

Candidates run one after another (all sizes of one before the next), so a
fault ends at most the rest of one candidate; the parent restarts the worker
with the candidates that are left.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
import time
import traceback
from datetime import datetime, timezone
from typing import Any

import numpy as np

from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.lab import relative_error
from gpuprof_gui.lab.candidates import Candidate, LabFile
from gpuprof_gui.lab.loader import describe
from gpuprof_gui.protocol import MsgType
from gpuprof_gui.workers.kernel_worker_build import BuiltCandidate, CompileError, is_numba_compile_error
from gpuprof_gui.workers.kernel_worker_device import device_facts, measure_copy_gbps, time_transfers
from gpuprof_gui.workers.kernel_worker_timing import L2Flusher, time_on_cpu, time_on_device

RESULTS_NAME = "results.json"


class _SizeData:
    """Host inputs, reference output and its CPU time for one size; device copies made on demand."""

    def __init__(
        self,
        size: int,
        seed: int,
        inputs: tuple,
        ref: np.ndarray,
        cpu_ms: float,
        flops: float,
        bytes_moved: float,
        out_dtype: np.dtype,
    ) -> None:
        self.size, self.seed, self.inputs, self.ref = size, seed, inputs, ref
        self.cpu_ms, self.flops, self.bytes_moved, self.out_dtype = cpu_ms, flops, bytes_moved, out_dtype
        self.transfer: lm.TransferTiming | None = None
        self.device: tuple | None = None  # (inputs on the device, out)

    @property
    def working_set_bytes(self) -> int:
        arrays = sum(a.nbytes for a in self.inputs if isinstance(a, np.ndarray))
        return arrays + self.ref.size * self.out_dtype.itemsize


class LabSession:
    """Runs the candidates of one file on the current device, reporting as it goes."""

    def __init__(
        self,
        cp: Any,
        lab: LabFile,
        sizes: list[int],
        channel: Any,
        output_dir: str,
        numba_cuda: Any = None,
        numba_reason: str | None = None,
        startup_ms: float | None = None,
    ) -> None:
        self.cp, self.lab, self.sizes, self.channel = cp, lab, sizes, channel
        self.output_dir = output_dir
        self.numba_cuda, self.numba_reason = numba_cuda, numba_reason
        self.dev = device_facts(cp)
        self.dev.copy_gbps = measure_copy_gbps(cp)
        self.dev.startup_ms = startup_ms
        self.flusher = L2Flusher(cp, self.dev.l2_bytes) if self.dev.l2_bytes else None
        info = describe(lab)
        self.run = lm.LabRun(
            problem=info["problem"],
            candidates=info["candidates"],
            device=self.dev,
            file=os.path.basename(lab.path),
            host=socket.gethostname(),
            date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            started_wall=time.time(),
        )
        self.size_data: dict[int, _SizeData] = {}
        self._send(lm.PHASE_DEVICE, device=self.dev.to_dict())

    def _send(self, phase: str, **fields: Any) -> None:
        if self.channel is not None:
            self.channel.send(MsgType.PROGRESS, phase=phase, fraction=None, **fields)

    # -- per size ---------------------------------------------------------
    def prepare(self) -> None:
        """Inputs, CPU reference and transfer timings for every size, before any candidate."""
        problem = self.lab.problem
        for size in self.sizes:
            self._send(lm.PHASE_REFERENCE, size=size)
            seed = secrets.randbits(63)  # fresh inputs each run; recorded to reproduce one
            inputs = tuple(problem.make_inputs(size, np.random.default_rng(seed)))
            ref, cpu_ms = time_on_cpu(functools.partial(problem.reference, *inputs))
            ref = np.asarray(ref)
            out_dtype = np.dtype(problem.output_dtype or ref.dtype)
            flops, nbytes = problem.work(size, ref)
            data = _SizeData(size, seed, inputs, ref, cpu_ms, flops, nbytes, out_dtype)
            data.transfer = time_transfers(self.cp, size, inputs, ref.astype(out_dtype, copy=False))
            self.run.transfers.append(data.transfer)
            self._send(lm.PHASE_TRANSFER, transfer=data.transfer.to_dict())
            self.size_data[size] = data

    def _device_buffers(self, data: _SizeData) -> tuple:
        if data.device is None:
            cp = self.cp
            dev_inputs = tuple(cp.asarray(a) if isinstance(a, np.ndarray) else a for a in data.inputs)
            data.device = (dev_inputs, cp.empty(data.ref.shape, dtype=data.out_dtype))
        return data.device

    def _poison(self, out: Any) -> None:
        """NaN for floats, all-ones bytes for integers: unwritten elements cannot pass."""
        if out.dtype.kind in "fc":
            out.fill(float("nan"))
        elif out.nbytes:
            self.cp.cuda.runtime.memsetAsync(out.data.ptr, 0xFF, out.nbytes, self.cp.cuda.get_current_stream().ptr)

    # -- per candidate ----------------------------------------------------
    def _record(self, cand: Candidate, data: _SizeData) -> lm.LabRecord:
        t = data.transfer
        return lm.LabRecord(
            candidate=cand.name,
            size=data.size,
            kind=cand.kind,
            seed=data.seed,
            rtol=self.lab.problem.tolerance_for(data.out_dtype),
            flops=data.flops,
            bytes_moved=data.bytes_moved,
            cpu_ms=data.cpu_ms,
            h2d_ms=t.h2d_pageable_ms if t else None,
            d2h_ms=t.d2h_pageable_ms if t else None,
            start_mono=time.monotonic(),
            start_wall=time.time(),
        )

    def _finish(self, rec: lm.LabRecord) -> None:
        rec.end_mono, rec.end_wall = time.monotonic(), time.time()
        lm.derive_metrics(rec, self.dev, self.lab.problem.flops_dtype)
        self.run.records.append(rec)
        self._send(lm.PHASE_RECORD, record=rec.to_dict())

    def run_candidate(self, cand: Candidate) -> None:
        """Compile, check and time ``cand`` at every size; exits the process if the context dies."""
        first = self.size_data[self.sizes[0]]
        self._send(lm.PHASE_CANDIDATE, candidate=cand.name, size=first.size)
        if cand.kind == "numba" and self.numba_cuda is None:
            for size in self.sizes:
                rec = self._record(cand, self.size_data[size])
                rec.status, rec.error = "skipped", self.numba_reason or "Numba is not installed"
                self._finish(rec)
            return
        t0 = time.perf_counter()
        try:
            built = BuiltCandidate(self.cp, cand, self.dev, self.numba_cuda)
            compile_ms = (time.perf_counter() - t0) * 1e3
        except Exception as exc:  # noqa: BLE001 - compile error, or a broken declaration
            message, fatal = self._classify(exc)
            for size in self.sizes:
                rec = self._record(cand, self.size_data[size])
                rec.status, rec.error = "failed", message
                self._finish(rec)
            if fatal:
                self._context_lost(cand, message)
            return
        for i, size in enumerate(self.sizes):
            data = self.size_data[size]
            if i:
                self._send(lm.PHASE_CANDIDATE, candidate=cand.name, size=size)
            rec = self._record(cand, data)
            rec.compile_ms = compile_ms if i == 0 else None
            try:
                self._check_and_time(built, data, rec)
            except Exception as exc:  # noqa: BLE001 - a candidate's failure is its result, classified below
                message, fatal = self._classify(exc)
                rec.status, rec.correct, rec.error = "failed", False, message
                self._finish(rec)
                if fatal:
                    self._context_lost(cand, message)
                continue
            self._finish(rec)

    def _check_and_time(self, built: BuiltCandidate, data: _SizeData, rec: lm.LabRecord) -> None:
        cp = self.cp
        dev_inputs, out = self._device_buffers(data)
        launch = built.launcher(data.size, dev_inputs, out)
        self._poison(out)
        t0 = time.perf_counter()
        result = launch()
        cp.cuda.Device().synchronize()
        # The first call pays lazy work (JIT or kernel-cache load, module load): a
        # program pays it once too, so the advisor adds it to the start-up.
        rec.first_call_ms = (time.perf_counter() - t0) * 1e3
        err = relative_error(cp.asnumpy(result), data.ref, self.lab.problem.error_norm)
        rec.max_rel_err = err
        rtol = self.lab.problem.tolerance_for(data.out_dtype)  # what _record put in rec.rtol
        rec.correct = bool(np.isfinite(err) and err <= rtol)
        if not rec.correct:
            rec.status = "wrong"
            rec.error = (
                "the output contains NaN or infinity"
                if not np.isfinite(err)
                else f"relative error {err:.3g} exceeds the tolerance {rtol:g}"
            )
        fits_l2 = self.flusher is not None and data.working_set_bytes <= self.dev.l2_bytes
        timing = time_on_device(cp, launch, self.flusher if fits_l2 else None)
        for key, value in timing.items():
            setattr(rec, key, value)

    def _classify(self, exc: BaseException) -> tuple[str, bool]:
        """(message for the user, whether the CUDA context is dead)."""
        cp = self.cp
        if isinstance(exc, CompileError):
            return f"compile error:\n{exc}", False
        if is_numba_compile_error(exc):
            return f"compile error (Numba): {str(exc).strip().splitlines()[0]}", False
        if isinstance(exc, cp.cuda.memory.OutOfMemoryError):
            cp.get_default_memory_pool().free_all_blocks()
            return f"out of device memory: {exc}", False
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({os.path.basename(frame.filename)} line {frame.lineno})" if frame else ""
        message = f"{type(exc).__name__}: {exc}{where}"
        return message, not self._context_alive()

    def _context_alive(self) -> bool:
        """A sticky error (illegal address, launch failure) makes every later call fail."""
        try:
            self.cp.cuda.runtime.deviceSynchronize()
            probe = self.cp.arange(4)
            return int(probe.sum()) == 6
        except Exception:  # noqa: BLE001 - any failure here means the device is no longer usable
            return False

    def _context_lost(self, cand: Candidate, message: str) -> None:
        self._send(lm.PHASE_CONTEXT_LOST, candidate=cand.name, error=message)
        self.save()
        os._exit(lm.WORKER_EXIT_CONTEXT_LOST)  # the context is unusable; atexit handlers would hang

    def save(self) -> str:
        self.run.ended_wall = time.time()
        path = os.path.join(self.output_dir, RESULTS_NAME)
        lm.save_run(self.run, path)
        return path
