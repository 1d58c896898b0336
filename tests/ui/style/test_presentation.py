"""Presentation mode and the light and dark themes: screenshots of a real profile, text sizes,
contrast of every text colour, and colour-blind safety of the presentation palette.

Screenshots go to $GPUPROF_TEST_SHOTS (default /tmp) and the test's own folder; with
GPUPROF_UPDATE_DOCS=1 they are also copied to docs/ (CI leaves the tree alone).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from colour_vision import CVD, delta_e
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget
from window_support import EXAMPLE_SCALE, SHOTS_DIR, run_script, settle

from gpuprof_gui.core.flame import N_COLOUR_BUCKETS
from gpuprof_gui.ui.style import theme
from gpuprof_gui.ui.style.palette import (
    COLOUR_BLIND_SAFE,
    DARK,
    DARK_UI,
    LIGHT,
    LIGHT_UI,
    PRESENTATION,
    PRESENTATION_DARK,
    PRESENTATION_DARK_UI,
    PRESENTATION_LIGHT_UI,
    WCAG_AA_TEXT,
    contrast_ratio,
    current_palette,
    label_colour_on,
)

pytestmark = pytest.mark.timeout(300)

REPO_ROOT = Path(__file__).resolve().parents[3]
UPDATE_DOCS_ENV = "GPUPROF_UPDATE_DOCS"
DOC_SHOTS = {
    "light": "screenshot-theme-light.png",
    "dark": "screenshot-theme-dark.png",
    "presentation": "screenshot-presentation.png",
    "presentation-dark": "screenshot-presentation-dark.png",
}
SHOT_SIZE = (1600, 1000)
MIN_PRESENTATION_PT = 18.0  # the floor
LIGHT_MEAN_LUMINANCE = 0.6
"""A light window is mostly white panels and table: measured ~0.8 (the flame graph pulls it down)."""
DARK_MEAN_LUMINANCE = 0.25
"""A dark window: measured ~0.1, the warm flame frames being the brightest part."""
MIN_CVD_DELTA_E = 19.0
"""palette.COLOUR_BLIND_SAFE's documented closest pair (CIELAB ΔE76) under any simulated vision."""


@pytest.fixture(autouse=True)
def normal_look():
    """The app palette and font are application-wide: give the next test the default back."""
    yield
    theme.apply(theme.SYSTEM, False)


def test_delta_e_tells_red_from_green_only_with_normal_vision():
    """The simulation itself: a red/green pair that deuteranopes confuse."""
    assert delta_e("#d62728", "#2ca02c", "normal") > 80
    assert delta_e("#d62728", "#2ca02c", "deuteranopia") < 0.4 * delta_e("#d62728", "#2ca02c", "normal")


def test_presentation_fills_stay_apart_for_colour_blind_viewers():
    assert len(COLOUR_BLIND_SAFE) == N_COLOUR_BUCKETS == len(set(COLOUR_BLIND_SAFE))
    for pal in (PRESENTATION, PRESENTATION_DARK):
        assert pal.frames == COLOUR_BLIND_SAFE
        for vision in CVD:
            closest = min(delta_e(a, b, vision) for a, b in itertools.combinations(pal.frames, 2))
            assert closest >= MIN_CVD_DELTA_E, (pal.name, vision, closest)
            # The background (frame gaps) and the search-dimmed fill stand apart from every fill.
            assert min(delta_e(c, pal.background, vision) for c in pal.frames) >= 20
            assert min(delta_e(c, pal.dimmed, vision) for c in pal.frames) >= 10
    # The desk palette's warm tones are not colour-blind safe: the test can tell the difference.
    warm = min(delta_e(a, b, "deuteranopia") for a, b in itertools.combinations(LIGHT.frames, 2))
    assert warm < MIN_CVD_DELTA_E


