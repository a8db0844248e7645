"""Augmentations keep image and label aligned, pad labels with ignore, and are driven by the generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.data import (
    IMAGENET_MEAN,
    normalize,
    pad_pair,
    photometric_jitter,
    random_crop,
    random_hflip,
    random_resize,
    resize_pair,
)

IGNORE = 255


def _coded_pair(height: int = 20, width: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Image channels hold each pixel's (row, column); the label holds row * 100 + column."""
    ys, xs = np.mgrid[0:height, 0:width]
    image = np.stack([ys * 4, xs * 4, np.full_like(ys, 7)], axis=-1).astype(np.uint8)
    return image, (ys * 100 + xs).astype(np.int64)


def _assert_aligned(image: np.ndarray, label: np.ndarray, tolerance: float = 0.0) -> None:
    known = label != IGNORE
    rows, cols = label[known] // 100, label[known] % 100
    assert np.abs(image[..., 0][known] / 4 - rows).max() <= tolerance
    assert np.abs(image[..., 1][known] / 4 - cols).max() <= tolerance


def test_flip_mirrors_an_asymmetric_label_with_its_image() -> None:
    image, label = _coded_pair()
    flipped_image, flipped_label = random_hflip(image, label, np.random.default_rng(0), prob=1.0)
    np.testing.assert_array_equal(flipped_label, label[:, ::-1])
    assert flipped_label[0, 0] == 29  # the right-most column is now on the left
    _assert_aligned(flipped_image, flipped_label)
    same_image, same_label = random_hflip(image, label, np.random.default_rng(0), prob=0.0)
    assert same_image is image and same_label is label


def test_crop_pads_label_with_ignore_and_image_with_zero_or_mean() -> None:
    image, label = _coded_pair(height=10, width=12)
    for mode, fill in (("zero", (0, 0, 0)), ("mean", (124, 116, 104))):
        out_image, out_label = random_crop(image, label, np.random.default_rng(1), (16, 20), IGNORE, mode)
        assert out_image.shape == (16, 20, 3) and out_label.shape == (16, 20)
        assert (out_label[10:] == IGNORE).all() and (out_label[:, 12:] == IGNORE).all()
        assert (out_image[10:] == fill).all() and (out_image[:, 12:] == fill).all()
        np.testing.assert_array_equal(out_label[:10, :12], label)
        _assert_aligned(out_image, out_label)


def test_crop_window_is_aligned_and_reproducible() -> None:
    image, label = _coded_pair()
    first = random_crop(image, label, np.random.default_rng(5), (8, 9), IGNORE)
    again = random_crop(image, label, np.random.default_rng(5), (8, 9), IGNORE)
    np.testing.assert_array_equal(first[1], again[1])
    assert first[1].shape == (8, 9) and (first[1] != IGNORE).all()
    _assert_aligned(*first)
    offsets = {int(random_crop(image, label, np.random.default_rng(s), (8, 9), IGNORE)[1][0, 0]) for s in range(20)}
    assert len(offsets) > 5  # the window moves with the generator


def test_random_resize_scales_within_range_and_stays_aligned() -> None:
    image, label = _coded_pair(height=40, width=60)
    for seed in range(10):
        out_image, out_label = random_resize(image, label, np.random.default_rng(seed), (0.5, 2.0))
        height, width = out_label.shape
        assert 20 <= height <= 80 and abs(width / height - 1.5) < 0.1
        assert set(np.unique(out_label)) <= set(np.unique(label))  # nearest: no new label values
        inner = out_label[2:-2, 2:-2]  # bilinear and nearest agree away from the border clamp
        _assert_aligned(out_image[2:-2, 2:-2], inner, tolerance=1.0)


def test_resize_to_the_same_size_is_identity() -> None:
    image, label = _coded_pair()
    out_image, out_label = resize_pair(image, label, (20, 30))
    assert out_image is image and out_label is label


def test_pad_rejects_unknown_mode() -> None:
    image, label = _coded_pair()
    with pytest.raises(ValueError, match="pad_mode must be one of"):
        pad_pair(image, label, (40, 40), IGNORE, "reflect")


def test_jitter_is_reproducible_and_off_at_zero_probability() -> None:
    image = np.random.default_rng(0).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    a = photometric_jitter(image, np.random.default_rng(3), prob=1.0)
    b = photometric_jitter(image, np.random.default_rng(3), prob=1.0)
    c = photometric_jitter(image, np.random.default_rng(4), prob=1.0)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.uint8 and not np.array_equal(a, c) and not np.array_equal(a, image)
    assert photometric_jitter(image, np.random.default_rng(3), prob=0.0) is image


def test_zero_saturation_gives_grey() -> None:
    image = np.random.default_rng(0).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    grey = photometric_jitter(
        image, np.random.default_rng(0), brightness=0.0, contrast=(1, 1), saturation=(0, 0), prob=1.0
    )
    assert (np.ptp(grey.astype(int), axis=-1) <= 1).all()


def test_normalize_gives_float_chw_centred_on_the_mean() -> None:
    image = np.empty((4, 5, 3), dtype=np.uint8)
    image[...] = np.round(IMAGENET_MEAN).astype(np.uint8)
    tensor = normalize(image)
    assert tensor.dtype == torch.float32 and tensor.shape == (3, 4, 5)
    assert tensor.abs().max() < 0.01
