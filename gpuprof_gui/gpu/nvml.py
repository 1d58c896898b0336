"""NVML access that never raises into callers.

Every hardware query goes through :func:`query`: a failure (no bindings, no
driver, a field the GPU does not support, a lost GPU) becomes ``None`` and is
logged once per kind of query, the habit of nvitop's ``nvmlQuery``.  Callers
show a missing value as missing; they never need a ``try``.

pynvml is imported lazily (``importlib.import_module``) so that a machine
without the bindings still imports this module, and so tests can put a fake
module into ``sys.modules``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from types import ModuleType
from typing import Any

_log = logging.getLogger(__name__)

# NVML return codes we treat specially; pynvml defines the same numbers, kept
# here so the classification works with any bindings version (or a fake).
ERROR_NOT_SUPPORTED = 3
ERROR_NOT_FOUND = 6
ERROR_DRIVER_NOT_LOADED = 9
ERROR_LIBRARY_NOT_FOUND = 12
ERROR_FUNCTION_NOT_FOUND = 13

REASON_NO_BINDINGS = "The NVML Python bindings are not installed (pip install nvidia-ml-py), so GPUs cannot be queried."
REASON_NO_DRIVER = (
    "No NVIDIA driver was found (libnvidia-ml is missing): install the NVIDIA driver to use the GPU features."
)
REASON_DRIVER_NOT_LOADED = (
    "The NVIDIA driver is installed but not loaded "
    "(NVML: Driver Not Loaded); a reboot or loading the kernel module fixes this."
)
REASON_NO_DEVICES = "The NVIDIA driver reports no GPUs."


class _NvmlState:
    """Process-wide initialisation result; NVML itself is process-global too."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tried = False
        self.module: ModuleType | None = None
        self.reason: str | None = None
        self.logged: set[str] = set()


_state = _NvmlState()


def error_code(exc: BaseException) -> int | None:
    """The NVML return code carried by an ``NVMLError`` (None for other exceptions)."""
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


def _init_reason(exc: BaseException) -> str:
    code = error_code(exc)
    if code == ERROR_LIBRARY_NOT_FOUND:
        return REASON_NO_DRIVER
    if code == ERROR_DRIVER_NOT_LOADED:
        return REASON_DRIVER_NOT_LOADED
    return f"NVML could not start ({type(exc).__name__}: {exc})."


def _initialised_module() -> ModuleType | None:
    """pynvml after a successful ``nvmlInit`` (done once per process), else None."""
    if _state.tried:
        return _state.module
    with _state.lock:
        if _state.tried:
            return _state.module
        try:
            module = importlib.import_module("pynvml")
        except Exception:  # noqa: BLE001 - ImportError, or broken bindings raising anything
            _state.reason = REASON_NO_BINDINGS
        else:
            try:
                module.nvmlInit()
            except Exception as exc:  # noqa: BLE001 - NVMLError_LibraryNotFound without a driver, and friends
                _state.reason = _init_reason(exc)
            else:
                _state.module = module
        _state.tried = True
        if _state.reason:
            _log.info("NVML unavailable: %s", _state.reason)
        return _state.module


def nvml_module() -> ModuleType | None:
    """The initialised pynvml module, or None when NVML cannot be used."""
    return _initialised_module()


def nvml_available() -> tuple[bool, str | None]:
    """(True, None) when NVML works and sees at least one GPU, else (False, a plain sentence)."""
    if _initialised_module() is None:
        return False, _state.reason
    if device_count() == 0:
        return False, REASON_NO_DEVICES
    return True, None


def device_count() -> int:
    """Number of GPUs the driver reports; 0 when NVML is unavailable."""
    count = query("nvmlDeviceGetCount", kind="device count")
    return count if isinstance(count, int) else 0


def device_handle(index: int) -> Any | None:
    """The NVML handle of GPU ``index``, or None."""
    return query("nvmlDeviceGetHandleByIndex", index, kind="device handle")


def device_handles() -> list[Any]:
    """Handles of every GPU that answered (those that did not are left out)."""
    handles = (device_handle(index) for index in range(device_count()))
    return [handle for handle in handles if handle is not None]


