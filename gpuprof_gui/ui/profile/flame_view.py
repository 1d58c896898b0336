"""Flame graph view: :class:`FlamePanel` (toolbar + canvas) and :class:`FlameCanvas`.

The drawing widget lives in :mod:`flame_canvas`, the toolbar in
:mod:`flame_panel`; import either from here.
"""

from gpuprof_gui.ui.profile.flame_canvas import EMPTY_TEXT, FlameCanvas
from gpuprof_gui.ui.profile.flame_panel import FlamePanel

__all__ = ["EMPTY_TEXT", "FlameCanvas", "FlamePanel"]
