"""Candidate declarations: how one version of the computation runs on the GPU.

Declarations are plain data plus callables; CuPy and Numba are handed in by
the kernel worker (``cp``, ``cuda`` arguments), so a candidate file imports
neither and can be listed on a machine without a GPU.

Every kind is called with the device inputs (arrays copied from
``make_inputs``; scalars as they were) and an output buffer ``out`` shaped
like the reference result. The worker fills ``out`` with NaN (or 0xFF bytes
for integers) before the correctness run, so elements a kernel forgets to
write are caught.

Kinds:
- ``elementwise(...)``: a ``cupy.ElementwiseKernel``; called ``k(*inputs, out)``.
- ``raw_kernel(...)``: a ``cupy.RawKernel`` from CUDA C source (``source`` is
  kept as text so the window can edit it and run it again); launched
  ``k(grid(size, dev), block, args)`` with args ``(*inputs, out, np.int64(out.size))``
  unless ``args`` says otherwise.
- ``reduction(...)``: a ``cupy.ReductionKernel``; called ``k(*inputs, out=out)``.
- ``array_code``: a function ``fn(cp, *inputs)`` of plain CuPy code that
  returns its result (or writes ``out`` when declared with ``writes_out=True``
  and called ``fn(cp, *inputs, out)``).
- ``numba_kernel``: a function ``build(cuda) -> @cuda.jit kernel`` (``cuda`` is
  ``numba.cuda``), launched ``kernel[grid(size, dev), block](*args)``; skipped
  with a reason where Numba is missing.

``grid(size, dev)`` gets the size and the device facts (``dev.sm_count``,
``dev.l2_bytes``, ...), so a grid-stride kernel can size its grid to the chip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("elementwise", "raw", "reduction", "cupy", "numba")

# Kinds whose code is text the window can edit and run again.
EDITABLE_KINDS = ("raw", "elementwise")


@dataclass
class Candidate:
    """One version of the computation; build it with the helpers below."""

    name: str
    kind: str
    description: str = ""
    source: str | None = None  # CUDA C (raw), operation body (elementwise), map/reduce (reduction)
    function_name: str | None = None  # raw: the __global__ function to launch
    in_params: str | None = None  # elementwise/reduction parameter lists
    out_params: str | None = None
    reduce_expr: str | None = None
    post_map_expr: str | None = None
    identity: str | None = None
    preamble: str = ""
    options: tuple[str, ...] = ()  # NVRTC options, e.g. ("-std=c++17",)
    grid: Callable[[int, Any], Any] | None = None  # (size, dev) -> int | tuple
    block: int | tuple[int, ...] = 256
    shared_mem_bytes: int = 0
    args: Callable[[int, tuple, Any], tuple] | None = None  # (size, inputs, out) -> launch args
    zero_output: bool = False  # out is zeroed before every launch (atomics); counted in the time
    fn: Callable[..., Any] | None = None  # cupy: fn(cp, *inputs[, out]); numba: build(cuda)
    writes_out: bool = False
    line: int | None = None  # where the declaration starts in the file (set by the loader)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown candidate kind {self.kind!r}; one of {KINDS}")
        if not self.name or any(c.isspace() for c in self.name):
            raise ValueError(
                f"candidate name {self.name!r} must be non-empty without spaces (it is used on the command line)"
            )

    @property
    def editable(self) -> bool:
        return self.kind in EDITABLE_KINDS

    def with_source(self, source: str) -> Candidate:
        """A copy that runs edited source (raw: CUDA C; elementwise: the operation)."""
        if not self.editable:
            raise ValueError(f"candidate {self.name!r} of kind {self.kind} has no editable source")
        copy = Candidate(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        copy.source = source
        return copy

    def summary(self) -> dict:
        """What ``describe`` reports: no callables, only text."""
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "source": self.source,
            "function_name": self.function_name,
            "in_params": self.in_params,
            "out_params": self.out_params,
            "editable": self.editable,
            "line": self.line,
        }


def elementwise(
    name: str,
    in_params: str,
    out_params: str,
    operation: str,
    *,
    description: str = "",
    preamble: str = "",
    options: tuple[str, ...] = (),
    args: Callable | None = None,
) -> Candidate:
    """A ``cupy.ElementwiseKernel(in_params, out_params, operation)`` candidate."""
    return Candidate(
        name=name,
        kind="elementwise",
        description=description,
        source=operation,
        in_params=in_params,
        out_params=out_params,
        preamble=preamble,
        options=tuple(options),
        args=args,
    )


def raw_kernel(
    name: str,
    source: str,
    function_name: str,
    *,
    grid: Callable[[int, Any], Any],
    block: int | tuple[int, ...] = 256,
    shared_mem_bytes: int = 0,
    args: Callable | None = None,
    options: tuple[str, ...] = (),
    zero_output: bool = False,
    description: str = "",
) -> Candidate:
    """A ``cupy.RawKernel(source, function_name)`` candidate, launched on ``grid(size, dev)``."""
    return Candidate(
        name=name,
        kind="raw",
        description=description,
        source=source,
        function_name=function_name,
        grid=grid,
        block=block,
        shared_mem_bytes=shared_mem_bytes,
        args=args,
        options=tuple(options),
        zero_output=zero_output,
    )


def reduction(
    name: str,
    in_params: str,
    out_params: str,
    map_expr: str,
    reduce_expr: str,
    post_map_expr: str,
    identity: str,
    *,
    description: str = "",
    preamble: str = "",
    options: tuple[str, ...] = (),
) -> Candidate:
    """A ``cupy.ReductionKernel`` candidate reducing all axes into ``out``."""
    return Candidate(
        name=name,
        kind="reduction",
        description=description,
        source=map_expr,
        in_params=in_params,
        out_params=out_params,
        reduce_expr=reduce_expr,
        post_map_expr=post_map_expr,
        identity=identity,
        preamble=preamble,
        options=tuple(options),
    )


def array_code(name: str, *, description: str = "", writes_out: bool = False):
    """Decorator: ``fn(cp, *inputs)`` returning the result, or writing ``out`` (``writes_out``)."""

    def wrap(fn: Callable[..., Any]) -> Candidate:
        return Candidate(
            name=name, kind="cupy", description=description or (fn.__doc__ or "").strip(), fn=fn, writes_out=writes_out
        )

    return wrap


def numba_kernel(
    name: str, *, grid: Callable[[int, Any], Any], block: int = 256, args: Callable | None = None, description: str = ""
):
    """Decorator: ``build(cuda)`` returns a ``@cuda.jit`` kernel taking ``(*inputs, out)``."""

    def wrap(build: Callable[[Any], Any]) -> Candidate:
        return Candidate(
            name=name,
            kind="numba",
            grid=grid,
            block=block,
            args=args,
            fn=build,
            description=description or (build.__doc__ or "").strip(),
        )

    return wrap


@dataclass
class LabFile:
    """A loaded candidate file: its problem and candidates in declaration order."""

    path: str
    problem: Any  # Problem
    candidates: list[Candidate] = field(default_factory=list)

    def candidate(self, name: str) -> Candidate:
        for cand in self.candidates:
            if cand.name == name:
                return cand
        known = ", ".join(c.name for c in self.candidates)
        raise KeyError(f"no candidate named {name!r} (the file has: {known})")