def constant(name: str, default: int) -> int:
    """A pynvml constant by name, with the documented value when the bindings lack it."""
    module = _state.module
    value = getattr(module, name, default) if module is not None else default
    return value if isinstance(value, int) else default


def log_once(kind: str, message: str) -> None:
    """Log a failed query once per kind; a 10 Hz sampler would otherwise flood the log."""
    if kind in _state.logged:
        return
    _state.logged.add(kind)
    _log.info("NVML %s unavailable: %s", kind, message)


def query(function_name: str, *args: Any, kind: str | None = None, **kwargs: Any) -> Any | None:
    """Call ``pynvml.<function_name>(*args)``; any failure gives None (logged once per kind)."""
    module = _initialised_module()
    if module is None:
        return None
    kind = kind or function_name
    function = getattr(module, function_name, None)
    if function is None:  # older bindings
        log_once(kind, f"pynvml has no {function_name}")
        return None
    try:
        value = function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - NVMLError_NotSupported, GpuIsLost, FunctionNotFound, ctypes errors
        log_once(kind, f"{type(exc).__name__}: {exc}")
        return None
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def query_raising_not_found(function_name: str, *args: Any, kind: str) -> tuple[Any | None, bool]:
    """Like :func:`query`, but also says whether NVML answered NOT_FOUND (no new data, not a fault)."""
    module = _initialised_module()
    function = getattr(module, function_name, None) if module is not None else None
    if function is None:
        log_once(kind, "NVML or the function is unavailable")
        return None, False
    try:
        return function(*args), False
    except Exception as exc:  # noqa: BLE001 - NOT_FOUND means "nothing newer than the timestamp you gave"
        if error_code(exc) == ERROR_NOT_FOUND:
            return None, True
        log_once(kind, f"{type(exc).__name__}: {exc}")
        return None, False


# Room for the driver's whole utilisation buffer in one call (it keeps on the order
# of a hundred samples); a fuller buffer answers INSUFFICIENT_SIZE and we use
# pynvml's two-call path for that read.
SAMPLE_BUFFER_LEN = 256
ERROR_INSUFFICIENT_SIZE = 7


def driver_samples(handle: Any, sample_type: int, last_seen_us: int, kind: str) -> tuple[Any | None, bool]:
    """``(value_type, samples)`` newer than ``last_seen_us``, and whether NVML said NOT_FOUND.

    pynvml's nvmlDeviceGetSamples asks the driver twice (size, then data), and
    each ask costs ~1 ms of CPU on an H100; with a buffer of SAMPLE_BUFFER_LEN
    one ask suffices. Falls back to pynvml's function when its internals differ.
    """
    module = _initialised_module()
    if module is None:  # no NVML: the plain query says so in its usual way
        return query_raising_not_found("nvmlDeviceGetSamples", handle, sample_type, last_seen_us, kind=kind)
    try:
        fn = module._nvmlGetFunctionPointer("nvmlDeviceGetSamples")
        sample_t, ctypes = module.c_nvmlSample_t, importlib.import_module("ctypes")
        buffer = (sample_t * SAMPLE_BUFFER_LEN)()
        count = ctypes.c_uint(SAMPLE_BUFFER_LEN)
        value_type = module._nvmlValueType_t()
        ret = fn(
            handle,
            module._nvmlSamplingType_t(sample_type),
            ctypes.c_ulonglong(last_seen_us),
            ctypes.byref(value_type),
            ctypes.byref(count),
            buffer,
        )
    except Exception:  # noqa: BLE001 - a fake or a future pynvml without these internals
        return query_raising_not_found("nvmlDeviceGetSamples", handle, sample_type, last_seen_us, kind=kind)
    if ret == 0:
        return (value_type.value, buffer[: count.value]), False
    if ret == ERROR_NOT_FOUND:
        return None, True
    if ret == ERROR_INSUFFICIENT_SIZE:
        return query_raising_not_found("nvmlDeviceGetSamples", handle, sample_type, last_seen_us, kind=kind)
    log_once(kind, f"nvmlDeviceGetSamples returned {ret}")
    return None, False


def reset_for_tests() -> None:
    """Forget the initialisation result so a test can install a different (fake) pynvml."""
    with _state.lock:
        _state.tried = False
        _state.module = None
        _state.reason = None
        _state.logged.clear()
