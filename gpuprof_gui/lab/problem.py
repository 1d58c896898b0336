"""The problem a candidate file solves: inputs, NumPy reference, work counts, tolerance.

Pure Python + NumPy; nothing here touches a GPU, so a candidate file can be
read (``describe``) on a machine without CUDA.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Relative tolerance by output dtype, for the error measured in float64 against
# the reference. float32 arithmetic in a different order (tree sums, FMA) lands
# around 1e-6..1e-5 relative; 1e-4 leaves room for long sums without letting a
# wrong index through (those give errors of order 1). Integers must match.
DEFAULT_RTOL_BY_DTYPE = {
    "float16": 1e-2,
    "bfloat16": 3e-2,
    "float32": 1e-4,
    "float64": 1e-10,
    "complex64": 1e-4,
    "complex128": 1e-10,
}

ERROR_NORMS = ("max", "l2")


@dataclass
class Problem:
    """One computation that every candidate in the file implements.

    - ``make_inputs(size, rng)``: host inputs as a tuple of NumPy arrays and
      NumPy scalars (``np.float32(2.0)``: typed, so raw kernels get the right C
      type). Arrays are copied to the device; scalars are passed as they are.
      Use ``rng`` (a ``numpy.random.Generator``) so each run draws fresh data.
    - ``reference(*inputs)``: the NumPy version; its result fixes the output's
      shape and dtype (unless ``output_dtype`` says otherwise) and its run time
      is the CPU time the speed-ups compare with.
    - ``flops(size)`` and ``bytes_moved(size)``: useful work and the fewest
      bytes that must cross device memory (each input read once, each output
      written once). Either may take ``(size, reference_output)`` instead, for
      data-dependent work such as Mandelbrot iterations.
    - ``rtol``: tolerance on the relative error; None takes it from the output
      dtype (:data:`DEFAULT_RTOL_BY_DTYPE`; integers: exact).
    - ``error_norm``: "max" (largest |out - ref| over the largest |ref|) or
      "l2" (||out - ref|| / ||ref||, for outputs where a few elements may
      legitimately differ, e.g. escape counts on a fractal's boundary).
    - ``offloads``: the names of the Python functions this problem is a GPU
      version of (``("diffuse",)``). The offload advisor uses the lab run only
      for those functions (or one named like the problem or the file) unless the
      user says explicitly to assume it stands for another.
    """

    name: str
    make_inputs: Callable[[int, np.random.Generator], tuple]
    reference: Callable[..., Any]
    flops: Callable[..., float] = lambda size: 0
    bytes_moved: Callable[..., float] = lambda size: 0
    default_sizes: list[int] = field(default_factory=lambda: [1 << 20])
    rtol: float | None = None
    error_norm: str = "max"
    flops_dtype: str = "float32"  # which peak FLOP/s the % of peak is taken against
    output_dtype: str | None = None
    size_label: str = "n"  # what "size" means, for tables ("n", "N (N×N)", "width")
    description: str = ""
    offloads: tuple[str, ...] = ()  # the Python functions this problem stands for (the advisor checks it)

    def __post_init__(self) -> None:
        if self.error_norm not in ERROR_NORMS:
            raise ValueError(f"error_norm must be one of {ERROR_NORMS}, not {self.error_norm!r}")
        if not self.default_sizes:
            raise ValueError("default_sizes must name at least one size")

    def tolerance_for(self, dtype: Any) -> float:
        """Relative tolerance for an output of ``dtype``."""
        if self.rtol is not None:
            return float(self.rtol)
        dt = np.dtype(dtype)
        if dt.kind in "iub":
            return 0.0
        return DEFAULT_RTOL_BY_DTYPE.get(dt.name, 1e-4)

    def work(self, size: int, reference_output: Any = None) -> tuple[float, float]:
        """(flops, bytes moved) for ``size``."""
        return (
            float(call_size_fn(self.flops, size, reference_output)),
            float(call_size_fn(self.bytes_moved, size, reference_output)),
        )

    def summary(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "default_sizes": list(self.default_sizes),
            "size_label": self.size_label,
            "rtol": self.rtol,
            "error_norm": self.error_norm,
            "flops_dtype": self.flops_dtype,
            "offloads": [str(n) for n in self.offloads],
        }


def call_size_fn(fn: Callable[..., float], size: int, reference_output: Any = None) -> float:
    """Call a work-count function that takes ``(size)`` or ``(size, reference_output)``."""
    try:
        params = inspect.signature(fn).parameters.values()
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        takes_two = len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):  # builtins without a signature
        takes_two = False
    return fn(size, reference_output) if takes_two else fn(size)


def relative_error(out: Any, ref: Any, norm: str = "max") -> float:
    """Relative error of ``out`` against ``ref``, computed in float64; NaN/inf anywhere gives inf.

    "max": max |out - ref| / max |ref|; "l2": ||out - ref||_2 / ||ref||_2.
    A zero reference falls back to the absolute error.
    """
    o = np.asarray(out)
    r = np.asarray(ref)
    if o.shape != r.shape:
        raise ValueError(f"output shape {o.shape} differs from the reference's {r.shape}")
    o = o.astype(np.complex128 if np.iscomplexobj(o) else np.float64)
    r = r.astype(np.complex128 if np.iscomplexobj(r) else np.float64)
    if o.size == 0:
        return 0.0
    if not np.all(np.isfinite(o)):
        return float("inf")
    diff = np.abs(o - r)
    if norm == "l2":
        num, den = float(np.linalg.norm(diff.ravel())), float(np.linalg.norm(r.ravel()))
    else:
        num, den = float(diff.max()), float(np.abs(r).max())
    return num / den if den > 0 else num
