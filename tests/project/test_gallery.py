"""The committed screenshot gallery (``make screenshots``) is whole: every tab × the three screens ×
desk/projector × light/dark, each picture the size of its screen, none breaking a layout rule."""

from __future__ import annotations

import json
import struct
from pathlib import Path

GALLERY = Path(__file__).resolve().parents[2] / "docs" / "gallery"
SIZES = ("1024x768", "1280x720", "1920x1080")
TABS = ("profile", "kernel-lab", "offload-advisor", "compare", "gpu-timeline", "gpu-timeline-trace")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_the_gallery_has_every_tab_screen_mode_and_theme_and_breaks_no_rule():
    manifest = json.loads((GALLERY / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["display"] == "Xvfb"  # made on a real X server: the pictures are the whole screen
    assert manifest["broken"] == 0 and not any(s["broken"] for s in manifest["shots"])
    names = {s["name"] for s in manifest["shots"]}
    wanted = {
        f"{size}-{tab}-{mode}-{theme}"
        for size in SIZES
        for tab in TABS
        for mode in ("desk", "projector")
        for theme in ("light", "dark")
    }
    assert names == wanted
    for shot in manifest["shots"]:
        picture = GALLERY / shot["file"]
        width, height = (int(n) for n in shot["size"].split("x"))
        assert _png_size(picture) == (width, height), picture
        assert shot["window"][0] <= width and shot["window"][1] <= height
    index = (GALLERY / "README.md").read_text(encoding="utf-8")
    assert all(f"{name}.png" in index for name in wanted)
