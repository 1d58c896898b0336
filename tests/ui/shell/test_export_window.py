"""File ▸ Export… in the window: every format from the profile on show, and clear failures."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from gpuprof_gui.ui.shell import export_window

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    "name, chosen, expected",
    [
        ("out", "Flame graph, PNG image (*.png)", ("png", "out.png")),
        ("out.svg", "", ("svg", "out.svg")),
        ("a.speedscope.json", "", ("speedscope", "a.speedscope.json")),
        ("report", "", ("html", "report.html")),
        ("t.csv", "HTML report (*.html)", ("csv", "t.csv")),  # the typed suffix wins (test_first_use.py)
    ],
)
def test_format_follows_the_filter_then_the_suffix(name, chosen, expected):
    assert export_window.format_for(name, chosen) == expected


def test_every_format_is_written_with_its_content(sample_window, tmp_path):
    top = "heavy"  # the sample's heaviest function
    outputs = {}
    for _label, fmt, suffix in export_window.EXPORT_TYPES:
        path = tmp_path / f"out{suffix}"
        assert export_window.export_to(sample_window, str(path), fmt), sample_window.status_text()
        assert str(path) in sample_window.status_text()
        outputs[fmt] = path
    assert outputs["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ET.parse(outputs["svg"])  # well-formed
    doc = json.loads(outputs["speedscope"].read_text())
    assert doc["profiles"] and doc["shared"]["frames"]
    assert "heavy" in outputs["folded"].read_text()
    assert outputs["csv"].read_text().splitlines()[0].startswith("name,")
    html = outputs["html"].read_text()
    assert "<svg" in html and top in html
    assert 'src="http' not in html and 'href="http' not in html  # offline: only the SVG namespace URI


def test_unwritable_target_says_why(sample_window, tmp_path):
    target = tmp_path / "no-such-folder" / "x.svg"
    assert not export_window.export_to(sample_window, str(target), "svg")
    assert "Export failed" in sample_window.status_text() and "does not exist" in sample_window.status_text()


def test_export_without_a_profile_asks_for_one(window):
    export_window.choose_export(window)
    assert "Nothing to export" in window.status_text()
