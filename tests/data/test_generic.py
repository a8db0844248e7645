"""Generic layout: class list, split lists, and the deterministic split without them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.data import DatasetConfig, DatasetError, open_dataset
from pipeline.data._generic import hash_split
from tests.data.trees import generic_tree, random_mask, write_mask


def _open(root: Path, **options: object):
    return open_dataset(DatasetConfig(layout="generic", root=str(root), **options))  # type: ignore[arg-type]


def test_reads_classes_and_split_lists(tmp_path: Path) -> None:
    tree = generic_tree(tmp_path)
    train, val = _open(tmp_path), _open(tmp_path, split="val")
    assert train.class_names == ("sky", "road", "car")
    assert [len(train), len(val)] == [3, 1]
    assert val.samples[0].stem == "scene_00"
    np.testing.assert_array_equal(train[2][1], random_mask(2, tree.valid_values))


def test_hash_split_is_deterministic_and_disjoint(tmp_path: Path) -> None:
    generic_tree(tmp_path, with_splits=False, num_pairs=10)
    train, val = _open(tmp_path), _open(tmp_path, split="val")
    train_stems = {s.stem for s in train.samples}
    val_stems = {s.stem for s in val.samples}
    assert len(val_stems) == 2 and not train_stems & val_stems
    assert len(train_stems | val_stems) == 10
    assert hash_split([f"scene_{i:02d}" for i in range(10)], 0.2)["val"] == sorted(val_stems)
    assert {s.stem for s in _open(tmp_path, split="val").samples} == val_stems


def test_hash_split_keeps_both_sides_non_empty() -> None:
    split = hash_split(["a", "b"], 0.01)
    assert len(split["train"]) == 1 and len(split["val"]) == 1
    assert hash_split(["only"], 0.5) == {"train": ["only"], "val": []}


def test_missing_class_list(tmp_path: Path) -> None:
    generic_tree(tmp_path)
    (tmp_path / "classes.txt").unlink()
    with pytest.raises(DatasetError, match=r"classes.txt: missing class list"):
        _open(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "class list is empty"), ("sky\n\nroad\n", "line 2 is blank"), ("sky\nsky\n", "duplicate class names")],
)
def test_bad_class_list(tmp_path: Path, content: str, message: str) -> None:
    generic_tree(tmp_path)
    (tmp_path / "classes.txt").write_text(content)
    with pytest.raises(DatasetError, match=message):
        _open(tmp_path)


def test_label_equal_to_class_count_is_out_of_range(tmp_path: Path) -> None:
    tree = generic_tree(tmp_path)
    write_mask(tree.masks[0], np.full((6, 8), 3))
    with pytest.raises(DatasetError, match=r"label values 3 .*expected 0\.\.2 or 255"):
        _open(tmp_path)


def test_split_list_naming_a_missing_pair(tmp_path: Path) -> None:
    generic_tree(tmp_path)
    (tmp_path / "splits" / "val.txt").write_text("scene_99\n")
    with pytest.raises(DatasetError, match=r"val.txt: lists 'scene_99', which has no image/mask pair"):
        _open(tmp_path, split="val")


def test_split_folder_without_the_split_file(tmp_path: Path) -> None:
    generic_tree(tmp_path)
    (tmp_path / "splits" / "val.txt").unlink()
    with pytest.raises(DatasetError, match=r"val.txt: missing split list"):
        _open(tmp_path, split="val")


def test_two_images_with_one_stem(tmp_path: Path) -> None:
    tree = generic_tree(tmp_path)
    tree.images[0].with_suffix(".jpg").write_bytes(tree.images[0].read_bytes())
    with pytest.raises(DatasetError, match="two files share the stem 'scene_00'"):
        _open(tmp_path)
