"""`gpuprof export`: every format from real profiles, checked for content, and bad input.

The speedscope check validates against the published JSON schema saved in
tests/data (jsonschema is not installed, so a small validator below covers the
keywords that schema uses, and fails if the schema starts using others).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gpuprof_gui import cli
from gpuprof_gui.core import export_formats, flame_svg
from gpuprof_gui.core.advice_session import load_session
from gpuprof_gui.core.advice_text import times
from gpuprof_gui.core.flame import layout_for_profile
from gpuprof_gui.core.fmt import format_time
from gpuprof_gui.core.hotspots import hotspot_rows
from gpuprof_gui.core.importers import import_folded
from gpuprof_gui.core.provenance import Provenance
from gpuprof_gui.jobs.runner import RunSpec, open_profile_safely, run_profile

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMA = DATA / "speedscope-file-format-schema.json"
ADVISOR_SESSION = DATA / "advisor" / "session_heat_h100.json"
LAB_RESULTS = DATA / "lab" / "lab_saxpy.json"
SAMPLES = [DATA / "pstats_sample.prof", DATA / "scalene_sample.json", ADVISOR_SESSION]
SVG_NS = "{http://www.w3.org/2000/svg}"

pytestmark = pytest.mark.timeout(180)

# A small workload with one clear leader (crunch), a lambda, built-ins and a file
# name with "&" in it, so every format meets names that need escaping.
SCRIPT = """
def crunch(n):
    s = 0.0
    for i in range(n):
        s += (i % 7) * 0.5
    return s


def helper(n):
    return sorted(range(n), key=lambda x: -x)[:3]