@pytest.mark.parametrize("pal", [LIGHT, DARK, PRESENTATION, PRESENTATION_DARK], ids=lambda p: p.name)
def test_flame_labels_are_readable_on_every_fill(pal):
    """WCAG AA for the label colour the canvas picks per frame (and on search-dimmed frames)."""
    for fill in pal.frames:
        ratio = contrast_ratio(fill, label_colour_on(fill, pal))
        assert ratio >= WCAG_AA_TEXT, (pal.name, fill, round(ratio, 2))
    assert contrast_ratio(pal.dimmed, pal.text) >= WCAG_AA_TEXT
    assert contrast_ratio(pal.background, pal.text) >= WCAG_AA_TEXT


def test_contrast_ratio_is_wcags():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WCAG's known grey


@pytest.mark.parametrize("ui", [LIGHT_UI, DARK_UI, PRESENTATION_LIGHT_UI, PRESENTATION_DARK_UI], ids=lambda c: c.name)
def test_every_theme_text_colour_meets_wcag_aa(ui):
    pairs = {
        "text": (ui.text, ui.base),
        "window text": (ui.window_text, ui.window),
        "muted": (ui.muted, ui.base),
        "error on base": (ui.error, ui.base),
        "error on window": (ui.error, ui.window),
        "note": (ui.note, ui.base),
        "link": (ui.link, ui.base),
        "selection": (ui.highlighted_text, ui.highlight),
        "plot": (ui.plot_foreground, ui.plot_background),
        "band label": (ui.band, ui.plot_background),
    }
    pairs.update({f"syntax {i}": (c, ui.base) for i, c in enumerate(ui.syntax)})
    low = {k: round(contrast_ratio(*v), 2) for k, v in pairs.items() if contrast_ratio(*v) < WCAG_AA_TEXT}
    assert not low, (ui.name, low)
    assert ui.dark == (QColor(ui.base).lightnessF() < 0.5)


# -- the window ----------------------------------------------------------------------------------------------
def _mean_luminance(image: QImage, step: int = 8) -> float:
    values = [
        QColor(image.pixel(x, y)).lightnessF()
        for y in range(0, image.height(), step)
        for x in range(0, image.width(), step)
    ]
    return float(np.mean(values))


def _text_of(w: QWidget) -> str:
    for name in ("text", "toPlainText", "placeholderText"):
        get = getattr(w, name, None)
        if callable(get):
            try:
                return str(get())[:30]
            except TypeError:
                continue
    return ""


def _pt(size: str) -> float:
    """'20pt' -> 20.0 (pyqtgraph's title and legend sizes)."""
    return float(str(size).removesuffix("pt"))


def small_texts(root: QWidget) -> list[str]:
    """Every visible text under ``root`` smaller than the presentation floor, described."""
    out = []

    def check(what: str, pt: float) -> None:
        if pt < MIN_PRESENTATION_PT:
            out.append(f"{what}: {pt:g} pt")

    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible():
            continue
        check(f"{type(w).__name__} {w.objectName()!r} {_text_of(w)!r}", w.font().pointSizeF())
        if isinstance(w, QAbstractItemView) and w.model() is not None:  # item fonts set by the model
            model = w.model()
            for row in range(min(model.rowCount(), 20)):
                for col in range(model.columnCount()):
                    font = model.index(row, col).data(0x6)  # Qt.FontRole
                    if font is not None:
                        check(f"{type(w).__name__} item ({row}, {col})", font.pointSizeF())
        if isinstance(w, pg.GraphicsView):
            for item in w.scene().items():
                if not item.isVisible():
                    continue
                if isinstance(item, pg.AxisItem):
                    font = item.style["tickFont"] or w.scene().font()
                    check(f"axis ticks in {type(w).__name__}", font.pointSizeF())
                    if item.label.isVisible():  # html from setLabel(..., font-size=...) wins over the item's font
                        size = item.labelStyle.get("font-size")
                        check("axis label", _pt(size) if size else item.label.font().pointSizeF())
                elif isinstance(item, pg.LabelItem) and item.text:
                    check(f"title/legend {item.text[:30]!r}", _pt(item.opts.get("size") or "0pt"))
                elif isinstance(item, pg.TextItem):
                    check(f"text item {item.toPlainText()[:30]!r}", item.textItem.font().pointSizeF())
    return out


