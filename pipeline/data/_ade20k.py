"""ADE20K scene parsing, SceneParsing benchmark release (Zhou et al., CVPR 2017): 150 classes.

Layout (the root is the ADEChallengeData2016 folder, or a folder that contains it):
    images/{training,validation}/ADE_{train,val}_XXXXXXXX.jpg
    annotations/{training,validation}/ADE_{train,val}_XXXXXXXX.png
Mask value 0 is "other / unlabeled" and becomes ignore; values 1..150 are shifted down to the
class indices 0..149; anything above 150 (255 aside) is an error.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.data._io import FILE_IGNORE_VALUE, LabelMap, read_mask_png, require_dir
from pipeline.data._source import SegmentationSource, files_by_stem, pair_by_stem

FOLDER_NAME = "ADEChallengeData2016"
SPLIT_FOLDERS = {"train": "training", "val": "validation"}

# The benchmark's 150 classes in index order (first name of each objectInfo150 entry).
CLASS_NAMES: tuple[str, ...] = (
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane", "grass",
    "cabinet", "sidewalk", "person", "earth", "door", "table", "mountain", "plant", "curtain", "chair",
    "car", "water", "painting", "sofa", "shelf", "house", "sea", "mirror", "rug", "field",
    "armchair", "seat", "fence", "desk", "rock", "wardrobe", "lamp", "bathtub", "railing", "cushion",
    "base", "box", "column", "signboard", "chest of drawers", "counter", "sand", "sink", "skyscraper", "fireplace",
    "refrigerator", "grandstand", "path", "stairs", "runway", "case", "pool table", "pillow", "screen door", "stairway",
    "river", "bridge", "bookcase", "blind", "coffee table", "toilet", "flower", "book", "hill", "bench",
    "countertop", "stove", "palm", "kitchen island", "computer", "swivel chair", "boat", "bar",
    "arcade machine", "hovel",
    "bus", "towel", "light", "truck", "tower", "chandelier", "awning", "streetlight", "booth", "television receiver",
    "airplane", "dirt track", "apparel", "pole", "land", "bannister", "escalator", "ottoman", "bottle", "buffet",
    "poster", "stage", "van", "ship", "fountain", "conveyer belt", "canopy", "washer", "plaything", "swimming pool",
    "stool", "barrel", "basket", "waterfall", "tent", "bag", "minibike", "cradle", "oven", "ball",
    "food", "step", "tank", "trade name", "microwave", "pot", "animal", "bicycle", "lake", "dishwasher",
    "screen", "blanket", "sculpture", "hood", "sconce", "vase", "traffic light", "tray", "ashcan", "fan",
    "pier", "crt screen", "plate", "monitor", "bulletin board", "shower", "radiator", "glass", "clock", "flag",
)  # fmt: skip


def ade20k_label_map(ignore_index: int) -> LabelMap:
    """0 → ignore, k → k - 1 for k in 1..150, 255 → ignore."""
    mapping = {raw: raw - 1 for raw in range(1, len(CLASS_NAMES) + 1)}
    return LabelMap.build(
        mapping,
        ignore_index,
        ignored_values=(0, FILE_IGNORE_VALUE),
        description=f"ADE20K values 0 (unlabeled) .. {len(CLASS_NAMES)} or {FILE_IGNORE_VALUE}",
    )


def resolve_ade_root(root: Path) -> Path:
    """Accept both the ADEChallengeData2016 folder and the folder it was unpacked into."""
    nested = root / FOLDER_NAME
    if not (root / "images").is_dir() and nested.is_dir():
        return nested
    return root


def open_ade20k(root: Path, split: str, ignore_index: int) -> SegmentationSource:
    """Index one split of ADE20K, pairing images/<split>/X.jpg with annotations/<split>/X.png."""
    base = resolve_ade_root(root)
    folder = SPLIT_FOLDERS[split]
    image_dir = require_dir(base / "images" / folder, f"ADE20K images, images/{folder}")
    mask_dir = require_dir(base / "annotations" / folder, f"ADE20K annotations, annotations/{folder}")
    samples = pair_by_stem(
        files_by_stem(image_dir, (".jpg", ".jpeg", ".png")),
        files_by_stem(mask_dir, (".png",)),
        image_dir,
        mask_dir,
    )
    return SegmentationSource(
        name=f"ade20k/{split}",
        samples=samples,
        class_names=CLASS_NAMES,
        label_map=ade20k_label_map(ignore_index),
        ignore_index=ignore_index,
        read_mask=read_mask_png,
        empty_hint=str(image_dir),
    )
