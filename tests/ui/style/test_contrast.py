"""WCAG AA contrast of every colour pair the window draws, in both themes and presentation mode.

The pairs come from ONE registry, ``gpuprof_gui.ui.style.colour_pairs.text_pairs``; a second test
keeps hard-coded colours out of the views, so that every colour lives in ``palette.py`` and none
can bypass the registry. The widget tests check that the views really draw the palette's colours
where the old ones fell short (the Compare tab, the lab's status cells, hot source lines,
telemetry titles), and save screenshots of them for a person to look at.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from colour_vision import CVD, delta_e
from PySide6.QtGui import QColor, QPalette
from window_support import run_script, save_shot, settle

from gpuprof_gui.core import diff as dm
from gpuprof_gui.core import lab_model as lm
from gpuprof_gui.core.importers.folded_import import import_folded
from gpuprof_gui.ui.lab.lab_results import STATUS_STYLE
from gpuprof_gui.ui.profile.source_view import CodeEditor
from gpuprof_gui.ui.style import theme
from gpuprof_gui.ui.style.colour_pairs import text_pairs
from gpuprof_gui.ui.style.palette import (
    DIFF_DARK,
    DIFF_LIGHT,
    HEAT_GUTTER_ALPHA,
    contrast_ratio,
    qcolour,
    theme_colours,
    view_palette,
)

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(autouse=True)
def normal_look():
    """The app palette and font are application-wide: give the next test the default back."""
    yield
    theme.apply(theme.SYSTEM, False)


REPO = Path(__file__).resolve().parents[3]
UI = REPO / "gpuprof_gui" / "ui"
PALETTE = UI / "style" / "palette.py"
REPO_LAB = REPO / "tests" / "data" / "lab"

TEXT_AA = 4.5
"""WCAG 2 success criterion 1.4.3, level AA: normal text."""
LARGE_AA = 3.0
"""1.4.3 for large text (18 pt, or 14 pt bold) and 1.4.11 for graphical objects such as chart marks."""
THEMES = [(False, False), (True, False), (False, True), (True, True)]
THEME_IDS = ["light", "dark", "presentation", "presentation-dark"]


# -- WCAG 2.x, written out ---------------------------------------------------------------------------------
# Relative luminance as the W3C defines it (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance):
# L = 0.2126 R + 0.7152 G + 0.0722 B, each sRGB channel c = 8-bit value / 255 made linear as
# c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 (WCAG 2.0 printed 0.03928; no 8-bit
# value lies between the two). Contrast ratio (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio):
# (L1 + 0.05) / (L2 + 0.05), L1 the lighter colour's. Written again here, so that the check does
# not trust the code it checks.
def relative_luminance(colour: str) -> float:
    digits = colour.removeprefix("#")
    assert re.fullmatch(r"[0-9a-fA-F]{6}", digits), f"{colour}: pairs are opaque #rrggbb"
    linear = []
    for i in (0, 2, 4):
        c = int(digits[i : i + 2], 16) / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_gives_wcags_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest grey passing AA on white
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # one step lighter fails
    for pair in text_pairs(True, False)[:40]:  # the app's own arithmetic agrees
        assert contrast_ratio(pair.fg, pair.bg) == pytest.approx(contrast(pair.fg, pair.bg), rel=1e-6)


# -- the registry --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("dark", "presentation"), THEMES, ids=THEME_IDS)
def test_every_pair_meets_wcag_aa(dark, presentation):
    pairs = text_pairs(dark, presentation)
    assert len(pairs) > 100
    low = [
        f"{p.name}: {p.fg} on {p.bg} is {contrast(p.fg, p.bg):.2f}:1"
        for p in pairs
        if contrast(p.fg, p.bg) < (LARGE_AA if p.large else TEXT_AA)
    ]
    assert not low, "\n".join(low)


@pytest.mark.parametrize(("dark", "presentation"), THEMES, ids=THEME_IDS)
def test_the_registry_lists_the_colours_the_views_take(dark, presentation):
    pairs = text_pairs(dark, presentation)
    names = [p.name for p in pairs]
    assert len(names) == len(set(names)), "each pair once, by a name that says where it is"
    c, v = theme_colours(dark, presentation), view_palette(dark, presentation)
    backgrounds = {p.bg for p in pairs}
    foregrounds = {p.fg for p in pairs}
    assert set(v.frames) <= backgrounds and set(c.diff) <= backgrounds  # a label on every fill
    assert set(c.syntax) | set(c.series) | {c.grown, c.shrunk, c.error, c.note, c.muted} <= foregrounds
    statuses = {n.removeprefix("status ") for n in names if n.startswith("status ")}
    assert set(STATUS_STYLE) <= statuses  # every status the lab shows has its cell colours checked


# -- the Compare tab's diverging colours stay colour-blind safe ----------------------------------------------
@pytest.mark.parametrize("fills", [DIFF_LIGHT, DIFF_DARK], ids=["light", "dark"])
def test_diff_colours_stay_apart_for_colour_blind_viewers(fills):
    assert len(fills) == dm.DIFF_N_BUCKETS
    neutral = dm.DIFF_NEUTRAL_BUCKET
    lightness = [QColor(f).lightnessF() for f in fills]
    shrunk, grown = lightness[:neutral], lightness[neutral + 1 :]
    # Lightness steps away from the neutral class on both arms: the order reads without hue.
    away = lightness[neutral] > max(shrunk + grown)  # a light canvas: stronger is darker
    assert shrunk == sorted(shrunk, reverse=not away) and grown == sorted(grown, reverse=away)
    for vision in CVD:
        assert delta_e(fills[0], fills[-1], vision) > 40, vision  # strongest shrink vs strongest growth
        for step in range(1, neutral + 1):  # a growth and a shrink of the same size never look alike
            assert delta_e(fills[neutral - step], fills[neutral + step], vision) > 15, (vision, step)
        for weak in (fills[neutral - 1], fills[neutral + 1]):  # RdBu's faintest is 6.7 from grey (protanopia)
            assert delta_e(weak, fills[neutral], vision) > 5, (vision, weak)


# -- no colour outside the palette ----------------------------------------------------------------------------
HEX = re.compile(r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})(?![0-9a-zA-Z_])")
CODE_COLOURS = (
    # QColor(239, 108, 0), pg.mkBrush(255, 255, 255, 200), QColor(*BAND_BRUSH): numbers, or a tuple of them
    re.compile(r"\b(?:QColor|mkColor|mkBrush|mkPen)\(\s*(?:\d|\*)"),
    # BAND_PEN = (46, 125, 50, 160), ERROR_LINE_RGB = (229, 57, 53)
    re.compile(r"\b\w*(?:RGBA?|COLOU?RS?|BRUSH|PEN)\w*\s*=\s*\(\s*\d+\s*,\s*\d+\s*,\s*\d+", re.IGNORECASE),
    # background="w", color="black", Qt.GlobalColor.red, Qt.white
    re.compile(
        r"""\b(?:background|color|colou?r|foreground)\s*=\s*["'](?:[rgbcmykw]|white|black|red|green|blue|gr[ae]y)["']"""
    ),
    re.compile(r"\bQt\.(?:GlobalColor\.)?(?:white|black|red|green|blue|gray|darkGray|lightGray)\b"),
)


