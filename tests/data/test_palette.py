"""Palettes: Cityscapes' published colours, distinct generated colours elsewhere, ignore drawn white."""

from __future__ import annotations

import numpy as np

from pipeline.data import IGNORE_COLOR, colorize, generated_palette, overlay, palette_for, thumbnail
from pipeline.data._palette import CITYSCAPES_PALETTE


def test_cityscapes_uses_its_published_colours() -> None:
    assert palette_for("cityscapes", 19) == CITYSCAPES_PALETTE
    assert palette_for("cityscapes", 19)[0] == (128, 64, 128)  # road
    assert palette_for("cityscapes", 5) == generated_palette(5)  # another class count: not the benchmark's ids


def test_generated_colours_are_distinct_for_large_class_counts() -> None:
    colors = generated_palette(171)
    assert len(set(colors)) == 171 and colors[:3] == ((0, 0, 0), (128, 0, 0), (0, 128, 0))


def test_colorize_maps_classes_and_draws_ignore_white() -> None:
    palette = generated_palette(3)
    mask = np.array([[0, 1, 2], [255, -1, 3]])
    colors = colorize(mask, palette)
    assert colors.dtype == np.uint8 and colors.shape == (2, 3, 3)
    assert [tuple(c) for c in colors[0]] == list(palette)
    assert all(tuple(c) == IGNORE_COLOR for c in colors[1])


def test_overlay_blends_and_thumbnail_keeps_the_long_side_limit() -> None:
    image = np.zeros((10, 20, 3), dtype=np.uint8)
    mask = np.full((10, 20, 3), 200, dtype=np.uint8)
    assert overlay(image, mask)[0, 0, 0] == 100
    small = thumbnail(np.zeros((300, 150), dtype=np.uint8), 128, nearest=True)
    assert small.shape == (128, 64)
