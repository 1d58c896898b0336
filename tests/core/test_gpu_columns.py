"""The GPU trace of a run joined to its profile: per function and per line, sums exact.

The trace is the real one recorded on an H200 (heat_gpu.py, paths relative to the repository);
the profile is a cProfile run of the same three files made here, with absolute paths.
"""

from __future__ import annotations

import pytest
from heat_run_support import REPO, heat_profile, heat_trace

from gpuprof_gui.core.gpu_columns import (
    FileMatcher,
    FunctionFinder,
    add_totals,
    gpu_columns,
    gpu_columns_table,
    stack_totals,
)
from gpuprof_gui.core.gpu_trace import GpuTraceBuilder, gpu_trace_beside
from gpuprof_gui.core.gpu_trace_summary import Totals, per_line, summarize
from gpuprof_gui.core.importers import load_profile
from gpuprof_gui.core.model import FunctionRecord, Profile, TreeBuilder

COPY_BYTES_EACH_WAY = 3 * 1024 * 1024 * 4  # three steps of a 1024 x 1024 float32 field


@pytest.fixture(scope="module")
def heat(tmp_path_factory):
    profile, where = heat_profile(tmp_path_factory.mktemp("heat"))
    return profile, where, heat_trace()


def _func(profile: Profile, name: str) -> int:
    (idx,) = [i for i, f in enumerate(profile.functions) if f.name == name and "offload" in f.file]
    return idx


def test_kernels_and_copies_land_on_the_functions_and_lines_that_issued_them(heat):
    profile, where, trace = heat
    cols = gpu_columns(profile, trace)
    sweeps, diffuse = _func(profile, "sweeps_on_device"), _func(profile, "diffuse")
    assert profile.functions[diffuse].file == str(where / "heat_gpu.py")  # absolute, the trace's relative
    assert cols.own[sweeps].launches == 60 and cols.own[sweeps].kernel_ns == 229_470
    assert cols.own[diffuse].launches == 0
    assert cols.own[diffuse].copy_bytes == 2 * COPY_BYTES_EACH_WAY and cols.own[diffuse].copies == 6
    for name in ("diffuse", "simulate", "main"):  # every caller of the launching line, once
        assert cols.incl[_func(profile, name)].launches == 60
    own, via = cols.line_figures(str(where / "heat_gpu.py"))
    assert own[26].copy_bytes == own[27].copy_bytes == COPY_BYTES_EACH_WAY  # copy in, copy out
    assert own[27].sync_ns == 19_803 and own[26].launches == 0
    assert via[27].launches == 60 and 26 not in via  # line 27 calls sweeps_on_device
    assert cols.line_figures(str(where / "heat_stencil.py"))[0][33].launches == 60


def test_per_function_figures_add_up_to_the_trace(heat):
    profile, _where, trace = heat
    cols = gpu_columns(profile, trace)
    figures = summarize(trace)
    for name, theirs in (("kernel_ns", "kernel_sum_ns"), ("launches", "launches"), ("copy_bytes", "copy_bytes"),
                         ("copies", "copies"), ("sync_ns", "sync_ns")):  # fmt: skip
        own = sum(getattr(t, name) for t in cols.own.values()) + getattr(cols.unattributed, name)
        assert own == getattr(cols.total, name) == figures[theirs], name
    # Only the syncs CUPTI saw from no Python thread are left over; every kernel and copy has its function.
    assert cols.unattributed.launches == cols.unattributed.copies == 0 and cols.unattributed.sync_ns == 34_790


def test_the_command_line_table_names_the_functions_and_lines(heat):
    profile, _where, trace = heat
    text = gpu_columns_table(profile, trace, top=5)
    rows = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert "NVIDIA H200" in text
    assert "229 µs" in rows["sweeps_on_device"] and " 60 " in rows["sweeps_on_device"]
    assert "24.0 MiB" in rows["diffuse"] and "1.78 ms" in rows["diffuse"]
    assert "all" in rows and "54.6 µs" in rows["all"]  # all sync wait, the unattributed part included
    assert "heat_gpu.py:27" in text and "heat_stencil.py:33" in text


def test_files_match_by_real_path_then_by_their_last_parts(tmp_path):
    real = tmp_path / "proj" / "pkg" / "a.py"
    real.parent.mkdir(parents=True)
    real.write_text("")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "proj")
    other = "/elsewhere/other/pkg/a.py"
    match = FileMatcher([str(real), other, "/x/b.py"])
    assert match(str(link / "pkg" / "a.py")) == str(real)  # the same file through a link
    assert match("proj/pkg/a.py") == str(real)  # relative: the whole path ends the profile's
    assert match("/gpu-machine/other/pkg/a.py") == other  # two parts in common beat one
    assert match("/y/b.py") == "/x/b.py"
    assert match("pkg/a.py") is None  # both end so: no guess
    assert match("c.py") is None and match("") is None


