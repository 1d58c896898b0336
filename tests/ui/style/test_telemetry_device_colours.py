"""The telemetry plots' GPU colours read on every plot background and stay apart for colour-blind viewers."""

from __future__ import annotations

import itertools

import pytest
from colour_vision import CVD, delta_e

from gpuprof_gui.ui.style.palette import (
    DARK_UI,
    DEVICE_COLOURS,
    LIGHT_UI,
    PRESENTATION_DARK_UI,
    PRESENTATION_LIGHT_UI,
    contrast_ratio,
    device_colour,
)

GRAPHICS_AA = 3.0
"""WCAG 2.1 (1.4.11): lines and other graphics need 3:1 against what is next to them."""
MIN_DEVICE_DELTA_E = 13.0
"""The closest pair of each set, in the worst of normal, deuteranopic and protanopic vision (13.1 and 14.2)."""


@pytest.mark.parametrize("ui", [LIGHT_UI, DARK_UI, PRESENTATION_LIGHT_UI, PRESENTATION_DARK_UI], ids=lambda c: c.name)
def test_every_gpu_colour_reads_on_the_plot_background(ui):
    colours = [device_colour(ui, i) for i in range(8)]
    assert len(set(colours)) == 8
    for colour in colours:
        assert contrast_ratio(colour, ui.plot_background) >= GRAPHICS_AA, (ui.name, colour)


@pytest.mark.parametrize("dark", [False, True])
def test_gpu_colours_stay_apart_for_colour_blind_viewers(dark):
    for vision in CVD:
        closest = min(delta_e(a, b, vision) for a, b in itertools.combinations(DEVICE_COLOURS[dark], 2))
        assert closest >= MIN_DEVICE_DELTA_E, (dark, vision, round(closest, 1))


def test_the_first_two_gpus_have_the_single_gpu_curves_blue_and_orange():
    for ui in (LIGHT_UI, DARK_UI):
        assert (device_colour(ui, 0), device_colour(ui, 1)) == ui.series[:2]
    assert device_colour(LIGHT_UI, 8) == device_colour(LIGHT_UI, 0)  # a ninth GPU repeats the first colour
