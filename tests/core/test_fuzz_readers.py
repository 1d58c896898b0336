"""Fuzzing the readers: malformed input gives the reader's own format error, never another
exception, and what is accepted holds only finite numbers.

Bounded: a few hundred examples per reader, no deadline per example (a loaded 2-core machine
is slow, and the point is what is raised, not how fast).
"""

from __future__ import annotations

import contextlib
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpuprof_gui.core.importers import ProfileFormatError, import_folded, import_scalene
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.opening import OpenError, what_is
from gpuprof_gui.core.serialize import profile_from_dict
from gpuprof_gui.core.session import Session, SessionError
from gpuprof_gui.gpu.trace_io import TraceFormatError, trace_from_json
from gpuprof_gui.jobs.opening import open_path

pytestmark = pytest.mark.timeout(120)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 1e308, -1e308, float("nan"), float("inf")]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


def _like(keys: list[str], fixed: dict) -> st.SearchStrategy[dict]:
    """Objects with some of a format's own keys (and values of any type), plus its fixed ones."""
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys)).map(lambda d: {**d, **fixed})


def _finite_profile(profile: Profile) -> None:
    for rec in profile.functions:
        for name in ("line", "self_s", "total_s", "calls", "cpu_python_pct", "mem_peak_mb", "reported_pct"):
            value = getattr(rec, name)
            assert value is None or math.isfinite(value), (name, value)
    tree = profile.tree
    assert np.isfinite(tree.total_s).all() and np.isfinite(tree.self_s).all()
    for recs in profile.lines.values():
        for lineno, line in recs.items():
            assert 1 <= lineno < 2**31
            assert all(math.isfinite(v) for v in (line.cpu_pct, line.self_s, line.mem_peak_mb, line.gpu_pct))
    assert profile.wall_s is None or math.isfinite(profile.wall_s)


SCALENE_LINE = _like(
    ["lineno", "line", "n_cpu_percent_python", "n_cpu_percent_c", "n_sys_percent", "n_peak_mb", "start_function_line"],
    {},
)
SCALENE = st.fixed_dictionaries(
    {
        "elapsed_time_sec": st.one_of(numbers, scalars),
        "files": st.dictionaries(
            st.text(max_size=6),
            st.fixed_dictionaries(
                {"lines": st.lists(SCALENE_LINE, max_size=4), "functions": st.lists(SCALENE_LINE, max_size=2)}
            ),
            max_size=2,
        ),
        "stacks": st.lists(
            st.tuples(st.lists(st.text(max_size=20), max_size=3), st.one_of(numbers, json_values)), max_size=3
        ),
    }
)


@FUZZ
@given(SCALENE)
def test_scalene_reader(obj):
    try:
        profile = import_scalene(obj)
    except ProfileFormatError:
        return
    _finite_profile(profile)


@FUZZ
@given(st.lists(st.text(alphabet="ab;() :.0123456789e-\n\tnaifNI", max_size=40), max_size=6).map("\n".join))
def test_folded_reader(text):
    try:
        profile = import_folded(text)
    except ProfileFormatError:
        return
    _finite_profile(profile)


PROFILE = st.fixed_dictionaries(
    {
        "format": st.just("gpuprof-profile"),
        "version": st.just(1),
        "profiler": st.text(max_size=5),
        "wall_s": st.one_of(st.none(), numbers),
        "functions": st.fixed_dictionaries(
            {
                f: st.lists(st.one_of(numbers, st.none(), st.text(max_size=3)), min_size=2, max_size=2)
                for f in (
                    "name",
                    "file",
                    "line",
                    "self_s",
                    "total_s",
                    "calls",
                    "cpu_python_pct",
                    "cpu_native_pct",
                    "cpu_system_pct",
                    "mem_peak_mb",
                    "gpu_pct",
                    "reported_pct",
                )
            }
        ),
        "tree": st.fixed_dictionaries(
            {
                "parent": st.sampled_from([[-1, 0], [-1, -1], [0, 0]]),
                "func": st.lists(st.integers(-2, 3), min_size=2, max_size=2),
                "total_s": st.lists(numbers, min_size=2, max_size=2),
                "self_s": st.lists(numbers, min_size=2, max_size=2),
                "exact": st.lists(st.booleans(), min_size=2, max_size=2),
            }
        ),
        "lines": st.dictionaries(st.text(max_size=3), _like(["lineno", "self_s", "gpu_pct"], {}), max_size=2),
    }
)


@FUZZ
@given(PROFILE)
def test_gpuprof_profile_reader(obj):
    try:
        profile = profile_from_dict(obj)
    except ProfileFormatError:
        return
    _finite_profile(profile)