def window_texts_too_small(win) -> list[str]:
    out = small_texts(win)
    out += [
        f"menu {a.text()}: {a.menu().font().pointSizeF():g} pt"
        for a in win.menuBar().actions()
        if a.menu() is not None and a.menu().font().pointSizeF() < MIN_PRESENTATION_PT
    ]
    if win.flame.canvas._label_font.pointSizeF() < MIN_PRESENTATION_PT:
        out.append(f"flame labels: {win.flame.canvas._label_font.pointSizeF():g} pt")
    return out


def _profile_example(qtbot, win, examples_dir) -> None:
    win.resize(*SHOT_SIZE)
    outcome = run_script(qtbot, win, examples_dir / "hotspots_demo.py", ["--scale", EXAMPLE_SCALE], wait_profile=True)
    assert outcome.status == "finished", outcome.message
    settle(qtbot)


def _shoot(qtbot, win, name: str, folder: Path) -> QImage:
    settle(qtbot, 300)
    QApplication.processEvents()
    image = win.grab().toImage()
    path = folder / f"theme_{name}.png"
    assert image.save(str(path))
    shutil.copyfile(path, SHOTS_DIR / f"win_theme_{name}.png")
    if os.environ.get(UPDATE_DOCS_ENV) == "1":
        shutil.copyfile(path, REPO_ROOT / "docs" / DOC_SHOTS[name])
    return image


def test_screenshots_in_both_themes_and_presentation_mode(qtbot, window, examples_dir, tmp_path):
    _profile_example(qtbot, window, examples_dir)
    assert window.theme_name == theme.SYSTEM  # offscreen reports no desktop scheme: light
    light = _shoot(qtbot, window, "light", tmp_path)
    assert window.flame.canvas.last_paint_stats["labels"] > 0  # a real flame graph is on show

    window.actions_by_id["theme_dark"].trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5
    dark = _shoot(qtbot, window, "dark", tmp_path)

    window.actions_by_id["theme_light"].trigger()
    window.actions_by_id["presentation"].trigger()
    presentation = _shoot(qtbot, window, "presentation", tmp_path)
    assert not window_texts_too_small(window), window_texts_too_small(window)

    window.actions_by_id["toggle_theme"].trigger()  # presentation stays on, now white on black
    assert window.theme_name == theme.DARK
    presentation_dark = _shoot(qtbot, window, "presentation-dark", tmp_path)
    assert not window_texts_too_small(window), window_texts_too_small(window)

    lum = {
        name: _mean_luminance(img)
        for name, img in (
            ("light", light),
            ("dark", dark),
            ("presentation", presentation),
            ("presentation-dark", presentation_dark),
        )
    }
    assert lum["light"] > LIGHT_MEAN_LUMINANCE and lum["presentation"] > LIGHT_MEAN_LUMINANCE, lum
    assert lum["dark"] < DARK_MEAN_LUMINANCE and lum["presentation-dark"] < DARK_MEAN_LUMINANCE, lum
    # The flame graph region is light or dark with the window, not a fixed white box.
    canvas = window.flame.canvas
    top_left = canvas.mapTo(window, canvas.rect().bottomRight()) - canvas.rect().bottomRight()
    # The canvas's last row: the deepest frames never fill it all, so some of it is background.
    bottom = top_left.y() + canvas.height() - 3
    darkest = min(
        QColor(presentation_dark.pixel(x, bottom)).lightnessF()
        for x in range(top_left.x() + 2, top_left.x() + canvas.width() - 2, 4)
    )
    assert darkest < 0.2


