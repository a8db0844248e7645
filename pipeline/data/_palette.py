"""Class colours for drawing masks: a dataset's published palette, or a generated one.

Cityscapes publishes one colour per train id in its label definitions; those are used as they
are, so a drawn prediction reads like the benchmark's own colour images. Every other dataset
gets a generated palette: the bits of the class index spread over the high bits of R, G and B
(the scheme PASCAL VOC's colour maps use), which keeps neighbouring indices far apart in colour
and is the same for any class count. Ignored pixels are drawn white.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

Color = tuple[int, int, int]

IGNORE_COLOR: Color = (255, 255, 255)

# Cityscapes train ids 0..18 (road .. bicycle), from the Cityscapes label definitions.
CITYSCAPES_PALETTE: tuple[Color, ...] = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
    (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
    (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70),
    (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32),
)

PUBLISHED_PALETTES: dict[str, tuple[Color, ...]] = {"cityscapes": CITYSCAPES_PALETTE}


def generated_palette(num_classes: int) -> tuple[Color, ...]:
    """One colour per class index: bit k of the index sets bit (7 - k // 3) of channel k % 3."""
    colors = []
    for index in range(num_classes):
        rgb = [0, 0, 0]
        value, shift = index, 7
        while value:
            for channel in range(3):
                rgb[channel] |= ((value >> channel) & 1) << shift
            value >>= 3
            shift -= 1
        colors.append((rgb[0], rgb[1], rgb[2]))
    return tuple(colors)


def palette_for(layout: str, num_classes: int) -> tuple[Color, ...]:
    """The published palette of `layout` when it has one for this class count, else a generated one."""
    published = PUBLISHED_PALETTES.get(layout)
    if published is not None and len(published) == num_classes:
        return published
    return generated_palette(num_classes)


def colorize(mask: np.ndarray, palette: tuple[Color, ...] | list[list[int]]) -> np.ndarray:
    """(H, W) class indices → (H, W, 3) uint8; indices outside the palette (ignore) are white."""
    colors = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    table = np.concatenate([colors, np.asarray([IGNORE_COLOR], dtype=np.uint8)])
    index = np.asarray(mask, dtype=np.int64)
    index = np.where((index >= 0) & (index < len(colors)), index, len(colors))
    return table[index]


def overlay(image: np.ndarray, mask_rgb: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The colourised mask blended over the image: (1 - alpha) · image + alpha · colours."""
    if image.shape != mask_rgb.shape:
        raise ValueError(f"overlay: image {image.shape} and mask {mask_rgb.shape} differ in size")
    blended = (1.0 - alpha) * image.astype(np.float32) + alpha * mask_rgb.astype(np.float32)
    return np.clip(np.round(blended), 0, 255).astype(np.uint8)


def thumbnail(array: np.ndarray, max_side: int, nearest: bool) -> np.ndarray:
    """Scaled down so the long side is at most `max_side`; masks use nearest, images bilinear."""
    height, width = array.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale == 1.0:
        return array
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(array).resize(size, resample))
