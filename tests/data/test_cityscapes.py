"""Cityscapes: label ids → the 19 train ids, everything else → ignore."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.data import CITYSCAPES_CLASSES, CITYSCAPES_LABELS, DatasetConfig, DatasetError, open_dataset
from tests.data.trees import cityscapes_tree, write_mask


def test_nineteen_classes_in_train_id_order() -> None:
    assert len(CITYSCAPES_CLASSES) == 19
    assert CITYSCAPES_CLASSES[:3] == ("road", "sidewalk", "building")
    assert CITYSCAPES_CLASSES[-1] == "bicycle"
    train_ids = sorted(t for _, _, t in CITYSCAPES_LABELS if t is not None)
    assert train_ids == list(range(19))
    assert [i for i, _, _ in CITYSCAPES_LABELS] == list(range(34))


def test_hand_made_mask_maps_to_train_ids(tmp_path: Path) -> None:
    tree = cityscapes_tree(tmp_path)
    raw = np.array(
        [
            [0, 1, 6, 7, 8, 9, 10, 11],  # void ids and parking/rail track → ignore
            [12, 13, 14, 15, 16, 17, 18, 19],  # guard rail, bridge, tunnel, polegroup → ignore
            [20, 21, 22, 23, 24, 25, 26, 27],
            [28, 29, 30, 31, 32, 33, 255, 7],  # caravan, trailer → ignore
            [7] * 8,
            [33] * 8,
        ],
        dtype=np.uint8,
    )
    write_mask(tree.masks[0], raw)
    source = open_dataset(DatasetConfig(layout="cityscapes", root=str(tmp_path)))
    _, label = source[0]
    i = 255
    expected = np.array(
        [
            [i, i, i, 0, 1, i, i, 2],
            [3, 4, i, i, i, 5, i, 6],
            [7, 8, 9, 10, 11, 12, 13, 14],
            [15, i, i, 16, 17, 18, i, 0],
            [0] * 8,
            [18] * 8,
        ]
    )
    np.testing.assert_array_equal(label, expected)
    np.testing.assert_array_equal(source.load_raw_mask(0), raw)


def test_custom_ignore_index(tmp_path: Path) -> None:
    tree = cityscapes_tree(tmp_path)
    write_mask(tree.masks[0], np.full((6, 8), 4, dtype=np.uint8))
    source = open_dataset(DatasetConfig(layout="cityscapes", root=str(tmp_path), ignore_index=-1))
    assert (source[0][1] == -1).all()


def test_label_id_above_33_is_an_error(tmp_path: Path) -> None:
    tree = cityscapes_tree(tmp_path)
    write_mask(tree.masks[2], np.full((6, 8), 34, dtype=np.uint8))
    with pytest.raises(DatasetError, match=r"label values 34 .*Cityscapes label ids 0\.\.33"):
        open_dataset(DatasetConfig(layout="cityscapes", root=str(tmp_path)))


def test_city_without_label_folder(tmp_path: Path) -> None:
    cityscapes_tree(tmp_path)
    other = tmp_path / "leftImg8bit" / "train" / "zurich"
    other.mkdir()
    with pytest.raises(DatasetError, match="zurich: missing folder"):
        open_dataset(DatasetConfig(layout="cityscapes", root=str(tmp_path)))


def test_val_split_reads_val_folders(tmp_path: Path) -> None:
    cityscapes_tree(tmp_path)
    with pytest.raises(DatasetError, match=r"leftImg8bit/val: missing folder"):
        open_dataset(DatasetConfig(layout="cityscapes", root=str(tmp_path), split="val"))
