"""The transform chains and the torch `Dataset` wrapper: reproducible per (seed, epoch, index)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.data import (
    DatasetConfig,
    DatasetConfigError,
    EvalTransform,
    SegmentationDataset,
    TrainTransform,
    TransformConfig,
    build_transform,
    open_dataset,
)
from tests.data.trees import generic_tree


@pytest.fixture
def source(tmp_path: Path):
    generic_tree(tmp_path)
    return open_dataset(DatasetConfig(layout="generic", root=str(tmp_path)))


def test_train_items_are_reproducible_and_change_with_epoch(source) -> None:
    config = TransformConfig(crop_size=(8, 8), ratio_range=(0.8, 1.6))
    dataset = SegmentationDataset(source, TrainTransform(config), seed=7)
    image, label = dataset[1]
    assert image.shape == (3, 8, 8) and image.dtype == torch.float32
    assert label.shape == (8, 8) and label.dtype == torch.int64
    again = SegmentationDataset(source, TrainTransform(config), seed=7)[1]
    assert torch.equal(image, again[0]) and torch.equal(label, again[1])
    dataset.set_epoch(1)
    assert not torch.equal(image, dataset[1][0])
    other_seed = SegmentationDataset(source, TrainTransform(config), seed=8)[1]
    assert not torch.equal(image, other_seed[0])


def test_train_chain_keeps_labels_in_range(source) -> None:
    dataset = SegmentationDataset(source, build_transform(TransformConfig(crop_size=(10, 12)), train=True), seed=0)
    for epoch in range(3):
        dataset.set_epoch(epoch)
        for i in range(len(dataset)):
            label = dataset[i][1]
            assert ((label == 255) | ((label >= 0) & (label < 3))).all()


def test_eval_chain_keeps_the_full_image(source) -> None:
    dataset = SegmentationDataset(source, build_transform(TransformConfig(), train=False))
    image, label = dataset[0]
    assert isinstance(dataset.transform, EvalTransform)
    assert image.shape == (3, 6, 8)
    np.testing.assert_array_equal(label.numpy(), source[0][1])


def test_dataset_pickles_for_worker_processes(source) -> None:
    dataset = SegmentationDataset(source, TrainTransform(TransformConfig(crop_size=(8, 8))), seed=3)
    copy = pickle.loads(pickle.dumps(dataset))
    assert torch.equal(copy[2][0], dataset[2][0]) and torch.equal(copy[2][1], dataset[2][1])


def test_index_and_epoch_checks(source) -> None:
    dataset = SegmentationDataset(source, EvalTransform())
    with pytest.raises(IndexError):
        dataset[len(dataset)]
    with pytest.raises(ValueError, match="epoch must be an integer >= 0"):
        dataset.set_epoch(-1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("crop_size", (0, 8), "TransformConfig.crop_size: expected a \\(height, width\\) tuple"),
        ("ratio_range", (2.0, 0.5), "TransformConfig.ratio_range: expected a \\(low, high\\) tuple"),
        ("flip_prob", 1.5, "TransformConfig.flip_prob: expected a probability"),
        ("pad_mode", "edge", "TransformConfig.pad_mode: expected one of \\('zero', 'mean'\\)"),
    ],
)
def test_transform_config_names_bad_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(DatasetConfigError, match=message):
        TransformConfig(**{field: value})  # type: ignore[arg-type]
