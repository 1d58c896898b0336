"""Telemetry traces are checked at the door: every number finite and in range, one sentence naming the file."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gpuprof_gui.gpu.trace_io import MAX_TEXT, TraceFormatError, load_trace, trace_from_json

RECORDED = Path(__file__).resolve().parents[1] / "data" / "gpu" / "telemetry_h100.json"


def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def _series(doc: dict, metric: str) -> dict:
    return doc["devices"][0]["series"][metric]


def _put(metric: str, key: str, index: int, value: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        _series(doc, metric)[key][index] = value

    return change


def _set(path: tuple, value: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        where = doc
        for key in path[:-1]:
            where = where[key]
        where[path[-1]] = value

    return change


HOSTILE = [
    ("util-nan", _put("gpu_util_pct", "v", 3, math.nan), "gpu_util_pct value 3 is nan"),
    ("util-huge", _put("gpu_util_pct", "v", 3, 1e308), "not a percentage from 0 to 100"),
    ("power-inf", _put("power_w", "v", 5, math.inf), "power_w value 5 is inf"),
    ("memory-negative", _put("memory_used_mib", "v", 0, -2.5), "memory_used_mib value 0 is -2.5"),
    ("power-text", _put("power_w", "v", 1, "300"), "power_w value 1 is '300', not a number"),
    ("power-bool", _put("power_w", "v", 1, True), "power_w value 1 is True, not a number"),
    ("power-list", _put("power_w", "v", 1, [1, 2]), "power_w value 1 is [1, 2], not a number"),
    ("power-huge-int", _put("power_w", "v", 1, 10**400), "power_w value 1"),
    ("time-null", _put("power_w", "t", 2, None), "power_w time 2 is None, not a number"),
    ("time-negative", _put("power_w", "t", 0, -1.0), "power_w time 0 is -1.0"),
    ("time-backwards", _put("power_w", "t", 7, 0.0), "power_w time 7 (0 s) is earlier than the one before it"),
    ("time-nan", _put("power_w", "t", 4, math.nan), "power_w time 4 is nan"),
    ("lengths-differ", lambda d: _series(d, "power_w")["v"].pop(), "times but"),
    ("series-not-lists", _set(("devices", 0, "series", "power_w"), {"t": "0,1", "v": "1,2"}), "power_w times"),
    ("series-not-a-dict", _set(("devices", 0, "series"), [1, 2]), "GPU 0 has no series of samples"),
    ("index-negative", _set(("devices", 0, "index"), -1), "device 0 has index -1"),
    ("index-huge", _set(("devices", 0, "index"), 2**40), "not a whole number from 0 to 1023"),
    ("index-text", _set(("devices", 0, "index"), "0"), "device 0 has index '0'"),
    ("index-twice", lambda d: d["devices"].append(copy.deepcopy(d["devices"][0])), "two devices have the same index"),
    ("devices-missing", lambda d: d.pop("devices"), "its device list is missing"),
    ("device-not-a-record", _set(("devices", 0), 7), "device 0 is not a record"),
    ("band-end-before-start", _set(("bands",), [{"label": "x", "t_begin": 5.0, "t_end": 1.0}]), "band 0 end is 1.0"),
    ("band-start-nan", _set(("bands",), [{"label": "x", "t_begin": math.nan, "t_end": None}]), "band 0 start"),
    ("band-label-number", _set(("bands",), [{"label": 3, "t_begin": 0.0}]), "band 0 label is not text"),
    ("band-label-pos", _set(("bands",), [{"label": "x", "t_begin": 0.0, "label_pos": 1e9}]), "label position"),
    ("bands-not-a-list", _set(("bands",), {"a": 1}), "the band list is not a list"),
    ("sample-rate-negative", _set(("sample_hz",), -10), "its sample rate is -10"),
    ("start-time-text", _set(("t0_wall",), "yesterday"), "its start time is 'yesterday'"),
    ("synthetic-text", _set(("synthetic",), "no"), "its synthetic flag is not true or false"),
    ("device-name-number", _set(("devices", 0, "name"), 42), "GPU 0 name is not text"),
]


@pytest.mark.parametrize(("change", "words"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_a_hostile_trace_gets_one_sentence_naming_the_file_and_the_field(tmp_path, change, words):
    doc = recorded()
    change(doc)
    path = tmp_path / "hostile-trace.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # json writes NaN and Infinity as JSON5-ish literals
    with pytest.raises(TraceFormatError) as caught:
        load_trace(path)
    sentence = str(caught.value)
    assert sentence.startswith(f"The telemetry trace {path} is damaged: "), sentence
    assert words in sentence, sentence
    assert "\n" not in sentence and "Traceback" not in sentence


def test_the_recorded_trace_reads_with_every_number_in_range():
    trace = load_trace(RECORDED)
    for dev in trace.devices:
        for metric, (t, v) in dev["series"].items():
            assert np.all(np.isfinite(t)) and np.all(np.diff(t) >= 0), metric
            present = v[~np.isnan(v)]
            assert np.all(present >= 0), metric
            if metric.endswith("_pct"):
                assert np.all(present <= 100), metric


def test_a_negative_counter_rate_from_an_old_sampler_reads_as_no_sample():
    """The H100 trace was recorded before the sampler stopped writing them: three per PCIe direction."""
    raw = _series(recorded(), "pcie_rx_mbps")["v"]
    negative = [i for i, x in enumerate(raw) if x is not None and x < 0]
    assert len(negative) == 3
    _t, v = load_trace(RECORDED).devices[0]["series"]["pcie_rx_mbps"]
    assert all(math.isnan(v[i]) for i in negative)
    assert np.nanmax(v) == max(x for x in raw if x is not None)


def test_percentages_a_rounding_step_out_are_clamped_and_long_text_is_cut():
    doc = recorded()
    _series(doc, "gpu_util_pct")["v"][0] = 100.4
    _series(doc, "gpu_util_pct")["v"][1] = -0.3
    doc["devices"][0]["name"] = "N" * 10_000
    doc["bands"] = [{"label": "L" * 10_000, "t_begin": 0.0, "t_end": None}]
    trace = trace_from_json(doc)
    _t, v = trace.devices[0]["series"]["gpu_util_pct"]
    assert v[0] == 100.0 and v[1] == 0.0
    assert len(trace.devices[0]["name"]) == MAX_TEXT
    assert len(trace.bands[0]["label"]) == MAX_TEXT


def test_a_session_with_a_hostile_trace_says_which_field_in_one_sentence(tmp_path):
    from gpuprof_gui.core.opening import OpenError
    from gpuprof_gui.core.session import Session
    from gpuprof_gui.jobs.opening import open_path

    doc = recorded()
    _series(doc, "power_w")["v"][2] = math.inf
    session = Session(title="t", telemetry=doc)
    path = tmp_path / "s.gpuprof-session.json"
    path.write_text(json.dumps(session.to_dict()), encoding="utf-8")
    with pytest.raises(OpenError) as caught:
        open_path(str(path))
    sentence = str(caught.value)
    assert "s.gpuprof-session.json" in sentence and "power_w value 2 is inf" in sentence, sentence
    assert sentence.count("damaged") == 1, sentence
