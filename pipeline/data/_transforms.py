"""Augmentations on (image uint8 (H, W, 3), label int64 (H, W)) pairs.

Every random choice comes from an explicit `numpy.random.Generator`, so a pair, a generator seed
and the arguments fully determine the result (no global RNG state, nothing that differs between
DataLoader workers). Geometric ops move image and label together; the label is only ever resized
with nearest neighbour so no new class values appear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import torch

# ImageNet statistics in 0..255 pixel units: every encoder of the zoo is ImageNet-style.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
# The mean rounded to pixel values: padding with it normalises to about zero.
IMAGENET_MEAN_PIXEL = (124, 116, 104)

PAD_MODES = ("zero", "mean")

Pair = tuple[np.ndarray, np.ndarray]


def resize_pair(image: np.ndarray, label: np.ndarray, size: tuple[int, int]) -> Pair:
    """Resize to (H, W): bilinear for the image, nearest for the label."""
    height, width = size
    if (height, width) == image.shape[:2]:
        return image, label
    resized = np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))
    rows = np.minimum(((np.arange(height) + 0.5) * label.shape[0] / height).astype(np.int64), label.shape[0] - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * label.shape[1] / width).astype(np.int64), label.shape[1] - 1)
    return resized, label[rows[:, None], cols[None, :]]


def random_resize(
    image: np.ndarray, label: np.ndarray, rng: np.random.Generator, ratio_range: tuple[float, float]
) -> Pair:
    """Scale both sides by one ratio drawn uniformly from `ratio_range`."""
    ratio = rng.uniform(ratio_range[0], ratio_range[1])
    height, width = image.shape[:2]
    size = (max(1, int(round(height * ratio))), max(1, int(round(width * ratio))))
    return resize_pair(image, label, size)


def pad_pair(
    image: np.ndarray,
    label: np.ndarray,
    min_size: tuple[int, int],
    ignore_index: int,
    pad_mode: str = "zero",
) -> Pair:
    """Pad bottom/right up to `min_size`: label with ignore (no loss there), image with zeros or the mean."""
    if pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be one of {PAD_MODES!r}, got {pad_mode!r}")
    height, width = image.shape[:2]
    pad_h, pad_w = max(0, min_size[0] - height), max(0, min_size[1] - width)
    if pad_h == 0 and pad_w == 0:
        return image, label
    fill = (0, 0, 0) if pad_mode == "zero" else IMAGENET_MEAN_PIXEL
    padded_image = np.empty((height + pad_h, width + pad_w, 3), dtype=image.dtype)
    padded_image[...] = np.asarray(fill, dtype=image.dtype)
    padded_image[:height, :width] = image
    padded_label = np.full((height + pad_h, width + pad_w), ignore_index, dtype=label.dtype)
    padded_label[:height, :width] = label
    return padded_image, padded_label


def random_crop(
    image: np.ndarray,
    label: np.ndarray,
    rng: np.random.Generator,
    crop_size: tuple[int, int],
    ignore_index: int,
    pad_mode: str = "zero",
) -> Pair:
    """A (H, W) = `crop_size` window at a uniform offset, padding first if the pair is smaller."""
    image, label = pad_pair(image, label, crop_size, ignore_index, pad_mode)
    height, width = image.shape[:2]
    top = int(rng.integers(0, height - crop_size[0] + 1))
    left = int(rng.integers(0, width - crop_size[1] + 1))
    window = (slice(top, top + crop_size[0]), slice(left, left + crop_size[1]))
    return image[window], label[window]


def random_hflip(image: np.ndarray, label: np.ndarray, rng: np.random.Generator, prob: float = 0.5) -> Pair:
    """Mirror left-right with probability `prob`."""
    if rng.random() < prob:
        return image[:, ::-1], label[:, ::-1]
    return image, label


def photometric_jitter(
    image: np.ndarray,
    rng: np.random.Generator,
    brightness: float = 32.0,
    contrast: tuple[float, float] = (0.5, 1.5),
    saturation: tuple[float, float] = (0.5, 1.5),
    prob: float = 0.5,
) -> np.ndarray:
    """Brightness shift, contrast and saturation scaling, each applied with probability `prob`.

    Draws all random numbers every call, so whether one op fires never shifts the draws of the next.
    """
    fire = rng.random(3) < prob
    delta = rng.uniform(-brightness, brightness)
    contrast_factor = rng.uniform(contrast[0], contrast[1])
    saturation_factor = rng.uniform(saturation[0], saturation[1])
    if not fire.any():
        return image
    out = image.astype(np.float32)
    if fire[0]:
        out += delta
    if fire[1]:
        out *= contrast_factor
    if fire[2]:
        grey = out @ np.asarray([0.299, 0.587, 0.114], dtype=np.float32)  # (H, W) luma
        out = grey[..., None] + (out - grey[..., None]) * saturation_factor
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def normalize(
    image: np.ndarray,
    mean: tuple[float, float, float] = IMAGENET_MEAN,
    std: tuple[float, float, float] = IMAGENET_STD,
) -> torch.Tensor:
    """uint8 (H, W, 3) → float32 (3, H, W), standardised per channel."""
    out = (image.astype(np.float32) - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    import torch  # on use: specs and dataset checks run without torch

    return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1)))


def label_to_tensor(label: np.ndarray) -> torch.Tensor:
    """(H, W) → int64 (H, W), the dtype cross-entropy expects."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(label, dtype=np.int64))
