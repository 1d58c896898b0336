"""The call tree of a real cProfile run through the worker: the script is the root, paths are right."""

from __future__ import annotations

import pytest

from gpuprof_gui.assets import example_path
from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.jobs.runner import RunSpec, run_profile


@pytest.mark.timeout(120)
def test_script_module_is_the_root_and_its_direct_calls_are_exact(tmp_path):
    spec = RunSpec(script=str(example_path()), args=["--scale", "0.1"], output_dir=str(tmp_path))
    outcome = run_profile(spec)
    assert outcome.status == "finished", outcome.message
    profile = load_profile(outcome.profile_path, trusted=True)
    tree = profile.tree
    top = [profile.function_label(int(tree.func[c])) for c in tree.children(0)]
    # No worker frame and no builtins.exec between the root and the script.
    assert top[0] == "<module>", top
    assert not any("exec" in name for name in top), top
    module = int(tree.children(0)[0])
    assert tree.total_s[module] >= 0.9 * profile.total_s
    (main,) = [int(c) for c in tree.children(module) if profile.function_label(int(tree.func[c])) == "main"]
    kids = {profile.function_label(int(tree.func[c])): int(c) for c in tree.children(main)}
    hottest = kids["pairwise_distances"]
    # root -> <module> -> main -> pairwise_distances: one caller each, so nothing is estimated.
    assert tree.exact[module] and tree.exact[main] and tree.exact[hottest]
    assert tree.total_s[hottest] == max(tree.total_s[c] for c in kids.values())
