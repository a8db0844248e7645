"""Cityscapes fine annotations (Cordts et al., CVPR 2016): label ids mapped to the 19 train ids.

Layout under the root:
    leftImg8bit/{train,val}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
    gtFine/{train,val}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png
Other gtFine files (color, instanceIds, polygons) are ignored. The test split is not offered: its
public annotations are blank.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.data._io import FILE_IGNORE_VALUE, DatasetError, LabelMap, read_mask_png, require_dir
from pipeline.data._source import SegmentationSource, files_by_stem, pair_by_stem

IMAGE_SUFFIX = "_leftImg8bit"
MASK_SUFFIX = "_gtFine_labelIds"

# (label id, name, train id or None) for every label id a labelIds PNG may hold, from the
# Cityscapes label definitions. Classes that are too rare or ambiguous for the benchmark
# (parking, rail track, guard rail, bridge, tunnel, polegroup, caravan, trailer, and the void
# group) carry no train id and become ignore. License plate (id -1) never reaches a PNG.
LABELS: tuple[tuple[int, str, int | None], ...] = (
    (0, "unlabeled", None),
    (1, "ego vehicle", None),
    (2, "rectification border", None),
    (3, "out of roi", None),
    (4, "static", None),
    (5, "dynamic", None),
    (6, "ground", None),
    (7, "road", 0),
    (8, "sidewalk", 1),
    (9, "parking", None),
    (10, "rail track", None),
    (11, "building", 2),
    (12, "wall", 3),
    (13, "fence", 4),
    (14, "guard rail", None),
    (15, "bridge", None),
    (16, "tunnel", None),
    (17, "pole", 5),
    (18, "polegroup", None),
    (19, "traffic light", 6),
    (20, "traffic sign", 7),
    (21, "vegetation", 8),
    (22, "terrain", 9),
    (23, "sky", 10),
    (24, "person", 11),
    (25, "rider", 12),
    (26, "car", 13),
    (27, "truck", 14),
    (28, "bus", 15),
    (29, "caravan", None),
    (30, "trailer", None),
    (31, "train", 16),
    (32, "motorcycle", 17),
    (33, "bicycle", 18),
)

_NAME_BY_TRAIN_ID = {train_id: name for _, name, train_id in LABELS if train_id is not None}
CLASS_NAMES: tuple[str, ...] = tuple(_NAME_BY_TRAIN_ID[i] for i in range(len(_NAME_BY_TRAIN_ID)))

SPLIT_FOLDERS = {"train": "train", "val": "val"}


def cityscapes_label_map(ignore_index: int) -> LabelMap:
    """labelIds value → train id; ids without a train id, and 255, → ignore; anything above 33 is an error."""
    mapping = {label_id: (ignore_index if train_id is None else train_id) for label_id, _, train_id in LABELS}
    return LabelMap.build(
        mapping,
        ignore_index,
        description=f"Cityscapes label ids 0..{max(mapping)} or {FILE_IGNORE_VALUE}",
    )


def open_cityscapes(root: Path, split: str, ignore_index: int) -> SegmentationSource:
    """Index one split of a Cityscapes root, pairing every image with its labelIds mask."""
    image_root = require_dir(root / "leftImg8bit" / SPLIT_FOLDERS[split], "Cityscapes images, leftImg8bit/<split>")
    mask_root = require_dir(root / "gtFine" / SPLIT_FOLDERS[split], "Cityscapes fine labels, gtFine/<split>")
    image_cities = {p.name for p in image_root.iterdir() if p.is_dir()}
    mask_cities = {p.name for p in mask_root.iterdir() if p.is_dir()}
    for city in sorted(image_cities - mask_cities):
        raise DatasetError(f"{mask_root / city}: missing folder (the images have city {city!r}, the labels do not)")
    images: dict[str, Path] = {}
    masks: dict[str, Path] = {}
    for city in sorted(image_cities | mask_cities):
        image_dir = image_root / city
        if image_dir.is_dir():
            images.update(files_by_stem(image_dir, (".png",), strip=IMAGE_SUFFIX))
        mask_dir = mask_root / city
        if mask_dir.is_dir():
            masks.update(files_by_stem(mask_dir, (".png",), strip=MASK_SUFFIX))
    samples = pair_by_stem(images, masks, image_root, mask_root)
    return SegmentationSource(
        name=f"cityscapes/{split}",
        samples=samples,
        class_names=CLASS_NAMES,
        label_map=cityscapes_label_map(ignore_index),
        ignore_index=ignore_index,
        read_mask=read_mask_png,
        empty_hint=str(image_root),
    )