def hard_coded_colours(source: str) -> list[str]:
    """Colours written into ``source``: ``#rgb``, ``#rrggbb`` or ``#aarrggbb`` in its strings (style
    sheets and HTML included), numeric QColor/mkBrush/mkPen arguments, tuples of colour channels,
    pyqtgraph's and Qt's colour names. Comments do not count."""
    found = []
    lines = source.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            found += [f"line {tok.start[0]}: {m}" for m in HEX.findall(tok.string)]
        elif tok.type == tokenize.COMMENT:
            row, col = tok.start
            lines[row - 1] = lines[row - 1][:col]
    code = "\n".join(lines)
    for pattern in CODE_COLOURS:
        found += [f"line {code.count(chr(10), 0, m.start()) + 1}: {m.group(0)}" for m in pattern.finditer(code)]
    return found


def test_the_scan_finds_colours_written_in_a_view():
    old_view = (
        'GROWN = ("#fddbc7", "#b2182b")  # ColorBrewer\n'
        'style = f"QLabel {{ color: #5c4400; }}"\n'
        "brush = QColor(239, 108, 0, 90)\n"
        "BAND_PEN = (46, 125, 50, 160)\n"
        "edge = QPen(QColor(*BAND_PEN))\n"
        "fill = pg.mkBrush(255, 255, 255, 200)\n"
        'chart = pg.PlotWidget(background="w")\n'
        'html = "<span style=\\"color:#ff7f0e\\">x</span>"\n'
        "pen = QPen(Qt.GlobalColor.red)\n"
    )
    found = hard_coded_colours(old_view)
    assert len(found) == 10, found
    fine = "# a comment may say #b2182b\ncolour = palette.grown\nissue = 'see issue #12'\nmargins = (4, 4, 4, 4)\n"
    assert hard_coded_colours(fine) == []


