"""The window's old pre-check, now the door's: :func:`gpuprof_gui.core.opening.unopenable_reason`.

Kept importable from here until every window caller imports it from core.opening.
"""

from __future__ import annotations

from gpuprof_gui.core.opening import unopenable_reason

__all__ = ["unopenable_reason"]
