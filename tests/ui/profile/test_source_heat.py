"""The source view's gutter: each function's own share at its first line, line 1 included."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gpuprof_gui.core.fmt import format_pct
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder
from gpuprof_gui.ui.profile.source_view import SourceView


def _profile(path: str) -> Profile:
    """<module> (line 1, self 7 s) calls f (defined on line 1, self 2 s) and g (line 4, self 1 s)."""
    funcs = [
        FunctionRecord("<module>", path, 1, self_s=7.0, total_s=10.0, calls=1),
        FunctionRecord("f", path, 1, self_s=2.0, total_s=2.0, calls=1),
        FunctionRecord("g", path, 4, self_s=1.0, total_s=1.0, calls=1),
    ]
    b = TreeBuilder(10.0)
    module = b.add(0, 0, 10.0, 7.0)
    b.add(module, 1, 2.0, 2.0)
    b.add(module, 2, 1.0, 1.0)
    return Profile("cprofile", funcs, b.build())


def test_a_function_on_line_1_shows_its_own_share_not_the_modules(qtbot, tmp_path):
    path = tmp_path / "one.py"
    path.write_text("def f(): pass\n\n\ndef g(): pass\n\nf()\ng()\n")
    profile = _profile(str(path))
    view = SourceView()
    qtbot.addWidget(view)

    view.show_function(profile, 1)  # f
    assert view.editor._heat_label[1] == format_pct(20.0)
    assert view.editor._heat_label[4] == format_pct(10.0)

    view.show_function(profile, 0)  # <module>
    assert view.editor._heat_label[1] == format_pct(70.0)