def test_no_colour_is_hard_coded_outside_the_palette():
    """Every colour of the views comes from palette.py, where colour_pairs.py checks it."""
    offenders = {}
    for path in sorted(UI.rglob("*.py")):
        if path == PALETTE:
            continue
        found = hard_coded_colours(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(REPO))] = found
    assert not offenders, offenders


# -- the views draw the palette's colours ---------------------------------------------------------------------
def _qcontrast(fg: QColor, bg: QColor) -> float:
    return contrast(fg.name(), bg.name())


def _compare_two_runs(window) -> None:
    a = import_folded("main;steady 100\nmain;grows 10\nmain;shrinks 100\nmain;gone 10\n")
    b = import_folded("main;steady 100\nmain;grows 60\nmain;shrinks 20\nmain;new 30\n")
    window.compare.set_comparison(a, b, "before.py", "after.py")
    window.tabs.setCurrentWidget(window.compare)


@pytest.mark.parametrize("name", [theme.DARK, theme.LIGHT])
def test_the_compare_tab_is_readable_in_both_themes(qtbot, window, name):
    """Defect: in the dark theme the delta table's red #b2182b was 2.4:1 and its blue 2.8:1 on #1e1e1e,
    and the strongest frames as dark as the canvas."""
    _compare_two_runs(window)
    theme.set_theme(window, theme.LIGHT if name == theme.DARK else theme.DARK)  # the other first: a live switch
    theme.set_theme(window, name)
    settle(qtbot)
    panel = window.compare
    table = panel.table
    seen = set()
    for row in range(table.rowCount()):
        item = table.item(row, 1)
        text = item.foreground().color()
        for role in (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase):
            assert _qcontrast(text, table.palette().color(role)) >= TEXT_AA, (item.text(), text.name())
        seen.add(item.text()[0].replace("−", "-"))
    assert {"+", "-"} <= seen  # grown and shrunk rows were both checked
    canvas = panel.canvas
    background = QColor(canvas.palette_in_use.background)
    assert (background.lightnessF() < 0.5) == (name == theme.DARK)
    for strongest in (canvas._fills[0], canvas._fills[dm.DIFF_N_BUCKETS - 1]):
        assert _qcontrast(strongest, background) >= LARGE_AA, strongest.name()
    save_shot(window, f"contrast_compare_{name}")


def test_lab_status_cells_follow_the_theme(qtbot, window):
    """Defect: the status cells kept their pale backgrounds in the dark theme, bright patches in a dark table."""
    assert window.lab.load_recorded(str(REPO_LAB / "lab_faults.json"))
    window.tabs.setCurrentWidget(window.lab)
    extra = [lm.LabRecord("made_up", 1 << 20, status=s) for s in ("crashed", "cancelled", "skipped", "running")]
    for rec in extra:
        window.lab.table.add_record(rec)
    for name in (theme.DARK, theme.LIGHT, theme.DARK):
        theme.set_theme(window, name)
        settle(qtbot)
        table = window.lab.table
        base = table.palette().color(QPalette.ColorRole.Base)
        shown = set()
        for row in range(table.rowCount()):
            crashed = table.item(row, 2).text() == STATUS_STYLE["crashed"]
            for col in (2, 3):  # status, correct
                item = table.item(row, col)
                bg, fg = item.background().color(), item.foreground().color()
                assert _qcontrast(fg, bg) >= TEXT_AA, (name, item.text(), fg.name(), bg.name())
                if not crashed:  # strong red in both themes: the worst stands out
                    assert (bg.lightnessF() < 0.5) == (base.lightnessF() < 0.5), (name, item.text(), bg.name())
                shown.add(item.text())
        assert len(shown) >= 6
        candidates = window.lab.candidate_list
        for i in range(candidates.topLevelItemCount()):
            item = candidates.topLevelItem(i)
            if item.text(2):
                fg, bg = item.foreground(2).color(), item.background(2).color()
                assert _qcontrast(fg, bg) >= TEXT_AA, (name, item.text(2))
                assert (bg.lightnessF() < 0.5) == (base.lightnessF() < 0.5) or "crashed" in item.text(2)
        save_shot(window, f"contrast_lab_{name}")


SOURCE = '''@decorator
def hot(values):
    """Sum of squares."""
    total = 0  # a comment
    for v in values:
        total += v * v + 1.5
    return total
'''


