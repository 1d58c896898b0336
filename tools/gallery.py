"""The screenshot gallery: every tab at 1024×768, 1280×720 and 1920×1080, at the desk and on a
projector, light and dark — and what each picture measured against the layout rules.

    python tools/gallery.py                       # make screenshots: docs/gallery/*.png + manifest.json
    python tools/gallery.py --no-images --json r.json --sizes 1024x768   # the rules only (the tests)

Each screen size runs in a process of its own, on a real X server (Xvfb, when installed
and ``--display`` is ``auto`` or ``xvfb``) or on Qt's offscreen platform with a screen of
that size configured. The window opens as a user's would, with fresh settings: the bundled
H100 offload session (profile, kernel lab, telemetry, advice) and, on the Compare tab, a
profile of the same program made now with cProfile. Exits 1 when any picture breaks a rule.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = ((1024, 768), (1280, 720), (1920, 1080))
THEMES = ("light", "dark")
MODES = ((False, "desk"), (True, "projector"))
SESSION = REPO / "tests" / "data" / "sessions" / "heat_h100.gpuprof-session.json"
BASELINE_SCRIPT = REPO / "resources" / "examples" / "offload" / "heat_cpu.py"
BASELINE_ARGS = ("--steps", "3", "--grid", "256")
FLAME_SHARE = 0.35
SETTLE_S = 0.4
"""Events are processed this long after each change (tab, theme, mode) before a picture is taken."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "gallery"), help="folder for the pictures")
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    parser.add_argument("--display", choices=("auto", "xvfb", "offscreen"), default="auto")
    parser.add_argument("--no-images", action="store_true", help="measure only; write no pictures")
    parser.add_argument("--json", help="also write the measurements here")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # WxH: the child process for one screen
    parser.add_argument("--baseline", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return shoot_one(args)
    return shoot_all(args)


# -- the parent: one child per screen size ----------------------------------------------------------
def shoot_all(args: argparse.Namespace) -> int:
    sizes = [tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",") if s]
    use_xvfb = args.display == "xvfb" or (args.display == "auto" and shutil.which("Xvfb") is not None)
    out = Path(args.out)
    if not args.no_images:
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.png"):
            old.unlink()
    work = Path(tempfile.mkdtemp(prefix="gpuprof-gallery-"))
    try:
        baseline = work / "heat_cpu_baseline.prof"
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", str(baseline), str(BASELINE_SCRIPT), *BASELINE_ARGS],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shots: list[dict] = []
        for width, height in sizes:
            shots += _child(width, height, use_xvfb, args, baseline, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    broken = [s for s in shots if s["broken"]]
    report = {
        "made": time.strftime("%Y-%m-%d"),
        "display": "Xvfb" if use_xvfb else "offscreen",
        "sizes": [f"{w}x{h}" for w, h in sizes],
        "shots": shots,
        "broken": len(broken),
    }
    text = json.dumps(report, indent=1)
    if not args.no_images:
        (out / "manifest.json").write_text(text + "\n", encoding="utf-8")
        _write_index(out, report)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    for shot in broken:
        print(f"{shot['name']}: " + "; ".join(shot["broken"]), file=sys.stderr)
    print(f"{len(shots)} pictures, {len(broken)} breaking a rule", file=sys.stderr)
    return 1 if broken else 0


def _child(width: int, height: int, use_xvfb: bool, args: argparse.Namespace, baseline: Path, work: Path) -> list:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    home = work / f"home-{width}x{height}"
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[var] = str(home / var.lower())
    env["GPUPROF_RUNS_DIR"] = str(home / "runs")
    xvfb = None
    if use_xvfb:
        display = f":{90 + (width + height) % 97}"
        xvfb = subprocess.Popen(
            ["Xvfb", display, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        time.sleep(1.0)
    else:
        config = work / f"screen-{width}x{height}.json"
        screen = {"name": "gallery", "x": 0, "y": 0, "width": width, "height": height}
        screen.update(logicalDpi=96, logicalBaseDpi=96, dpr=1)
        config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
        env["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    result = work / f"shots-{width}x{height}.json"
    command = [sys.executable, __file__, "--one", f"{width}x{height}", "--out", args.out, "--baseline", str(baseline)]
    command += ["--no-images"] if args.no_images else []
    command += ["--json", str(result)]
    try:
        subprocess.run(command, env=env, check=False, timeout=600)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    if not result.exists():
        return [{"name": f"{width}x{height}", "broken": ["the window process made no pictures"]}]
    return json.loads(result.read_text(encoding="utf-8"))


def _write_index(out: Path, report: dict) -> None:
    lines = [
        "# Screenshot gallery",
        "",
        f"Made by `make screenshots` on {report['made']} ({report['display']}), with fresh settings: the "
        "bundled H100 offload session, and a cProfile run of the same program on the Compare tab. "
        f"{len(report['shots'])} pictures, {report['broken']} breaking a layout rule "
        "(`manifest.json` has what each one measured).",
        "",
    ]
    for size in report["sizes"]:
        lines += [f"## {size}", "", "| tab | light, desk | dark, desk | light, projector | dark, projector |"]
        lines += ["|---|---|---|---|---|"]
        tabs = dict.fromkeys(s["tab"] for s in report["shots"] if s["size"] == size)
        for tab in tabs:
            cells = [
                f"[{theme}, {mode}]({size}-{_slug(tab)}-{mode}-{theme}.png)"
                for mode in ("desk", "projector")
                for theme in THEMES
            ]
            lines.append(f"| {tab} | " + " | ".join(cells) + " |")
        lines.append("")
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def _slug(tab: str) -> str:
    """A tab's title as a file-name part: "GPU timeline (trace)" is "gpu-timeline-trace"."""
    return "-".join("".join(c if c.isalnum() else " " for c in tab.lower()).split())


# -- the child: one screen, every tab, mode and theme ---------------------------------------------
def shoot_one(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0], "-platform", os.environ["QT_QPA_PLATFORM"]])
    from gpuprof_gui.ui.compare import compare_window
    from gpuprof_gui.ui.shell.main_window import MainWindow
    from gpuprof_gui.ui.style import layout_rules, theme
    from gpuprof_gui.ui.timeline import timeline_window

    width, height = (int(n) for n in args.one.split("x"))
    settings = QSettings(str(Path(os.environ["XDG_CONFIG_HOME"]) / "gallery.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    win.show()
    _settle(app, 1.0)
    win.open_path(str(SESSION))
    _wait(app, lambda: win.loaded is not None)
    compare_window.compare_with(win, args.baseline)
    _wait(app, lambda: win.compare.canvas.profile is not None)
    shots = []
    for theme_name in THEMES:
        for presentation, mode in MODES:
            theme.set_theme(win, theme_name, remember=False)
            win.actions_by_id["presentation"].setChecked(presentation)
            win.set_presentation(presentation)
            for index in range(win.tabs.count()):
                win.tabs.setCurrentIndex(index)
                _settle(app, SETTLE_S)
                tab = win.tabs.tabText(index).replace("&", "")
                shot_of = (win, app, layout_rules, args, index, f"{width}x{height}", mode, theme_name)
                shots.append(_shot(*shot_of, tab))
                if win.tabs.widget(index) is win.timeline and win.timeline.trace is None:
                    timeline_window.open_trace(win, "", True)  # the tab's second state: the bundled trace
                    _settle(app, SETTLE_S)
                    shots.append(_shot(*shot_of, tab + " (trace)"))
                    win.timeline.clear()
    Path(args.json).write_text(json.dumps(shots), encoding="utf-8")
    win.close()
    return 0


def _shot(win, app, layout_rules, args, index: int, size: str, mode: str, theme_name: str, tab: str) -> dict:
    """Measure the tab on show (and save its picture unless --no-images): its manifest entry."""
    name = f"{size}-{_slug(tab)}-{mode}-{theme_name}"
    shot = _measure(win, layout_rules, tab, index)
    shot.update(name=name, size=size, tab=tab, mode=mode, theme=theme_name)
    if not args.no_images:
        path = Path(args.out) / f"{name}.png"
        _small(_picture(win, app).toImage()).save(str(path))
        shot["file"] = path.name
    return shot


def _measure(win, layout_rules, tab: str, index: int) -> dict:
    fits, where = layout_rules.window_fits(win)
    broken = [] if fits else [f"the window does not fit the screen: {where}"]
    canvas = win.flame.canvas if index == 0 else getattr(win.compare, "canvas", None) if tab == "Compare" else None
    flame_share = None
    if canvas is not None:
        flame_share = round(canvas.height() / max(1, win.height()), 3)
        if flame_share < FLAME_SHARE:
            broken.append(f"the flame graph is {canvas.height()} px, {flame_share:.0%} of the window")
    if index == 0 and not win.table.key_columns_in_view():
        broken.append("the hotspot table's Function, Self, Total and % of run are not all in view")
    cuts = [str(c) for c in layout_rules.cut_text(win) + layout_rules.sideways_scrolling(win)]
    broken += [f"cut text: {c}" for c in cuts]
    low = layout_rules.low_contrast(win.palette())
    broken += [f"low contrast: {p}" for p in low]
    return {
        "window": [win.width(), win.height()],
        "where": where,
        "flame_share": flame_share,
        "contrast": layout_rules.palette_contrast(win.palette()),
        "broken": broken,
    }


def _picture(win, app):
    """What the user sees: the whole X screen under Xvfb, the window itself offscreen."""
    if app.platformName() == "xcb":
        return win.screen().grabWindow(0)
    return win.grab()


def _small(image):
    """256 colours, no dithering: text stays crisp and a picture takes a quarter of the room in git."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
    return image.convertToFormat(QImage.Format.Format_Indexed8, flags)


def _settle(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _wait(app, done, timeout_s: float = 60.0) -> None:
    end = time.monotonic() + timeout_s
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    _settle(app, SETTLE_S)


if __name__ == "__main__":
    sys.exit(main())
