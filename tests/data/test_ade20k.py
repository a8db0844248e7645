"""ADE20K: 0 → ignore, 1..150 → 0..149; both the unpacked folder and its parent work as root."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.data import ADE20K_CLASSES, DatasetConfig, DatasetError, open_dataset
from tests.data.trees import ade20k_tree, write_mask


def test_150_distinct_classes() -> None:
    assert len(ADE20K_CLASSES) == 150
    assert len(set(ADE20K_CLASSES)) == 150
    assert ADE20K_CLASSES[0] == "wall" and ADE20K_CLASSES[-1] == "flag"


def test_hand_made_mask_is_shifted_down(tmp_path: Path) -> None:
    tree = ade20k_tree(tmp_path)
    raw = np.zeros((6, 8), dtype=np.uint8)
    raw[0, :6] = [0, 1, 2, 149, 150, 255]
    write_mask(tree.masks[0], raw)
    _, label = open_dataset(DatasetConfig(layout="ade20k", root=str(tmp_path)))[0]
    np.testing.assert_array_equal(label[0, :6], [255, 0, 1, 148, 149, 255])
    assert (label[1:] == 255).all()


@pytest.mark.parametrize("nested", [True, False])
def test_root_may_be_the_archive_folder_or_its_parent(tmp_path: Path, nested: bool) -> None:
    ade20k_tree(tmp_path)
    root = tmp_path if nested else tmp_path / "ADEChallengeData2016"
    assert len(open_dataset(DatasetConfig(layout="ade20k", root=str(root)))) == 3


def test_value_151_is_out_of_range(tmp_path: Path) -> None:
    tree = ade20k_tree(tmp_path)
    write_mask(tree.masks[0], np.full((6, 8), 151, dtype=np.uint8))
    with pytest.raises(DatasetError, match="label values 151 are outside the class range"):
        open_dataset(DatasetConfig(layout="ade20k", root=str(tmp_path)))


def test_val_split_uses_validation_folder(tmp_path: Path) -> None:
    ade20k_tree(tmp_path)
    with pytest.raises(DatasetError, match=r"images/validation: missing folder"):
        open_dataset(DatasetConfig(layout="ade20k", root=str(tmp_path), split="val"))