def test_a_frame_belongs_to_the_function_of_its_name_above_its_line():
    funcs = [FunctionRecord("<module>", "/p/m.py", 1), FunctionRecord("A.run", "/p/m.py", 3),
             FunctionRecord("B.run", "/p/m.py", 10), FunctionRecord("run", "/q/m.py", 3)]  # fmt: skip
    b = TreeBuilder(1.0)
    b.add(0, 0, 1.0, 1.0)
    find = FunctionFinder(Profile("cprofile", funcs, b.build()))
    assert find(("/p/m.py", 12, "run")) == ("/p/m.py", 2)
    assert find(("/p/m.py", 5, "run")) == ("/p/m.py", 1)
    assert find(("/p/m.py", 20, "<module>")) == ("/p/m.py", 0)
    assert find(("/p/m.py", 5, "gone")) == ("/p/m.py", -1)


def _by_innermost_frame(trace, totals):
    out = {}
    for stack, t in totals.items():
        frames = trace.stack_frames(stack)
        key = frames[0] if frames else ("", 0, "(not attributed)")
        out[key] = add_totals(out.setdefault(key, Totals()), t)
    return out


def test_the_sums_by_stack_are_the_trace_summarys_own_arithmetic(heat):
    trace = heat[2]
    assert _by_innermost_frame(trace, stack_totals(trace)) == per_line(trace)


def test_sums_past_floating_point_exactness_stay_exact():
    b = GpuTraceBuilder()
    here = b.stack((("/p/big.py", 3, "f"),))
    huge = 2**53 + 1  # a float sum would drop the 1
    for i in range(3):
        b.add("kernels", name=b.name(f"k{i % 2}"), start=0, end=huge, stack=here)
        b.add("copies", bytes=huge, start=0, end=1, stack=-1)
    trace = b.build({})
    totals = stack_totals(trace)
    assert totals[here].kernel_ns == 3 * huge and totals[here].kernels == {"k0": 2, "k1": 1}
    assert totals[-1].copy_bytes == 3 * huge and totals[-1].copies == 3
    assert _by_innermost_frame(trace, totals) == per_line(trace)


RUNS = REPO / "tests" / "data" / "gpu"
TRACED_RUNS = ("run_heat_gpu_h200", "run_cupyx_solver_h200", "run_nvtx_h200", "run_torch_mlp_h200")


@pytest.mark.parametrize("run", TRACED_RUNS)
def test_every_kernel_and_copy_of_a_real_traced_run_finds_its_function(run):
    """The app's own traced runs on an H200: profile and trace of one run, absolute paths from that machine."""
    path = RUNS / run / "profile.prof"
    profile = load_profile(path, trusted=True)
    trace, why = gpu_trace_beside(path)
    assert trace is not None, why
    cols, figures = gpu_columns(profile, trace), summarize(trace)
    assert cols.unattributed.launches == cols.unattributed.copies == 0
    assert sum(t.kernel_ns for t in cols.own.values()) == figures["kernel_sum_ns"]
    assert sum(t.launches for t in cols.own.values()) == figures["launches"] > 0
    assert sum(t.copy_bytes for t in cols.own.values()) == figures["copy_bytes"]
    assert sum(t.sync_ns for t in cols.own.values()) + cols.unattributed.sync_ns == figures["sync_ns"]


def test_the_real_heat_run_charges_the_copies_to_diffuse_and_the_kernels_to_its_sweeps():
    path = RUNS / "run_heat_gpu_h200" / "profile.prof"
    profile, trace = load_profile(path, trusted=True), gpu_trace_beside(path)[0]
    cols = gpu_columns(profile, trace)
    sweeps, diffuse = _func(profile, "sweeps_on_device"), _func(profile, "diffuse")
    assert cols.own[sweeps].launches == 240 and cols.own[diffuse].launches == 0
    assert cols.own[diffuse].copy_bytes == 384 * 2**20 and cols.incl[diffuse].launches == 240
    own, via = cols.line_figures(profile.functions[diffuse].file)
    assert own[26].copy_bytes == own[27].copy_bytes == 192 * 2**20  # copy in, copy out
    assert via[27].launches == 240
