"""Tiny dataset trees in each supported layout, written with Pillow into a test's tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

HEIGHT, WIDTH = 6, 8
NUM_PAIRS = 3


class Tree(NamedTuple):
    layout: str
    root: Path
    images: list[Path]  # in the reader's sample order
    masks: list[Path]
    valid_values: tuple[int, ...]  # raw mask values the layout accepts


def write_image(path: Path, seed: int, size: tuple[int, int] = (HEIGHT, WIDTH)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=(*size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def write_mask(path: Path, values: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(values, dtype=np.uint8), mode="L").save(path)


def random_mask(seed: int, values: tuple[int, ...], size: tuple[int, int] = (HEIGHT, WIDTH)) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.asarray(values), size=size).astype(np.uint8)


def _fill(tree: Tree) -> Tree:
    for i, (image, mask) in enumerate(zip(tree.images, tree.masks)):
        write_image(image, seed=i)
        write_mask(mask, random_mask(i, tree.valid_values))
    return tree


def cityscapes_tree(root: Path) -> Tree:
    stems = [f"aachen_000000_00001{i}" for i in range(2)] + ["bremen_000000_000010"]
    images = [root / "leftImg8bit" / "train" / s.split("_")[0] / f"{s}_leftImg8bit.png" for s in stems]
    masks = [root / "gtFine" / "train" / s.split("_")[0] / f"{s}_gtFine_labelIds.png" for s in stems]
    tree = _fill(Tree("cityscapes", root, images, masks, (0, 7, 8, 11, 26, 33, 255)))
    # Other gtFine products sit beside the label ids and must be ignored.
    write_image(masks[0].with_name(f"{stems[0]}_gtFine_color.png"), seed=9)
    return tree


def ade20k_tree(root: Path) -> Tree:
    base = root / "ADEChallengeData2016"
    stems = [f"ADE_train_{i:08d}" for i in range(1, NUM_PAIRS + 1)]
    images = [base / "images" / "training" / f"{s}.jpg" for s in stems]
    masks = [base / "annotations" / "training" / f"{s}.png" for s in stems]
    return _fill(Tree("ade20k", root, images, masks, (0, 1, 75, 150)))


def coco_stuff_164k_tree(root: Path, raw: bool = False) -> Tree:
    stems = [f"{i:012d}" for i in range(1, NUM_PAIRS + 1)]
    images = [root / "images" / "train2017" / f"{s}.jpg" for s in stems]
    suffix = "" if raw else "_labelTrainIds"
    masks = [root / "annotations" / "train2017" / f"{s}{suffix}.png" for s in stems]
    values = (0, 12, 91, 181, 255) if raw else (0, 80, 170, 255)
    return _fill(Tree("coco_stuff", root, images, masks, values))


def coco_stuff_10k_tree(root: Path, mat: bool = False) -> Tree:
    stems = [f"COCO_train2014_{i:012d}" for i in range(1, NUM_PAIRS + 1)] + ["COCO_train2014_000000000099"]
    images = [root / "images" / f"{s}.jpg" for s in stems]
    masks = [root / "annotations" / f"{s}{'.mat' if mat else '_labelTrainIds.png'}" for s in stems]
    lists = root / "imageLists"
    lists.mkdir(parents=True)
    (lists / "train.txt").write_text("".join(f"{s}\n" for s in stems[:NUM_PAIRS]))
    (lists / "test.txt").write_text(f"{stems[-1]}\n")
    tree = Tree("coco_stuff", root, images[:NUM_PAIRS], masks[:NUM_PAIRS], (0, 80, 170, 255))
    if mat:  # the caller writes the .mat files (they need scipy)
        (root / "annotations").mkdir(parents=True)
        for i, image in enumerate(images):
            write_image(image, seed=i)
        return tree
    for i, (image, mask) in enumerate(zip(images, masks)):
        write_image(image, seed=i)
        write_mask(mask, random_mask(i, tree.valid_values))
    return tree


def generic_tree(root: Path, with_splits: bool = True, num_pairs: int = NUM_PAIRS) -> Tree:
    root.mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("sky\nroad\ncar\n")
    stems = [f"scene_{i:02d}" for i in range(num_pairs)]
    images = [root / "images" / f"{s}.png" for s in stems]
    masks = [root / "masks" / f"{s}.png" for s in stems]
    if with_splits:
        (root / "splits").mkdir()
        (root / "splits" / "train.txt").write_text("".join(f"{s}\n" for s in stems))
        (root / "splits" / "val.txt").write_text(f"{stems[0]}\n")
    return _fill(Tree("generic", root, images, masks, (0, 1, 2, 255)))


# Every layout once, for the shared bad-data checks.
TREE_BUILDERS = {
    "cityscapes": cityscapes_tree,
    "ade20k": ade20k_tree,
    "coco_stuff": coco_stuff_164k_tree,
    "generic": generic_tree,
}