@FUZZ
@given(
    _like(
        ["profile", "run", "script", "console", "lab", "telemetry", "advice", "title"],
        {"format": "gpuprof-session", "version": 1},
    )
)
def test_session_reader(obj):
    try:
        session = Session.from_dict(obj)
    except SessionError:
        return
    if session.profile is not None:
        _finite_profile(session.profile)


SERIES = st.fixed_dictionaries(
    {
        "t": st.one_of(st.lists(numbers, max_size=5), json_values),
        "v": st.one_of(st.lists(st.one_of(st.none(), numbers), max_size=5), json_values),
    }
)
DEVICE = st.fixed_dictionaries(
    {
        "index": st.one_of(st.integers(min_value=-2, max_value=2000), scalars),
        "series": st.dictionaries(
            st.sampled_from(["gpu_util_pct", "power_w", "pcie_rx_mbps", "memory_used_mib"]), SERIES, max_size=3
        ),
    },
    optional={"name": scalars, "uuid": scalars},
)
BAND = st.fixed_dictionaries(
    {"label": scalars, "t_begin": numbers},
    optional={"t_end": st.one_of(st.none(), numbers), "label_pos": numbers, "wall_begin": numbers},
)
TRACE = st.fixed_dictionaries(
    {
        "format": st.just("gpuprof-telemetry-trace"),
        "version": st.just(1),
        "devices": st.one_of(st.lists(DEVICE, max_size=3), json_values),
    },
    optional={"bands": st.one_of(st.lists(BAND, max_size=3), json_values), "sample_hz": numbers, "t0_wall": scalars},
)


@FUZZ
@given(st.one_of(TRACE, _like(["devices", "bands", "sample_hz"], {"format": "gpuprof-telemetry-trace", "version": 1})))
def test_telemetry_trace_reader(obj):
    """What passes the door is finite and in range, and the replay downstream takes it."""
    try:
        trace = trace_from_json(obj)
    except TraceFormatError as exc:
        assert "\n" not in str(exc)
        return
    for dev in trace.devices:
        for metric, (t, v) in dev["series"].items():
            assert np.isfinite(t).all() and (t >= 0).all() and (np.diff(t) >= 0).all()
            present = v[~np.isnan(v)]
            assert np.isfinite(present).all() and (present >= 0).all()
            if metric.endswith("_pct"):
                assert (present <= 100).all()
    for band in trace.bands:
        assert math.isfinite(band["t_begin"]) and (band["t_end"] is None or band["t_end"] >= band["t_begin"])
    assert math.isfinite(trace.duration_s)
    snap = trace.snapshot(until_s=trace.duration_s / 2)
    assert len(snap["devices"]) == len(trace.devices)


DOOR_FILES = st.one_of(
    _like(["advice", "profile", "lab", "capacity", "measured"], {"format": "gpuprof-advice-session", "version": 1}),
    _like(
        ["records", "device", "transfers", "problem", "started_wall"], {"format": "gpuprof-lab-results", "version": 1}
    ),
    json_values,
)


@FUZZ
@given(DOOR_FILES)
def test_the_door_on_advice_sessions_and_lab_results(tmp_path_factory, obj):
    path = tmp_path_factory.mktemp("door") / "file.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    try:
        opened = open_path(str(path))
    except OpenError:
        return
    if opened.profile is not None:
        _finite_profile(opened.profile)
    for rec in opened.lab.records if opened.lab is not None else []:
        for name in ("median_ms", "cpu_ms", "size", "flops", "bytes_moved"):
            value = getattr(rec, name)
            assert value is None or (isinstance(value, (int, float)) and math.isfinite(value)), (name, value)


@FUZZ
@given(st.binary(max_size=300))
def test_what_is_on_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "file.bin"
    path.write_bytes(data)
    with contextlib.suppress(OpenError):
        what_is(str(path))


LAB_RECORD = st.fixed_dictionaries(
    {"candidate": st.text(max_size=4), "size": numbers},
    optional={name: st.one_of(st.none(), numbers) for name in ("median_ms", "cpu_ms", "flops", "bytes_moved", "reps")},
)


@FUZZ
@given(st.lists(LAB_RECORD, min_size=1, max_size=3))
def test_lab_results_reader(records):
    from gpuprof_gui.core.lab_model import LabRun

    try:
        run = LabRun.from_dict({"format": "gpuprof-lab-results", "version": 1, "records": records})
    except ValueError:  # the reader's documented error (jobs/opening.py turns it into the door's sentence)
        return
    for rec in run.records:
        for name in ("size", "median_ms", "cpu_ms", "flops", "bytes_moved", "reps"):
            value = getattr(rec, name)
            assert value is None or (math.isfinite(value) and value >= 0), (name, value)
