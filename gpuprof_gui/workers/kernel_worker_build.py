"""Turns a candidate declaration into a compiled kernel and a launch closure.

Only the kernel worker imports this; ``cp`` is CuPy and ``numba_cuda`` is
``numba.cuda`` (or None where Numba is missing), both handed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from gpuprof_gui.lab.candidates import Candidate

# Compiler logs can run to pages (every later error follows from the first);
# the window shows this many lines.
MAX_COMPILE_LOG_LINES = 20

_NVRTC_LINE = re.compile(r"^.*?\((\d+)\): (error|warning|catastrophic error)\s*:?\s*(.*)$")
_TEMP_SOURCE = re.compile(r'"[^"]*\.cu"')  # CuPy's temporary copy of the source

T = TypeVar("T")


class CompileError(Exception):
    """The candidate's code did not compile; the message carries line numbers."""


def _required(value: T | None, field: str, cand: Candidate) -> T:
    """``cand``'s ``field``, which its kind needs (the lab's constructors always set it)."""
    if value is None:
        raise ValueError(f"candidate {cand.name!r} of kind {cand.kind} has no {field}")
    return value


def format_compile_log(log: str) -> str:
    """NVRTC's log as 'line N: error: ...' lines (temp file paths dropped)."""
    out = []
    for raw in log.splitlines():
        m = _NVRTC_LINE.match(raw)
        if m:
            out.append(f"line {m.group(1)}: {m.group(2)}: {m.group(3)}")
        elif raw.strip() and not raw.startswith(("=", "Traceback")) and out:
            # source echo and caret: keep the indentation that lines them up
            out.append(_TEMP_SOURCE.sub("the candidate's source", raw.rstrip()))
    if not out:
        out = [line for line in log.splitlines() if line.strip()]
    return "\n".join(out[:MAX_COMPILE_LOG_LINES])


def _c_name(name: str) -> str:
    return "k_" + re.sub(r"\W", "_", name)


def _as_dim(value: Any) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(int(v) for v in value)
    return (int(value),)


class BuiltCandidate:
    """A compiled candidate; :meth:`launcher` binds it to one size's buffers."""

    def __init__(self, cp: Any, cand: Candidate, dev: Any, numba_cuda: Any = None) -> None:
        self.cp = cp
        self.cand = cand
        self.dev = dev
        self.numba_cuda = numba_cuda
        self.kernel = self._compile()

    def _compile(self) -> Any:
        cp, c = self.cp, self.cand
        try:
            if c.kind == "elementwise":
                return cp.ElementwiseKernel(
                    c.in_params, c.out_params, c.source, _c_name(c.name), preamble=c.preamble, options=c.options
                )
            if c.kind == "reduction":
                return cp.ReductionKernel(
                    c.in_params,
                    c.out_params,
                    c.source,
                    c.reduce_expr,
                    c.post_map_expr,
                    c.identity,
                    _c_name(c.name),
                    preamble=c.preamble,
                    options=c.options,
                )
            if c.kind == "raw":
                kernel = cp.RawKernel(c.source, c.function_name, options=c.options)
                kernel.compile()  # NVRTC runs here, not inside the first timed launch
                return kernel
            if c.kind == "numba":
                return _required(c.fn, "fn", c)(self.numba_cuda)
            return c.fn
        except cp.cuda.compiler.CompileException as exc:
            raise CompileError(format_compile_log(str(exc))) from None

    def launcher(self, size: int, inputs: tuple, out: Any) -> Callable[[], Any]:
        """A no-argument function running the candidate once; it returns the output array."""
        c, k = self.cand, self.kernel
        custom = c.args(size, inputs, out) if c.args is not None else None
        if c.kind == "elementwise":
            args = tuple(custom) if custom is not None else (*inputs, out)
            return lambda: k(*args)
        if c.kind == "reduction":
            arrays = tuple(custom) if custom is not None else inputs
            return lambda: k(*arrays, out=out)
        if c.kind == "raw":
            args = tuple(custom) if custom is not None else (*inputs, out, np.int64(out.size))
            grid = _as_dim(_required(c.grid, "grid", c)(size, self.dev))
            block, shared = _as_dim(c.block), c.shared_mem_bytes

            def run_raw():
                if c.zero_output:
                    out.fill(0)
                k(grid, block, args, shared_mem=shared)
                return out

            return run_raw
        if c.kind == "numba":
            args = tuple(custom) if custom is not None else (*inputs, out)
            # Wrap once: converting CuPy arrays on every launch synchronises.
            nargs = tuple(
                self.numba_cuda.as_cuda_array(a) if hasattr(a, "__cuda_array_interface__") else a for a in args
            )
            configured = k[_as_dim(_required(c.grid, "grid", c)(size, self.dev)), _as_dim(c.block)]

            def run_numba():
                configured(*nargs)
                return out

            return run_numba
        cp = self.cp
        if c.writes_out:
            return lambda: (k(cp, *inputs, out), out)[1]

        def run_array_code():
            result = k(cp, *inputs)
            return out if result is None else result

        return run_array_code


def is_numba_compile_error(exc: BaseException) -> bool:
    """Numba's typing/lowering errors are the compile errors of a Numba kernel."""
    mod = type(exc).__module__ or ""
    return mod.startswith("numba") and any(
        word in type(exc).__name__ for word in ("Typing", "Lowering", "Compil", "Unsupported")
    )
