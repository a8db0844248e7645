"""Painting one synthetic scene: ground, textured shapes, the cue frame, the twins and smudges.

The rules are listed in the `pipeline.data.synth` package docstring; this module implements them
in that order, with every random choice drawn from the generator it is given.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from pipeline.data._io import FILE_IGNORE_VALUE
from pipeline.data.synth._appearance import (
    COOL_HUE,
    FIRST_SHAPE_CLASS,
    FRAME,
    TWIN_COOL,
    TWIN_WARM,
    WARM_HUE,
    ClassLook,
    hsv_rgb,
    paint_texture,
)

GEOMETRIES = ("circle", "ellipse", "rectangle", "triangle")
BOUNDARY_IGNORE_PROB = 0.3  # share of shapes whose one-pixel outline is labelled ignore


def frame_width(height: int, width: int) -> int:
    return max(2, min(height, width) // 32)


def twin_margin(height: int, width: int) -> int:
    """Smallest distance between a twin shape and the frame: what a model must see across."""
    return max(8, min(height, width) // 5)


def shape_mask(geometry: str, ys: np.ndarray, xs: np.ndarray, radius: float, aspect: float, angle: float) -> np.ndarray:
    """Pixels (offsets from the centre) inside a shape of size `radius`, turned by `angle`."""
    u = xs * np.cos(angle) + ys * np.sin(angle)
    v = -xs * np.sin(angle) + ys * np.cos(angle)
    if geometry == "circle":
        return u * u + v * v < radius * radius
    if geometry == "ellipse":
        return (u / radius) ** 2 + (v / (radius * aspect)) ** 2 < 1.0
    if geometry == "rectangle":
        return (np.abs(u) < radius) & (np.abs(v) < radius * aspect)
    if geometry == "triangle":
        inside = np.ones(u.shape, dtype=bool)
        for k in range(3):
            theta = 2 * np.pi * k / 3
            inside &= u * np.cos(theta) + v * np.sin(theta) < radius / 2
        return inside
    raise ValueError(f"unknown geometry {geometry!r}")


def _outline(mask: np.ndarray) -> np.ndarray:
    """The pixels of `mask` with a 4-neighbour outside it (edge padding: the image border is no outline)."""
    p = np.pad(mask, 1, mode="edge")
    interior = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return mask & ~interior


def _paint_shape(
    image: np.ndarray,
    label: np.ndarray,
    look: ClassLook,
    class_index: int,
    centre: tuple[float, float],
    radius: float,
    rng: np.random.Generator,
) -> None:
    height, width = label.shape
    reach = int(np.ceil(1.5 * radius)) + 1  # covers the corners of a rectangle of any aspect
    cy, cx = centre
    top, bottom = max(0, int(cy) - reach), min(height, int(cy) + reach + 1)
    left, right = max(0, int(cx) - reach), min(width, int(cx) + reach + 1)
    if top >= bottom or left >= right:
        return
    ys, xs = np.mgrid[top:bottom, left:right].astype(np.float32)
    geometry = GEOMETRIES[int(rng.integers(len(GEOMETRIES)))]
    mask = shape_mask(geometry, ys - cy, xs - cx, radius, rng.uniform(0.45, 1.0), rng.uniform(0.0, np.pi))
    texture = paint_texture(look, ys, xs, rng, scale=rng.uniform(0.75, 2.0))
    window = (slice(top, bottom), slice(left, right))
    image[window][mask] = texture[mask]
    label[window][mask] = class_index
    if rng.random() < BOUNDARY_IGNORE_PROB:
        label[window][_outline(mask)] = FILE_IGNORE_VALUE


def _ground(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth, desaturated colour field with pixel noise: carries no information about any class."""
    coarse = rng.integers(0, 256, size=(int(rng.integers(3, 7)), int(rng.integers(3, 7)), 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    grey = smooth.mean(axis=2, keepdims=True)
    field = 100.0 + 0.35 * (grey + 0.3 * (smooth - grey))
    return field + rng.normal(0.0, 8.0, size=field.shape).astype(np.float32)


def paint_scene(
    height: int,
    width: int,
    looks: tuple[ClassLook, ...],
    rng: np.random.Generator,
    warm: bool,
    must_include: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One (image uint8 (H, W, 3), mask uint8 (H, W)) scene; `warm` is the frame cue of this scene."""
    side = min(height, width)
    image = _ground(height, width, rng)
    label = np.zeros((height, width), dtype=np.uint8)  # ground

    # Textured shapes at sizes spread over a decade, anywhere (even cut by the image border).
    shape_classes = np.arange(FIRST_SHAPE_CLASS, len(looks))
    classes = [must_include, *rng.choice(shape_classes, size=int(rng.integers(2, 7)))]
    for c in rng.permutation(np.asarray(classes)):
        radius = float(np.exp(rng.uniform(np.log(side / 40), np.log(side / 4))))
        centre = (rng.uniform(0, height), rng.uniform(0, width))
        _paint_shape(image, label, looks[int(c)], int(c), centre, radius, rng)

    # The cue: a frame whose hue is warm or cool; one class regardless of hue.
    fw = frame_width(height, width)
    hue = (WARM_HUE if warm else COOL_HUE) + rng.uniform(-0.03, 0.03)
    band = np.zeros((height, width), dtype=bool)
    band[:fw], band[-fw:], band[:, :fw], band[:, -fw:] = True, True, True, True
    colour = hsv_rgb(hue, 0.8, rng.uniform(0.7, 0.9))
    image[band] = colour + rng.normal(0.0, 6.0, size=(int(band.sum()), 3)).astype(np.float32)
    label[band] = FRAME

    # Twins: identical look for both classes, kept `margin` pixels away from the frame.
    twin = TWIN_WARM if warm else TWIN_COOL
    margin = fw + twin_margin(height, width)
    for _ in range(int(rng.integers(1, 3))):
        radius = rng.uniform(side / 16, side / 6)
        reach = 1.5 * radius
        lo_y, hi_y = margin + reach, height - margin - reach
        lo_x, hi_x = margin + reach, width - margin - reach
        centre = (rng.uniform(lo_y, max(lo_y, hi_y)), rng.uniform(lo_x, max(lo_x, hi_x)))
        _paint_shape(image, label, looks[twin], twin, centre, radius, rng)

    # Smudges: small noise blots with no class, the ignore pixels a real annotator would leave.
    ys, xs = np.mgrid[0:height, 0:width]
    for _ in range(int(rng.integers(0, 3))):
        r = rng.uniform(side / 64, side / 24)
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        blot = (ys - cy) ** 2 + (xs - cx) ** 2 < max(r, 1.5) ** 2
        image[blot] = rng.uniform(0, 255, size=(int(blot.sum()), 3)).astype(np.float32)
        label[blot] = FILE_IGNORE_VALUE

    return np.clip(np.round(image), 0, 255).astype(np.uint8), label
