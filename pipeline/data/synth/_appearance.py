"""What each synthetic class looks like: its name, texture kind, colour and period.

Appearance is a fixed function of the class index, never of the dataset seed, so train and val
(and datasets written with different seeds) agree on what a class looks like.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

GROUND, FRAME, TWIN_WARM, TWIN_COOL = 0, 1, 2, 3
FIRST_SHAPE_CLASS = 4
MIN_CLASSES = 8  # ground, frame, two twins and at least four locally distinct shape classes
MAX_CLASSES = 32  # beyond this the hue spacing gets too fine to tell shape classes apart

SHAPE_TEXTURES = ("stripes", "checker", "dots", "waves")
TWIN_TEXTURE = "crosshatch"  # used by no shape class, so the twins only have to be told from each other

# Frame hues of the two cue values; the twins' identity follows them.
WARM_HUE, COOL_HUE = 0.03, 0.62


@dataclass(frozen=True)
class ClassLook:
    name: str
    texture: str
    hue: float  # 0..1
    saturation: float
    period: float  # texture period in pixels before the per-instance scale
    angle: float  # texture orientation in radians


def class_looks(num_classes: int) -> tuple[ClassLook, ...]:
    """The appearance of every class of a `num_classes` synthetic dataset, in index order."""
    twin = ClassLook("twin", TWIN_TEXTURE, hue=0.30, saturation=0.25, period=8.0, angle=np.pi / 4)
    looks = [
        ClassLook("ground", "noise", hue=0.08, saturation=0.15, period=0.0, angle=0.0),
        ClassLook("frame", "solid", hue=WARM_HUE, saturation=0.8, period=0.0, angle=0.0),
        ClassLook("twin_warm", twin.texture, twin.hue, twin.saturation, twin.period, twin.angle),
        ClassLook("twin_cool", twin.texture, twin.hue, twin.saturation, twin.period, twin.angle),
    ]
    for c in range(FIRST_SHAPE_CLASS, num_classes):
        k = c - FIRST_SHAPE_CLASS
        texture = SHAPE_TEXTURES[k % len(SHAPE_TEXTURES)]
        looks.append(
            ClassLook(
                name=f"{texture}_{k // len(SHAPE_TEXTURES)}",
                texture=texture,
                hue=(0.13 + 0.618034 * k) % 1.0,  # golden-ratio steps spread hues evenly for any count
                saturation=0.75,
                period=6.0 + 2.0 * (k % 3),
                angle=(0.35 * k) % np.pi,
            )
        )
    return tuple(looks)


def hsv_rgb(hue: float, saturation: float, value: float) -> np.ndarray:
    return np.asarray(colorsys.hsv_to_rgb(hue % 1.0, saturation, value), dtype=np.float32) * 255.0


def texture_field(
    texture: str, ys: np.ndarray, xs: np.ndarray, period: float, angle: float, phase: float
) -> np.ndarray:
    """Texture intensity in [0, 1] at pixel coordinates (ys, xs); `phase` shifts it by a fraction of a period."""
    u = xs * np.cos(angle) + ys * np.sin(angle) + phase * period
    v = -xs * np.sin(angle) + ys * np.cos(angle) + phase * period
    half = period / 2.0
    if texture == "stripes":
        return (np.floor(u / half) % 2).astype(np.float32)
    if texture == "checker":
        return ((np.floor(u / half) + np.floor(v / half)) % 2).astype(np.float32)
    if texture == "dots":
        du, dv = (u % period) - half, (v % period) - half
        return (du * du + dv * dv < (period / 3.2) ** 2).astype(np.float32)
    if texture == "waves":
        return (0.5 + 0.5 * np.sin(2 * np.pi * u / period) * np.cos(2 * np.pi * v / period)).astype(np.float32)
    if texture == TWIN_TEXTURE:
        return (((u % period) < period / 4) | ((v % period) < period / 4)).astype(np.float32)
    raise ValueError(f"unknown texture {texture!r}")


def paint_texture(
    look: ClassLook,
    ys: np.ndarray,
    xs: np.ndarray,
    rng: np.random.Generator,
    scale: float,
) -> np.ndarray:
    """RGB float32 (..., 3) of one instance of `look`: two tones of the class hue, per-pixel noise."""
    t = texture_field(look.texture, ys, xs, look.period * scale, look.angle + rng.uniform(-0.15, 0.15), rng.random())
    brightness = rng.uniform(0.85, 1.0)
    light = hsv_rgb(look.hue, look.saturation, 0.95 * brightness)
    dark = hsv_rgb(look.hue, look.saturation, 0.40 * brightness)
    rgb = dark + t[..., None] * (light - dark)
    return rgb + rng.normal(0.0, 6.0, size=rgb.shape).astype(np.float32)
