"""Bad data is reported at the broken file, for every layout, on open and on load."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pipeline.data import DatasetConfig, DatasetError, open_dataset
from tests.data.trees import TREE_BUILDERS, Tree, write_image, write_mask

LAYOUTS = list(TREE_BUILDERS)


def _open(tree: Tree, **options: object):
    config = DatasetConfig(layout=tree.layout, root=str(tree.root), split="train", **options)  # type: ignore[arg-type]
    return open_dataset(config)


@pytest.fixture(params=LAYOUTS)
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Tree:
    builder: Callable[[Path], Tree] = TREE_BUILDERS[request.param]
    return builder(tmp_path / request.param)


def test_valid_tree_opens_and_loads(tree: Tree) -> None:
    source = _open(tree, validate="full")
    assert len(source) == len(tree.images)
    assert [s.image_path for s in source.samples] == tree.images
    image, label = source[0]
    assert image.dtype == np.uint8 and image.shape == (6, 8, 3)
    assert label.dtype == np.int64 and label.shape == (6, 8)
    valid = (label == 255) | ((label >= 0) & (label < source.num_classes))
    assert valid.all()


def test_missing_mask_folder(tree: Tree) -> None:
    mask_folder = tree.masks[0].parent
    if tree.layout == "cityscapes":
        mask_folder = mask_folder.parent  # gtFine/train
    shutil.rmtree(mask_folder)
    with pytest.raises(DatasetError, match="missing folder") as info:
        _open(tree)
    assert str(mask_folder) in str(info.value)


def test_missing_root(tmp_path: Path) -> None:
    for layout in LAYOUTS:
        with pytest.raises(DatasetError, match="missing folder"):
            open_dataset(DatasetConfig(layout=layout, root=str(tmp_path / "absent")))


def test_image_without_mask(tree: Tree) -> None:
    tree.masks[1].unlink()
    with pytest.raises(DatasetError, match="image without mask") as info:
        _open(tree, validate="none")
    assert str(tree.images[1]) in str(info.value)


def test_mask_without_image(tree: Tree) -> None:
    tree.images[2].unlink()
    with pytest.raises(DatasetError, match="mask without image") as info:
        _open(tree, validate="none")
    assert str(tree.masks[2]) in str(info.value)


def test_size_mismatch(tree: Tree) -> None:
    write_mask(tree.masks[1], np.zeros((7, 8), dtype=np.uint8))
    with pytest.raises(DatasetError, match=r"mask size 8x7 \(WxH\) does not match image .* size 8x6") as info:
        _open(tree)
    assert str(tree.masks[1]) in str(info.value)


def test_out_of_range_label(tree: Tree) -> None:
    bad = np.zeros((6, 8), dtype=np.uint8)
    bad[2, 3] = 200  # beyond every layout's range, and not the ignore value
    write_mask(tree.masks[2], bad)
    with pytest.raises(DatasetError, match="label values 200 are outside the class range") as info:
        _open(tree)
    assert str(tree.masks[2]) in str(info.value)


def test_unreadable_image(tree: Tree) -> None:
    tree.images[0].write_bytes(b"not an image at all")
    with pytest.raises(DatasetError, match="unreadable image") as info:
        _open(tree)
    assert str(tree.images[0]) in str(info.value)


def test_unreadable_mask(tree: Tree) -> None:
    tree.masks[0].write_bytes(b"\x89PNG broken")
    with pytest.raises(DatasetError, match="unreadable mask") as info:
        _open(tree)
    assert str(tree.masks[0]) in str(info.value)


def test_rgb_mask_is_rejected(tree: Tree) -> None:
    write_image(tree.masks[0], seed=3)
    with pytest.raises(DatasetError, match="mode 'RGB'"):
        _open(tree)


def test_validate_none_defers_value_checks_to_load(tree: Tree) -> None:
    bad = np.full((6, 8), 201, dtype=np.uint8)
    write_mask(tree.masks[1], bad)
    source = _open(tree, validate="none")
    source.load(0)
    with pytest.raises(DatasetError, match="201"):
        source.load(1)


def test_sample_validation_checks_an_evenly_spread_subset(tree: Tree) -> None:
    write_mask(tree.masks[1], np.full((6, 8), 201, dtype=np.uint8))
    source = _open(tree, validate="sample", sample_size=2)  # checks pairs 0 and 2 only
    assert source.validation_indices("sample", 2) == [0, 2]
    with pytest.raises(DatasetError, match="201"):
        _open(tree, validate="sample", sample_size=3)
    with pytest.raises(DatasetError, match="201"):
        _open(tree, validate="auto")  # small dataset: auto means full
    with pytest.raises(DatasetError):
        source[1]
