"""COCO-Stuff: the 164k and 10k variants, raw ids → 171 contiguous classes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from pipeline.data import COCO_STUFF_CLASSES, DatasetConfig, DatasetError, open_dataset
from pipeline.data._coco_stuff import coco_stuff_label_map
from tests.data.trees import coco_stuff_10k_tree, coco_stuff_164k_tree, random_mask, write_image, write_mask

HAS_SCIPY = importlib.util.find_spec("scipy") is not None


def _open(root: Path, **options: object):
    return open_dataset(DatasetConfig(layout="coco_stuff", root=str(root), **options))  # type: ignore[arg-type]


def test_171_distinct_classes() -> None:
    assert len(COCO_STUFF_CLASSES) == 171
    assert len(set(COCO_STUFF_CLASSES)) == 171
    assert COCO_STUFF_CLASSES[0] == "person" and COCO_STUFF_CLASSES[79] == "toothbrush"
    assert COCO_STUFF_CLASSES[80] == "banner" and COCO_STUFF_CLASSES[-1] == "wood"


def test_164k_train_ids_detected_and_passed_through(tmp_path: Path) -> None:
    tree = coco_stuff_164k_tree(tmp_path)
    source = _open(tmp_path)
    assert source.name == "coco_stuff/164k-trainids/train"
    assert source.num_classes == 171
    np.testing.assert_array_equal(source[1][1], random_mask(1, tree.valid_values).astype(np.int64))


def test_164k_raw_ids_map_to_contiguous_classes(tmp_path: Path) -> None:
    tree = coco_stuff_164k_tree(tmp_path, raw=True)
    raw = np.zeros((6, 8), dtype=np.uint8)
    raw[0, :8] = [0, 11, 12, 90, 91, 181, 255, 1]  # 11 and 90 are never-annotated thing slots
    write_mask(tree.masks[0], raw)
    source = _open(tmp_path)
    assert source.name == "coco_stuff/164k-raw/train"
    np.testing.assert_array_equal(source[0][1][0], [0, 255, 11, 255, 80, 170, 255, 1])


def test_raw_id_182_is_out_of_range(tmp_path: Path) -> None:
    tree = coco_stuff_164k_tree(tmp_path, raw=True)
    write_mask(tree.masks[0], np.full((6, 8), 182, dtype=np.uint8))
    with pytest.raises(DatasetError, match="label values 182 are outside the class range"):
        _open(tmp_path)


def test_explicit_raw_variant_skips_converted_files_beside_it(tmp_path: Path) -> None:
    tree = coco_stuff_164k_tree(tmp_path, raw=True)
    for mask in tree.masks:  # a conversion script left its output next to the raw masks
        write_mask(mask.with_name(f"{mask.stem}_labelTrainIds.png"), np.zeros((6, 8)))
    assert _open(tmp_path).name.startswith("coco_stuff/164k-trainids")
    raw_source = _open(tmp_path, coco_variant="164k-raw")
    assert [s.mask_path for s in raw_source.samples] == tree.masks


def test_10k_train_ids_with_split_lists(tmp_path: Path) -> None:
    coco_stuff_10k_tree(tmp_path)
    train, val = _open(tmp_path), _open(tmp_path, split="val")
    assert train.name == "coco_stuff/10k-trainids/train"
    assert [len(train), len(val)] == [3, 1]
    assert val.samples[0].stem == "COCO_train2014_000000000099"


def test_10k_missing_split_list(tmp_path: Path) -> None:
    coco_stuff_10k_tree(tmp_path)
    (tmp_path / "imageLists" / "test.txt").unlink()
    with pytest.raises(DatasetError, match=r"imageLists/test.txt: missing split list"):
        _open(tmp_path, split="val")


def test_10k_split_list_names_unknown_image(tmp_path: Path) -> None:
    coco_stuff_10k_tree(tmp_path)
    (tmp_path / "imageLists" / "train.txt").write_text("COCO_train2014_000000000001\nnot_there\n")
    with pytest.raises(DatasetError, match="lists 'not_there', which has no image"):
        _open(tmp_path)


def test_10k_converted_folders(tmp_path: Path) -> None:
    for i, split in enumerate(("train2014", "test2014")):
        write_image(tmp_path / "images" / split / f"x{i}.jpg", seed=i)
        write_mask(tmp_path / "annotations" / split / f"x{i}_labelTrainIds.png", np.full((6, 8), 170))
    source = _open(tmp_path, split="val")
    assert source.name == "coco_stuff/10k-trainids/val"
    assert source.samples[0].stem == "x1" and (source[0][1] == 170).all()


def test_mat_label_map_counts_from_one() -> None:
    mapping = coco_stuff_label_map("mat", ignore_index=255)
    raw = np.array([[0, 1, 12, 13, 182, 255]])
    np.testing.assert_array_equal(mapping.apply(raw, Path("x.mat")), [[255, 0, 255, 11, 170, 255]])
    with pytest.raises(DatasetError, match="183"):
        mapping.apply(np.array([[183]]), Path("x.mat"))


@pytest.mark.skipif(HAS_SCIPY, reason="checks the message shown when scipy is absent")
def test_10k_mat_without_scipy_says_so(tmp_path: Path) -> None:
    tree = coco_stuff_10k_tree(tmp_path, mat=True)
    for mask in tree.masks:
        mask.write_bytes(b"MATLAB 5.0 MAT-file")
    with pytest.raises(DatasetError, match="need scipy, which is not installed") as info:
        _open(tmp_path)
    assert str(tree.masks[0]) in str(info.value)
    assert _open(tmp_path, validate="none").name == "coco_stuff/10k-mat/train"


@pytest.mark.skipif(not HAS_SCIPY, reason="reading .mat annotations needs scipy")
def test_10k_mat_read_with_scipy(tmp_path: Path) -> None:
    from scipy.io import savemat

    tree = coco_stuff_10k_tree(tmp_path, mat=True)
    for mask in tree.masks:
        savemat(str(mask), {"S": np.array([[0, 1, 13, 182] * 2] * 6, dtype=np.uint16)})
    _, label = _open(tmp_path)[0]
    np.testing.assert_array_equal(label[0], [255, 0, 11, 170] * 2)


def test_no_annotations_recognised(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "annotations").mkdir()
    with pytest.raises(DatasetError, match="no COCO-Stuff annotations recognised"):
        _open(tmp_path)
