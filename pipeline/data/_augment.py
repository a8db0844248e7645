"""The training and evaluation transform chains, configured by a frozen `TransformConfig`.

Train: random resize → random crop (label padded with ignore) → horizontal flip → photometric
jitter → ImageNet normalisation. Eval: normalisation only (sliding-window inference lives with
training). Both are plain classes so they pickle to DataLoader and Ray workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.data._config import DatasetConfigError
from pipeline.data._transforms import (
    PAD_MODES,
    label_to_tensor,
    normalize,
    photometric_jitter,
    random_crop,
    random_hflip,
    random_resize,
)

if TYPE_CHECKING:
    import torch


def _fail(field: str, expected: str, value: object) -> None:
    raise DatasetConfigError(f"TransformConfig.{field}: expected {expected}, got {value!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(field: str, value: object, low: float) -> None:
    ok = isinstance(value, tuple) and len(value) == 2 and all(_is_number(v) for v in value)
    if not ok or not low <= value[0] <= value[1]:  # type: ignore[index]
        _fail(field, f"a (low, high) tuple with {low} <= low <= high", value)


@dataclass(frozen=True)
class TransformConfig:
    crop_size: tuple[int, int] = (512, 512)  # (H, W); the ADE20K recipe (Cityscapes: 1024x1024)
    ratio_range: tuple[float, float] = (0.5, 2.0)  # random rescale of the whole pair, both official recipes
    flip_prob: float = 0.5  # horizontal flip; scenes are left-right symmetric
    jitter_prob: float = 0.5  # each photometric op fires independently with this probability
    brightness: float = 32.0  # max |shift| in pixel values, as in the usual PhotoMetricDistortion
    contrast: tuple[float, float] = (0.5, 1.5)
    saturation: tuple[float, float] = (0.5, 1.5)
    pad_mode: str = "zero"  # image padding of small crops: "zero" or "mean" (normalises to ~0)
    ignore_index: int = 255  # label padding; must match the dataset's ignore index

    def __post_init__(self) -> None:
        size = self.crop_size
        if not (
            isinstance(size, tuple)
            and len(size) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in size)
        ):
            _fail("crop_size", "a (height, width) tuple of integers >= 1", size)
        _check_range("ratio_range", self.ratio_range, 1e-3)
        for field in ("flip_prob", "jitter_prob"):
            value = getattr(self, field)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                _fail(field, "a probability in [0, 1]", value)
        if not _is_number(self.brightness) or not 0.0 <= self.brightness <= 255.0:
            _fail("brightness", "a number in [0, 255]", self.brightness)
        _check_range("contrast", self.contrast, 0.0)
        _check_range("saturation", self.saturation, 0.0)
        if self.pad_mode not in PAD_MODES:
            _fail("pad_mode", f"one of {PAD_MODES!r}", self.pad_mode)
        if isinstance(self.ignore_index, bool) or not isinstance(self.ignore_index, int):
            _fail("ignore_index", "an integer", self.ignore_index)


class TrainTransform:
    """The augmentation chain for training; `rng` decides every random choice."""

    def __init__(self, config: TransformConfig) -> None:
        self.config = config

    def __call__(
        self, image: np.ndarray, label: np.ndarray, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.config
        image, label = random_resize(image, label, rng, c.ratio_range)
        image, label = random_crop(image, label, rng, c.crop_size, c.ignore_index, c.pad_mode)
        image, label = random_hflip(image, label, rng, c.flip_prob)
        image = photometric_jitter(image, rng, c.brightness, c.contrast, c.saturation, c.jitter_prob)
        return normalize(image), label_to_tensor(label)  # (3, H, W) float32, (H, W) int64


class EvalTransform:
    """Evaluation keeps the full image: normalisation only; `rng` is accepted and unused."""

    def __call__(
        self, image: np.ndarray, label: np.ndarray, rng: np.random.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return normalize(image), label_to_tensor(label)


def build_transform(config: TransformConfig, train: bool) -> TrainTransform | EvalTransform:
    """The chain for a training split (`train=True`) or an evaluation split."""
    return TrainTransform(config) if train else EvalTransform()
