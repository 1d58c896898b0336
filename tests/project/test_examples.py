"""The bundled examples run, hotspots_demo's hotspots are where it says, the icon is current."""

from __future__ import annotations

import ast
import os
import pstats
import subprocess
import sys
from pathlib import Path

import pytest

from gpuprof_gui import assets

EXAMPLE_TIMEOUT_S = 60  # each run below takes ~0.1-1 s; generous for a loaded 2-core CI box
# hotspots_demo at this scale runs ~0.6 s under cProfile: long enough that the
# stage ratios (measured ~4x and ~1.5x at full scale) are far above timer noise.
PROFILE_SCALE = 0.25
# Margin each function in EXPECTED_ORDER must keep over the next (self time).
ORDER_MARGIN = 1.15
# The docstring promises the top hotspot is at least twice the second.
FIRST_OVER_SECOND = 2.0
ICON_SIZE_PX = 256
# Mean per-channel difference (0-255) allowed between the committed PNG and a
# fresh render: antialiasing may differ slightly between Qt builds.
ICON_MAX_MEAN_DIFF = 3.0


def run_example(path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(path), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT_S,
    )


def expected_order() -> list[str]:
    """EXPECTED_ORDER read from the example's source, without importing it."""
    tree = ast.parse(assets.example_path("hotspots_demo.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "EXPECTED_ORDER" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("hotspots_demo.py has no EXPECTED_ORDER")


def test_all_three_examples_are_bundled():
    assert assets.list_examples() == ["hotspots_demo.py", "numpy_demo.py", "recursion_demo.py"]
    assert assets.example_path() == assets.example_path("hotspots_demo")
    with pytest.raises(FileNotFoundError, match=r"known: hotspots_demo\.py"):
        assets.example_path("no_such_demo")
    with pytest.raises(FileNotFoundError):
        assets.example_path("../examples/hotspots_demo.py")


@pytest.mark.parametrize(
    ("name", "args", "last_line_start"),
    [
        ("hotspots_demo.py", ("--scale", "0.05", "--seed", "3"), "summary:"),
        (
            "recursion_demo.py",
            (
                "--scale",
                "0.1",
            ),
            "done in",
        ),
        (
            "numpy_demo.py",
            (
                "--scale",
                "0.1",
            ),
            "done in",
        ),
    ],
)
def test_example_runs_and_exits_zero(name, args, last_line_start, tmp_path):
    result = run_example(assets.example_path(name), *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= 3, result.stdout
    assert lines[-1].startswith(last_line_start)
    assert list(tmp_path.iterdir()) == []  # examples write nothing


def test_examples_reject_bad_scale(tmp_path):
    for name in assets.list_examples():
        result = run_example(assets.example_path(name), "--scale", "0", cwd=tmp_path)
        assert result.returncode == 2, name
        assert "--scale must be positive" in result.stderr


def test_hotspots_demo_is_deterministic_per_seed(tmp_path):
    def summary(seed: str) -> str:
        out = run_example(assets.example_path(), "--scale", "0.03", "--seed", seed, cwd=tmp_path)
        # Drop the trailing elapsed time, the only part that may vary.
        return out.stdout.strip().splitlines()[-1].rsplit(",", 1)[0]

    assert summary("1") == summary("1")
    assert summary("1") != summary("2")


def test_hotspots_demo_expected_order_holds_under_cprofile(tmp_path):
    prof = tmp_path / "hotspots.prof"
    script = assets.example_path()
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(prof), str(script), "--scale", str(PROFILE_SCALE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr

    stats = pstats.Stats(str(prof)).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    by_name = {
        name: (tt, ct)
        for (filename, _line, name), (_cc, _nc, tt, ct, _callers) in stats.items()
        if Path(filename).name == script.name
    }
    order = expected_order()
    assert len(order) >= 3
    missing = [name for name in order if name not in by_name]
    assert not missing, f"not in the profile: {missing}"

    self_s = [by_name[name][0] for name in order]
    for name, this_s, next_s in zip(order, self_s, self_s[1:], strict=False):
        assert this_s >= ORDER_MARGIN * next_s, f"{name}: {self_s}"
    assert self_s[0] >= FIRST_OVER_SECOND * self_s[1], self_s

    # The listed functions' time is their own: cumulative is within 10 % of self.
    for name in order:
        tt, ct = by_name[name]
        assert ct <= 1.10 * tt + 0.005, (name, tt, ct)

    # Nothing else in the script outweighs the last listed hotspot.
    others = {name: tt for name, (tt, _ct) in by_name.items() if name not in order and name not in ("main", "<module>")}
    assert all(tt < self_s[-1] for tt in others.values()), others


def test_recursion_demo_true_paths_name_real_functions():
    source = assets.example_path("recursion_demo.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    paths = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TRUE_PATHS"
    )
    for kernel, path in paths.items():
        assert path[-1] == kernel
        assert set(path) <= defined


def render_icon(size_px: int):
    """The SVG icon rendered to a QImage of size_px x size_px (needs a Q*Application)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(assets.icon_path()))
    assert renderer.isValid()
    image = QImage(size_px, size_px, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def test_icon_png_is_a_current_rendering_of_the_svg(qapp):
    """Set GPUPROF_WRITE_ICON=1 to (re)write the PNG after editing the SVG."""
    # qapp (pytest-qt) makes the one QApplication of the session; a bare
    # QGuiApplication here would make every later QWidget abort the run.
    from PySide6.QtGui import QImage

    fresh = render_icon(ICON_SIZE_PX)
    png = assets.icon_path(svg=False)
    if os.environ.get("GPUPROF_WRITE_ICON") == "1":
        assert fresh.save(str(png), "PNG")
    committed = QImage(str(png))
    assert not committed.isNull(), f"{png} missing or unreadable"
    assert (committed.width(), committed.height()) == (ICON_SIZE_PX, ICON_SIZE_PX)
    committed = committed.convertToFormat(QImage.Format.Format_ARGB32)

    def channels(image) -> bytes:
        return bytes(image.constBits())[: image.sizeInBytes()]

    a, b = channels(committed), channels(fresh)
    mean_diff = sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
    assert mean_diff <= ICON_MAX_MEAN_DIFF
    # Not blank: the flame's orange-red is there and the corners are transparent.
    assert committed.pixelColor(0, 0).alpha() == 0
    assert committed.pixelColor(ICON_SIZE_PX // 2, ICON_SIZE_PX * 3 // 5).red() > 200