@pytest.mark.parametrize(("dark", "presentation"), THEMES, ids=THEME_IDS)
def test_highlighted_code_stays_readable_on_the_hottest_line(qtbot, dark, presentation):
    """Defect: on the hottest line's orange, light-theme comments were 3.0:1 and strings 3.4:1;
    dark-theme comments 2.9:1 and the gutter's percentage 3.1:1 on its bar."""
    theme.apply(theme.DARK if dark else theme.LIGHT, presentation)
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(SOURCE)
    editor.set_presentation(presentation)
    lines = len(SOURCE.splitlines())
    editor.set_heat(dict.fromkeys(range(1, lines + 1), 1.0), dict.fromkeys(range(1, lines + 1), "100%"))
    base = editor.palette().color(QPalette.ColorRole.Base)
    selection = editor.extraSelections()[0]  # kept: its format dies with it
    hot = QColor(selection.format.background().color())
    assert hot.alpha() < 255  # translucent over the base: judge what is seen
    seen = _over(hot, base)
    colours = {editor.palette().color(QPalette.ColorRole.Text).name()}
    block = editor.document().begin()
    while block.isValid():
        colours |= {r.format.foreground().color().name() for r in block.layout().formats()}
        block = block.next()
    assert len(colours) >= 6  # keyword, definition, number, decorator, string, comment and plain text
    low = {c: round(_qcontrast(QColor(c), seen), 2) for c in colours if _qcontrast(QColor(c), seen) < TEXT_AA}
    assert not low, (seen.name(), low)
    # The gutter's percentage, drawn in the text colour over its heat bar.
    bar = _over(
        qcolour(editor.heat_colour, HEAT_GUTTER_ALPHA), editor.palette().color(QPalette.ColorRole.AlternateBase)
    )
    assert _qcontrast(editor.palette().color(QPalette.ColorRole.Text), bar) >= TEXT_AA, bar.name()


def _over(top: QColor, under: QColor) -> QColor:
    a = top.alpha() / 255
    return QColor(*(round(t * a + u * (1 - a)) for t, u in zip(top.getRgb()[:3], under.getRgb()[:3], strict=True)))


def test_telemetry_curve_names_are_readable_in_both_themes(qtbot, window):
    """Defect: the titles named the second curve in #ff7f0e, 2.5:1 on the white chart (the first, #1f77b4,
    3.5:1 on the dark one)."""
    telemetry = window.lab.telemetry
    for name in (theme.LIGHT, theme.DARK):
        theme.set_theme(window, name)
        settle(qtbot)
        background = telemetry.graphics.backgroundBrush().color()
        named = 0
        for plot in telemetry.plots:
            for colour in re.findall(r"color:\s*(#[0-9a-fA-F]{6})", plot.titleLabel.text):
                named += 1
                assert _qcontrast(QColor(colour), background) >= TEXT_AA, (name, colour, background.name())
            for item in plot.listDataItems():
                assert _qcontrast(item.opts["pen"].color(), background) >= LARGE_AA, (name, item.name())
        assert named >= 4  # the two-curve plots name both curves


def _strongest_text_contrast(widget) -> float:
    """The contrast of the pixel farthest from the background in ``widget`` as drawn (its text's core)."""
    image = widget.grab().toImage()
    pixels = [QColor(image.pixel(x, y)).name() for y in range(image.height()) for x in range(image.width())]
    background = max(set(pixels), key=pixels.count)
    return max(contrast(p, background) for p in set(pixels))


def test_the_lab_compiler_pane_placeholder_is_readable(qtbot, window):
    """Defect: the pane's style sheet coloured its text red, and Qt drew the placeholder in that red
    half transparent: 2.4:1 on white as drawn."""
    errors = window.lab.source.errors
    window.tabs.setCurrentWidget(window.lab)
    for name in (theme.LIGHT, theme.DARK):
        theme.set_theme(window, name)
        settle(qtbot)
        errors.setPlainText("")
        assert errors.placeholderText()
        assert _strongest_text_contrast(errors.viewport()) >= TEXT_AA, name
        errors.setPlainText("line 3: error: expected a ';'")
        settle(qtbot)
        assert _strongest_text_contrast(errors.viewport()) >= TEXT_AA, name


def test_the_failed_run_banner_follows_a_theme_switch(qtbot, window, tmp_path):
    """Defect: the banner kept the colour of the theme it was written in: the light theme's red on
    the dark window, 2.6:1."""
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n    pass\n", encoding="utf-8")
    assert not run_script(qtbot, window, broken).ok
    banner = window.stale_banner
    for name in (theme.DARK, theme.LIGHT):
        theme.set_theme(window, name)
        settle(qtbot)
        assert banner.isVisibleTo(window) and "left no profile" in banner.text()
        assert _strongest_text_contrast(banner) >= TEXT_AA, name