def layer(n):
    return crunch(n) + len(helper(n // 8))


def main():
    for _ in range(3):
        layer(150_000)
    crunch(100_000)


main()
"""


@pytest.fixture(scope="module")
def real_prof(tmp_path_factory) -> Path:
    """A cProfile dump of SCRIPT made by the real profile worker."""
    folder = tmp_path_factory.mktemp("export")
    script = folder / "work & play.py"
    script.write_text(SCRIPT, encoding="utf-8")
    outcome = run_profile(RunSpec(script=str(script), output_dir=str(folder / "out")))
    assert outcome.status == "finished", outcome.message
    return Path(outcome.profile_path)


@pytest.fixture(scope="module")
def real_profile(real_prof):
    return open_profile_safely(str(real_prof), trusted=True)


def run_export(*args: str) -> int:
    return cli.main(["export", *map(str, args)])


# -- a JSON Schema checker for the keywords the speedscope schema uses -------------------------

_SCHEMA_KEYWORDS = {
    "$ref",
    "type",
    "enum",
    "properties",
    "required",
    "items",
    "anyOf",
    "title",
    "$comment",
    "$schema",
    "definitions",
}
_TYPES = {"object": dict, "array": list, "string": str, "number": (int, float), "null": type(None)}


def schema_keywords(schema) -> set[str]:
    """Every keyword used anywhere in ``schema`` (property and definition names excluded)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("properties", "definitions"):
                for sub in value.values():
                    found |= schema_keywords(sub)
            elif key in ("items",):
                found |= schema_keywords(value)
            elif key == "anyOf":
                for sub in value:
                    found |= schema_keywords(sub)
    return found


def schema_errors(value, schema: dict, root: dict, where: str = "$") -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/definitions/")
        return schema_errors(value, root["definitions"][name], root, where)
    errors = []
    if "type" in schema:
        allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if isinstance(value, bool) or not any(isinstance(value, _TYPES[t]) for t in allowed):
            return [f"{where}: {type(value).__name__} is not {allowed}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "anyOf" in schema and all(schema_errors(value, sub, root, where) for sub in schema["anyOf"]):
        errors.append(f"{where}: matches none of anyOf")
    if isinstance(value, dict):
        errors += [f"{where}: missing {key}" for key in schema.get("required", []) if key not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += schema_errors(value[key], sub, root, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], root, f"{where}[{i}]")
    return errors


@pytest.fixture(scope="module")
def speedscope_schema() -> dict:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert "speedscope.app/file-format-schema.json" in schema["$comment"]
    assert schema_keywords(schema) <= _SCHEMA_KEYWORDS, "the schema uses keywords this checker ignores"
    return schema


def test_schema_checker_rejects_broken_documents(real_profile, speedscope_schema):
    good = export_formats.speedscope_document(real_profile)
    assert schema_errors(good, speedscope_schema, speedscope_schema) == []
    broken = []
    for damage in ("weights", "frame_name", "unit", "sample", "schema_url"):
        doc = json.loads(json.dumps(good))
        prof = doc["profiles"][0]
        if damage == "weights":
            del prof["weights"]
        elif damage == "frame_name":
            doc["shared"]["frames"][0]["name"] = 3
        elif damage == "unit":
            prof["unit"] = "secs"
        elif damage == "sample":
            prof["samples"][0][0] = "main"
        else:
            doc["$schema"] = "https://example.invalid/schema.json"
        broken.append(schema_errors(doc, speedscope_schema, speedscope_schema))
    assert all(broken), broken


# -- speedscope ---------------------------------------------------------------------------------


def _check_speedscope(profile, doc, schema) -> None:
    assert schema_errors(doc, schema, schema) == []
    frames = doc["shared"]["frames"]
    prof = doc["profiles"][0]
    assert prof["type"] == "sampled" and len(prof["samples"]) == len(prof["weights"]) > 0
    assert prof["unit"] == ("seconds" if profile.unit == "s" else "none")
    assert all(0 <= i < len(frames) for stack in prof["samples"] for i in stack)
    tree_self = profile.tree.self_s[1:]
    assert sum(prof["weights"]) == pytest.approx(float(tree_self[tree_self > 0].sum()), rel=1e-9)
    assert prof["endValue"] == pytest.approx(sum(prof["weights"]))
    # The heaviest function's self time, summed over the samples that end in it.
    top = hotspot_rows(profile)[0]
    by_leaf = defaultdict(float)
    for stack, w in zip(prof["samples"], prof["weights"], strict=True):
        by_leaf[stack[-1]] += w
    tree = profile.tree
    expected = float(tree.self_s[tree.func == top["func"]].sum())
    assert frames[top["func"]]["name"] == top["name"]
    assert by_leaf[top["func"]] == pytest.approx(expected, rel=1e-9)


def test_speedscope_from_a_real_run_validates_and_keeps_the_time(real_profile, speedscope_schema):
    doc = json.loads(export_formats.speedscope_json(real_profile, "demo"))
    _check_speedscope(real_profile, doc, speedscope_schema)
    names = {f["name"] for f in doc["shared"]["frames"]}
    assert {"crunch", "helper", "layer", "main", "<lambda>"} <= names
    crunch = next(f for f in doc["shared"]["frames"] if f["name"] == "crunch")
    assert crunch["file"].endswith("work & play.py") and crunch["line"] == 2
    assert doc["name"] == "demo" and doc["exporter"].startswith("gpuprof-gui@")


@pytest.mark.parametrize("sample", SAMPLES[:2], ids=lambda p: p.name)
def test_speedscope_from_checked_in_samples(sample, speedscope_schema, tmp_path):
    out = tmp_path / "p.speedscope.json"
    assert run_export(sample, "--format", "speedscope", "-o", out) == 0
    _check_speedscope(open_profile_safely(str(sample)), json.loads(out.read_text(encoding="utf-8")), speedscope_schema)


# -- folded stacks --------------------------------------------------------------------------------


def _self_by_function(profile) -> dict[tuple[str, str], float]:
    tree, out = profile.tree, defaultdict(float)
    for node in range(1, len(tree)):
        rec = profile.functions[int(tree.func[node])]
        out[(rec.name, rec.file)] += float(tree.self_s[node])
    return out


def test_folded_round_trips_through_the_folded_importer(real_profile):
    text = export_formats.folded_text(real_profile)
    lines = text.splitlines()
    assert lines and all(line.rsplit(" ", 1)[1].isdigit() for line in lines)
    back = import_folded(text)
    before = _self_by_function(real_profile)
    after = _self_by_function(back)
    # Values are whole microseconds: each line rounds by at most half of one.
    for key, seconds in before.items():
        assert after.get(key, 0.0) == pytest.approx(seconds * 1e6, abs=0.5 * len(lines) + 1), key
    assert back.total_s == pytest.approx(sum(before.values()) * 1e6, abs=0.5 * len(lines) + 1)
    assert hotspot_rows(back)[0]["name"] == hotspot_rows(real_profile)[0]["name"] == "crunch"
    crunch = next(f for f in back.functions if f.name == "crunch")
    assert crunch.file.endswith("work & play.py") and crunch.line == 2


def test_folded_of_a_folded_profile_is_the_same_stacks(tmp_path):
    source = "main;parse 30\nmain;parse;tokenize 12\nmain;render (view.py:40) 7\nidle 1\n"
    first = export_formats.folded_text(import_folded(source))
    assert sorted(first.splitlines()) == sorted(source.splitlines())
    assert export_formats.folded_text(import_folded(first)) == first


# -- CSV --------------------------------------------------------------------------------------


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_the_hotspot_rows_in_order(real_profile, tmp_path):
    out = tmp_path / "hot.csv"
    assert run_export(real_profile.source_path, "--format", "csv", "-o", out) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"name,file,line,calls,self_s,total_s,self_pct,total_pct\r\n")
    rows = _csv_rows(raw.decode("utf-8"))
    expected = hotspot_rows(real_profile)
    assert len(rows) == len(expected) and rows[0]["name"] == "crunch"
    for got, want in zip(rows, expected, strict=True):
        assert (got["name"], got["file"], int(got["line"])) == (want["name"], want["file"], want["line"])
        assert (int(got["calls"]) if got["calls"] else None) == want["calls"]
        for key in ("self_s", "total_s", "self_pct", "total_pct"):
            assert float(got[key]) == want[key]  # repr keeps every digit


def test_csv_quotes_awkward_names_and_names_sample_columns():
    profile = import_folded('main;say "hi", world 5\nmain;plain 3\n')
    text = export_formats.hotspot_csv(profile)
    assert '"say ""hi"", world"' in text
    rows = _csv_rows(text)
    assert list(rows[0]) == ["name", "file", "line", "calls", "self_samples", "total_samples", "self_pct", "total_pct"]
    assert rows[0]["name"] == 'say "hi", world' and float(rows[0]["self_samples"]) == 5.0
    assert rows[0]["calls"] == ""  # folded stacks count no calls


# -- SVG ----------------------------------------------------------------------------------------


def _frame_groups(root):
    for g in root.iter(f"{SVG_NS}g"):
        rect = g.find(f"{SVG_NS}rect")
        if rect is not None and rect.get("class") == "frame":
            yield g, rect


def test_svg_has_a_rect_per_visible_frame_and_readable_labels(real_profile):
    width = 1000
    text = flame_svg.flame_svg(real_profile, width, title="work & play.py")
    root = ET.fromstring(text.encode("utf-8"))
    layout = layout_for_profile(real_profile)
    scale = width / layout.total
    visible = sum(int((row.width * scale >= flame_svg.MIN_FRAME_PX).sum()) for row in layout.rows)
    groups = list(_frame_groups(root))
    assert len(groups) == visible > 5
    assert {rect.get("fill") for _, rect in groups} <= set(flame_svg.LIGHT_COLOURS.frames)
    titles = [g.find(f"{SVG_NS}title").text for g, _ in groups]
    crunch = [t for t in titles if t.startswith("crunch\n")]
    assert crunch and all("% of run" in t and "work & play.py:2" in t for t in crunch)
    labels = {}
    for g, rect in groups:
        label = g.find(f"{SVG_NS}text")
        if label is not None:
            labels[label.text] = float(rect.get("width"))
            need = len(label.text) * flame_svg.FONT_PX * flame_svg.CHAR_WIDTH_EM
            assert need <= float(rect.get("width")), label.text
    assert "crunch" in labels and "all" in labels
    header = "".join(root.find(f"{SVG_NS}text").itertext())
    assert "work & play.py" in header and f"total {format_time(real_profile.total_s)}" in header


def test_svg_hatches_estimated_frames_as_the_window_does():
    profile = open_profile_safely(str(DATA / "pstats_sample.prof"))
    root = ET.fromstring(flame_svg.flame_svg(profile).encode("utf-8"))
    hatched = [r for r in root.iter(f"{SVG_NS}rect") if (r.get("fill") or "").startswith("url(#")]
    estimated = sum(int((~row.exact).sum()) for row in layout_for_profile(profile).rows)
    assert len(hatched) == estimated > 0
    assert root.find(f"{SVG_NS}defs/{SVG_NS}pattern") is not None


def test_svg_survives_hostile_names():
    profile = import_folded('main;<script>alert(1)</script> & \x01co;ntrol"q" 5\nmain;ok 5\n')
    root = ET.fromstring(flame_svg.flame_svg(profile).encode("utf-8"))
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    titles = [t.text for t in root.iter(f"{SVG_NS}title")]
    assert any(t.startswith("<script>alert(1)</script> & \ufffdco") for t in titles)


def test_svg_colours_are_the_windows_light_palette():
    from gpuprof_gui.ui.style.palette import LIGHT

    for name in flame_svg.FlameColours.__slots__:
        assert getattr(flame_svg.LIGHT_COLOURS, name) == getattr(LIGHT, name), name


def test_svg_of_an_empty_profile_says_so():
    profile = import_folded("a 0\nb 1\n")
    profile.tree.total_s[:] = 0.0
    root = ET.fromstring(flame_svg.flame_svg(profile).encode("utf-8"))
    assert not list(_frame_groups(root))
    assert "no timed frames" in "".join(root.itertext())


# -- HTML ----------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.cells: list[str] = []
        self._in_td = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href", "xlink:href", "data", "action") and v]
        self._in_td = tag == "td"

    def handle_data(self, data):
        if self._in_td:
            self.cells.append(data)
            self._in_td = False


def _parse_html(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    parser.close()
    return parser


def _assert_offline(doc: _Collect, text: str) -> None:
    assert not [u for u in doc.urls if u.lower().startswith(("http://", "https://", "//"))], doc.urls
    assert not {"script", "link", "iframe", "img", "object", "embed"} & set(doc.tags)
    assert "@import" not in text and "url(http" not in text


def test_html_report_is_self_contained_with_svg_and_table(real_profile, tmp_path):
    out = tmp_path / "report.html"
    assert run_export(real_profile.source_path, "--format", "html", "-o", out, "--title", "work & play") == 0
    text = out.read_text(encoding="utf-8")
    doc = _parse_html(text)
    _assert_offline(doc, text)
    assert "svg" in doc.tags and doc.tags.count("rect") > 5 and "table" in doc.tags
    # The first hotspot row: rank 1, then the heaviest function.
    assert doc.cells[:2] == ["1", "crunch"]
    assert "<title>Profile report: work &amp; play</title>" in text
    assert "cprofile" in text and "estimated below caller→callee pairs" in text
    for note in real_profile.notes:
        assert note.replace("'", "&#x27;") in text


def test_html_report_of_an_advisor_session_has_lab_and_advice(tmp_path):
    out = tmp_path / "advice.html"
    assert run_export(ADVISOR_SESSION, "--format", "html", "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    doc = _parse_html(text)
    _assert_offline(doc, text)
    session = load_session(str(ADVISOR_SESSION))
    # Named by the script it advised on and the time the advice was made.
    assert f"<h1>Profile report: heat_cpu.py {Provenance(started=session.date).clock()}</h1>" in text
    assert "<dt>Script</dt>" in text and "heat_cpu.py" in text
    assert "Kernel lab" in text and "Offload advisor" in text
    for record in session.lab.records:
        assert f"<td>{record.candidate}</td>" in text
    assert times(session.advice.predicted_speedup_with_transfers) in text
    assert times(session.advice.amdahl_limit) in text and session.lab.device.name in text


def test_html_takes_lab_results_and_advice_from_options(real_prof, tmp_path):
    out = tmp_path / "with_lab.html"
    rc = run_export(real_prof, "--format", "html", "-o", out, "--lab-results", LAB_RESULTS, "--advice", ADVISOR_SESSION)
    assert rc == 0
    text = out.read_text(encoding="utf-8")
    lab = json.loads(LAB_RESULTS.read_text(encoding="utf-8"))
    assert all(f"<td>{r['candidate']}</td>" in text for r in lab["records"])
    assert "Offload advisor" in text and "<h1>Profile report: " + real_prof.name in text


# -- PNG ----------------------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_is_the_requested_size_and_shows_frames(real_prof, tmp_path):
    out = tmp_path / "flame.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpuprof_gui.cli",
            "export",
            str(real_prof),
            "--format",
            "png",
            "-o",
            str(out),
            "--width",
            "800",
            "--height",
            "500",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    data = out.read_bytes()
    assert _png_size(data) == (800, 500)
    from PySide6.QtGui import QImage

    image = QImage()
    assert image.loadFromData(data, "PNG")
    colours = {image.pixelColor(x, y).name() for x in range(0, 800, 7) for y in range(0, 500, 5)}
    assert len(colours) >= 6
    assert len(colours & set(flame_svg.LIGHT_COLOURS.frames)) >= 3
    assert image.pixelColor(799, 499).name() == "#ffffff"  # below the deepest row: background


def test_non_png_exports_do_not_load_qt(tmp_path):
    code = (
        "import sys; from gpuprof_gui import cli\n"
        f"for fmt in ('svg', 'html', 'speedscope', 'folded', 'csv'):\n"
        f"    assert cli.main(['export', {str(DATA / 'scalene_sample.json')!r}, '--format', fmt,"
        f" '-o', {str(tmp_path)!r} + '/out.' + fmt]) == 0\n"
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph'))]"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"out.{f}" for f in sorted(("svg", "html", "speedscope", "folded", "csv"))
    ]


# -- the verb: inputs, outputs, failures ---------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["svg", "speedscope", "folded", "csv", "html"])
def test_every_text_format_from_every_sample(sample, fmt, tmp_path):
    out = tmp_path / f"out.{fmt}"
    assert run_export(sample, "--format", fmt, "-o", out) == 0
    data = out.read_bytes()
    assert data
    if fmt == "svg":
        ET.fromstring(data)
    elif fmt == "speedscope":
        assert json.loads(data)["profiles"][0]["samples"]
    elif fmt == "folded":
        assert import_folded(data.decode("utf-8")).total_s > 0
    elif fmt == "csv":
        assert len(_csv_rows(data.decode("utf-8"))) > 2
    else:
        _assert_offline(_parse_html(data.decode("utf-8")), data.decode("utf-8"))


def test_output_replaces_an_old_file_whole_with_normal_permissions(tmp_path):
    out = tmp_path / "stacks.folded"
    out.write_text("OLD\n" * 100_000)
    assert run_export(DATA / "scalene_sample.json", "--format", "folded", "-o", out) == 0
    assert out.read_text() == export_formats.folded_text(open_profile_safely(str(DATA / "scalene_sample.json")))
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["stacks.folded"]


def test_dash_writes_text_to_stdout(capsysbinary):
    assert run_export(DATA / "scalene_sample.json", "--format", "folded", "-o", "-") == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert import_folded(out).total_s > 0


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def _truncated_prof(tmp_path: Path) -> Path:
    path = tmp_path / "cut.prof"
    path.write_bytes((DATA / "pstats_sample.prof").read_bytes()[:60])
    return path


def _not_json(tmp_path: Path) -> Path:
    path = tmp_path / "not_lab.json"
    path.write_text('{"format": "gpuprof-lab-results", "records": [', encoding="utf-8")
    return path


def _empty_session(tmp_path: Path) -> Path:
    path = tmp_path / "advice.json"
    data = json.loads(ADVISOR_SESSION.read_text(encoding="utf-8"))
    data["profile"] = None
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


BAD_CASES = {
    "missing input": (lambda t: [t / "nope.prof", "--format", "svg"], "nope.prof: no such file."),
    "empty input": (lambda t: [(t / "e.prof", (t / "e.prof").write_bytes(b""))[0], "--format", "csv"], "empty"),
    "binary garbage": (lambda t: [_garbage(t), "--format", "html"], "is not a file gpuprof reads"),
    "truncated .prof": (lambda t: [_truncated_prof(t), "--format", "speedscope"], "damaged"),
    "session without profile": (lambda t: [_empty_session(t), "--format", "svg"], "holds no profile"),
    "bad lab results": (
        lambda t: [DATA / "scalene_sample.json", "--format", "html", "--lab-results", _not_json(t)],
        "lab results",
    ),
    "advice is not a session": (
        lambda t: [DATA / "scalene_sample.json", "--format", "html", "--advice", DATA / "scalene_sample.json"],
        "advisor session",
    ),
    "lab with svg": (
        lambda t: [DATA / "scalene_sample.json", "--format", "svg", "--lab-results", LAB_RESULTS],
        "only to --format html",
    ),
    "zero width": (lambda t: [DATA / "scalene_sample.json", "--format", "png", "--width", "0"], "--width"),
    "huge height": (lambda t: [DATA / "scalene_sample.json", "--format", "png", "--height", "99999"], "--height"),
    "svg height": (lambda t: [DATA / "scalene_sample.json", "--format", "svg", "--height", "300"], "--width"),
}


@pytest.mark.parametrize("case", BAD_CASES, ids=str)
def test_bad_input_gives_one_sentence_and_status_2(case, tmp_path, capsys):
    make_args, words = BAD_CASES[case]
    out = tmp_path / "out" / "result.file"
    out.parent.mkdir()
    out.write_text("previous")
    rc = run_export(*make_args(tmp_path), "-o", out)
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("gpuprof export: ") and "\n" not in err and "Traceback" not in err, err
    assert words in err, err
    assert out.read_text() == "previous"  # a failed export leaves the old file alone
    assert [p.name for p in out.parent.iterdir()] == ["result.file"]


@pytest.mark.parametrize("where", ["missing folder", "a folder", "the input", "read-only folder", "png to stdout"])
def test_unwritable_output_gives_one_sentence_and_status_2(where, tmp_path, capsys):
    source = tmp_path / "in.json"
    shutil.copy(DATA / "scalene_sample.json", source)
    fmt = "png" if where == "png to stdout" else "csv"
    out = {
        "missing folder": tmp_path / "no" / "such" / "out.csv",
        "a folder": tmp_path,
        "the input": source,
        "read-only folder": tmp_path / "ro" / "out.csv",
        "png to stdout": "-",
    }[where]
    if where == "read-only folder":
        out.parent.mkdir()
        out.parent.chmod(0o500)
        if os.access(out.parent, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
    try:
        rc = run_export(source, "--format", fmt, "-o", out)
    finally:
        if where == "read-only folder":
            out.parent.chmod(0o700)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("gpuprof export: ") and "\n" not in err, err
    assert source.read_bytes() == (DATA / "scalene_sample.json").read_bytes()
    assert not list(tmp_path.rglob(".gpuprof-export-*"))


def test_a_gpuprof_session_file_exports_its_profile_and_lab(tmp_path):
    from gpuprof_gui.core.lab_model import load_run
    from gpuprof_gui.core.session import Session, save_session

    profile = open_profile_safely(str(DATA / "scalene_sample.json"))
    path = tmp_path / "run.gpuprof-session.json"
    save_session(Session(title="demo", profile=profile, lab=load_run(str(LAB_RESULTS))), path)
    out = tmp_path / "run.html"
    assert run_export(path, "--format", "html", "-o", out) == 0
    text = out.read_text(encoding="utf-8")
    assert "Kernel lab" in text and f"<td>{html.escape(hotspot_rows(profile)[0]['name'])}</td>" in text
    folded = tmp_path / "run.folded"
    assert run_export(path, "--format", "folded", "-o", folded) == 0
    assert folded.read_text(encoding="utf-8") == export_formats.folded_text(profile)


def test_png_of_a_profile_without_frames_says_so(qapp):
    from gpuprof_gui.ui.profile.flame_image import render_flame_image

    profile = import_folded("a 0\nb 1\n")
    profile.tree.total_s[:] = 0.0
    image = render_flame_image(profile, 400, 200, "empty")
    assert (image.width(), image.height()) == (400, 200)
    colours = {image.pixelColor(x, y).name() for x in range(0, 400, 3) for y in range(0, 200, 3)}
    assert not colours & set(flame_svg.LIGHT_COLOURS.frames)  # no frame drawn
    assert len(colours) > 1  # but the header and the sentence are


def test_png_header_explains_hatching_only_for_estimated_profiles():
    from gpuprof_gui.core.importers import load_profile
    from gpuprof_gui.ui.profile.flame_image import _header_text

    pstats = load_profile(DATA / "pstats_sample.prof", trusted=True)
    scalene = load_profile(DATA / "scalene_sample.json", trusted=True)
    assert "hatched = estimated" in _header_text(pstats, "t")
    assert "hatched" not in _header_text(scalene, "t")