def test_presentation_mode_makes_every_visible_text_large(qtbot, window, examples_dir):
    _profile_example(qtbot, window, examples_dir)
    normal_rows = window.flame.canvas.row_height_px
    normal_row = window.table.rowHeight(0)
    assert window_texts_too_small(window)  # the check finds the normal window's small text
    window.actions_by_id["presentation"].trigger()
    settle(qtbot)
    assert not window_texts_too_small(window), window_texts_too_small(window)
    assert window.flame.canvas.row_height_px > normal_rows
    assert window.table.rowHeight(0) >= window.table.fontMetrics().height() + theme.ROW_PAD_PX > normal_row
    assert window.flame.canvas.palette_in_use is PRESENTATION
    for index in range(1, window.tabs.count()):  # the kernel lab, the advisor, the comparison
        window.tabs.setCurrentIndex(index)
        settle(qtbot)
        assert not small_texts(window.tabs.currentWidget()), (
            window.tabs.tabText(index),
            small_texts(window.tabs.currentWidget()),
        )
    telemetry = window.lab.telemetry
    assert telemetry.pen_width >= 2 and telemetry.plots[0].getAxis("left").pen().widthF() >= 2
    window.actions_by_id["presentation"].trigger()
    settle(qtbot)
    assert window.flame.canvas.row_height_px == normal_rows
    assert QApplication.font().pointSizeF() < MIN_PRESENTATION_PT
    assert telemetry.pen_width == 1


def test_theme_switch_restyles_the_views_live(qtbot, window):
    window.console.append_stderr(b"an error line\n")
    window.console.flush()
    assert current_palette() is LIGHT and window.flame.canvas.palette_in_use is LIGHT
    window.actions_by_id["toggle_theme"].trigger()
    assert window.theme_name == theme.DARK
    assert [window.actions_by_id[k].isChecked() for k in ("theme_system", "theme_light", "theme_dark")] == [
        False,
        False,
        True,
    ]
    assert window.flame.canvas.palette_in_use is DARK
    assert window.console.palette().color(QPalette.ColorRole.Base).lightnessF() < 0.2
    fmt = window.console.document().firstBlock().begin().fragment().charFormat()
    assert fmt.foreground().color().name() == DARK_UI.error  # text already shown takes the new colour
    assert window.lab.telemetry.graphics.backgroundBrush().color().name() == DARK_UI.plot_background
    assert window.lab.times_chart.backgroundBrush().color().name() == DARK_UI.plot_background
    assert window.source.editor.heat_colour == DARK_UI.heat
    window.actions_by_id["toggle_theme"].trigger()
    assert window.theme_name == theme.LIGHT and window.flame.canvas.palette_in_use is LIGHT


def test_system_theme_follows_the_desktop(qtbot, window, monkeypatch):
    assert theme.is_dark(theme.SYSTEM) is False  # offscreen: the scheme is Unknown, which counts as light
    monkeypatch.setattr(theme, "desktop_is_dark", lambda: True)
    window.theme_follower.on_scheme_changed(None)  # what Qt calls when the desktop switches
    assert window.flame.canvas.palette_in_use is DARK
    window.actions_by_id["theme_light"].trigger()  # an explicit choice no longer follows
    window.theme_follower.on_scheme_changed(None)
    assert window.flame.canvas.palette_in_use is LIGHT


def test_advisor_stays_a_light_page_in_the_dark_theme(qtbot, window):
    """Its charts, banners and formula colours are drawn for a light page: it keeps one, readable,
    in the dark theme and in presentation mode (whose style sheet once hid its children's text)."""
    assert window.open_advice_session(str(REPO_ROOT / "tests" / "data" / "advisor" / "session_heat_h100.json"))
    window.tabs.setCurrentWidget(window.advisor)
    window.actions_by_id["theme_dark"].trigger()
    for presentation in (False, True):
        window.actions_by_id["presentation"].setChecked(presentation)
        settle(qtbot)
        card = window.advisor.teaching.cards[0]
        for label in (window.advisor.headline, card.title, card.body):
            pal = label.palette()
            text = pal.color(QPalette.ColorRole.WindowText).name()
            page = pal.color(QPalette.ColorRole.Window).name()
            assert contrast_ratio(text, page) >= WCAG_AA_TEXT, (presentation, label.text()[:30], text, page)
            assert QColor(page).lightnessF() > 0.8
