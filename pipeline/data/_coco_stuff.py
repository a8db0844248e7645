"""COCO-Stuff (Caesar et al., CVPR 2018): 80 thing + 91 stuff classes, 171 contiguous indices.

Supported variants (`DatasetConfig.coco_variant`; "auto" picks one from the files present):
    164k-trainids  images/{train2017,val2017}/X.jpg, annotations/{train2017,val2017}/X_labelTrainIds.png
                   (values 0..170 already contiguous, 255 unlabeled: the common converted form)
    164k-raw       same folders, annotations .../X.png as released (values 0..181 = COCO id - 1,
                   255 unlabeled), mapped here to 0..170
    10k-trainids   images/X.jpg, annotations/X_labelTrainIds.png, split lists imageLists/{train,test}.txt;
                   or the converted images/{train2014,test2014}/, annotations/{train2014,test2014}/
    10k-mat        images/X.jpg, annotations/X.mat (variable S: 0 unlabeled, 1..182 = COCO id) with the
                   same split lists; reading .mat needs scipy, which is not a project dependency
"val" is val2017 for 164k and the 10k test list. The eleven COCO ids that were never annotated
(street sign, hat, shoe, ...) map to ignore if they occur.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.data._io import FILE_IGNORE_VALUE, DatasetError, LabelMap, read_mask_mat, read_mask_png, require_dir
from pipeline.data._source import SegmentationSource, files_by_stem, pair_by_stem

TRAINIDS_SUFFIX = "_labelTrainIds"

# 0-based raw ids (COCO category id - 1) of thing slots that COCO never annotated.
UNUSED_RAW_IDS = (11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90)
NUM_RAW_IDS = 182

THING_NAMES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase",
    "scissors", "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip

STUFF_NAMES: tuple[str, ...] = (
    "banner", "blanket", "branch", "bridge", "building-other", "bush", "cabinet", "cage", "cardboard",
    "carpet", "ceiling-other", "ceiling-tile", "cloth", "clothes", "clouds", "counter", "cupboard",
    "curtain", "desk-stuff", "dirt", "door-stuff", "fence", "floor-marble", "floor-other", "floor-stone",
    "floor-tile", "floor-wood", "flower", "fog", "food-other", "fruit", "furniture-other", "grass",
    "gravel", "ground-other", "hill", "house", "leaves", "light", "mat", "metal", "mirror-stuff", "moss",
    "mountain", "mud", "napkin", "net", "paper", "pavement", "pillow", "plant-other", "plastic",
    "platform", "playingfield", "railing", "railroad", "river", "road", "rock", "roof", "rug", "salad",
    "sand", "sea", "shelf", "sky-other", "skyscraper", "snow", "solid-other", "stairs", "stone", "straw",
    "structural-other", "table", "tent", "textile-other", "towel", "tree", "vegetable", "wall-brick",
    "wall-concrete", "wall-other", "wall-panel", "wall-stone", "wall-tile", "wall-wood", "water-other",
    "waterdrops", "window-blind", "window-other", "wood",
)  # fmt: skip

CLASS_NAMES: tuple[str, ...] = THING_NAMES + STUFF_NAMES

# 0-based raw id → contiguous class index, skipping the unused thing slots.
RAW_TO_CLASS: dict[int, int] = {
    raw: index for index, raw in enumerate(r for r in range(NUM_RAW_IDS) if r not in UNUSED_RAW_IDS)
}

SPLIT_FOLDERS = {
    "164k": {"train": "train2017", "val": "val2017"},
    "10k": {"train": "train2014", "val": "test2014"},
}
SPLIT_LISTS_10K = {"train": "train.txt", "val": "test.txt"}


def coco_stuff_label_map(fmt: str, ignore_index: int) -> LabelMap:
    """The value mapping of an annotation format: "trainids", "raw" (164k PNG) or "mat" (10k)."""
    if fmt == "trainids":
        return LabelMap.contiguous(len(CLASS_NAMES), ignore_index)
    unused = {raw: ignore_index for raw in UNUSED_RAW_IDS}
    if fmt == "raw":
        return LabelMap.build(
            {**RAW_TO_CLASS, **unused},
            ignore_index,
            description=f"COCO-Stuff raw ids 0..{NUM_RAW_IDS - 1} or {FILE_IGNORE_VALUE} (unlabeled)",
        )
    # .mat files count from 1 and use 0 for unlabeled.
    shifted = {raw + 1: index for raw, index in {**RAW_TO_CLASS, **unused}.items()}
    return LabelMap.build(
        shifted,
        ignore_index,
        ignored_values=(0, FILE_IGNORE_VALUE),
        description=f"COCO-Stuff .mat ids 0 (unlabeled) .. {NUM_RAW_IDS}",
    )


def detect_variant(root: Path) -> str:
    """The variant name for the files under `root` (see the module docstring)."""
    images = require_dir(root / "images", "COCO-Stuff images/")
    annotations = require_dir(root / "annotations", "COCO-Stuff annotations/")
    if any((images / folder).is_dir() for folder in SPLIT_FOLDERS["164k"].values()):
        folders = [annotations / f for f in SPLIT_FOLDERS["164k"].values() if (annotations / f).is_dir()]
        has_trainids = any(next(f.glob(f"*{TRAINIDS_SUFFIX}.png"), None) for f in folders)
        return "164k-trainids" if has_trainids else "164k-raw"
    folders = [annotations] + [annotations / f for f in SPLIT_FOLDERS["10k"].values() if (annotations / f).is_dir()]
    if any(next(f.glob(f"*{TRAINIDS_SUFFIX}.png"), None) for f in folders):
        return "10k-trainids"
    if next(annotations.glob("*.mat"), None):
        return "10k-mat"
    raise DatasetError(
        f"{annotations}: no COCO-Stuff annotations recognised; expected {SPLIT_FOLDERS['164k']['train']}/ and "
        f"{SPLIT_FOLDERS['164k']['val']}/ folders (164k), *{TRAINIDS_SUFFIX}.png or *.mat files (10k)"
    )


def _annotation_files(folder: Path, fmt: str) -> dict[str, Path]:
    if fmt == "trainids":
        return files_by_stem(folder, (".png",), strip=TRAINIDS_SUFFIX)
    if fmt == "mat":
        return files_by_stem(folder, (".mat",))
    # Raw PNGs: skip converted files that a conversion script may have left in the same folder.
    return {s: p for s, p in files_by_stem(folder, (".png",)).items() if not s.endswith(TRAINIDS_SUFFIX)}


def _read_split_list(path: Path) -> list[str]:
    if not path.is_file():
        raise DatasetError(
            f"{path}: missing split list (the flat COCO-Stuff 10k layout needs imageLists/train.txt and test.txt)"
        )
    return [Path(line.strip()).stem for line in path.read_text().splitlines() if line.strip()]


def open_coco_stuff(root: Path, split: str, ignore_index: int, variant: str = "auto") -> SegmentationSource:
    """Index one split of COCO-Stuff in one of the supported variants."""
    require_dir(root, "COCO-Stuff root")
    if variant == "auto":
        variant = detect_variant(root)
    size, fmt = variant.split("-", 1)
    folder = SPLIT_FOLDERS[size][split]
    image_dir = root / "images" / folder
    mask_dir = root / "annotations" / folder
    wanted: list[str] | None = None
    if size == "164k" or image_dir.is_dir():
        require_dir(image_dir, f"COCO-Stuff {size} images, images/{folder}")
        require_dir(mask_dir, f"COCO-Stuff {size} annotations, annotations/{folder}")
    else:
        image_dir = require_dir(root / "images", "COCO-Stuff 10k images/")
        mask_dir = require_dir(root / "annotations", "COCO-Stuff 10k annotations/")
        wanted = _read_split_list(root / "imageLists" / SPLIT_LISTS_10K[split])
    images = files_by_stem(image_dir, (".jpg", ".jpeg", ".png"))
    masks = _annotation_files(mask_dir, fmt)
    if wanted is not None:
        for stem in wanted:
            if stem not in images:
                raise DatasetError(
                    f"{root / 'imageLists' / SPLIT_LISTS_10K[split]}: lists {stem!r}, which has no image in {image_dir}"
                )
        keep = set(wanted)
        images = {s: p for s, p in images.items() if s in keep}
        masks = {s: p for s, p in masks.items() if s in keep}
    return SegmentationSource(
        name=f"coco_stuff/{variant}/{split}",
        samples=pair_by_stem(images, masks, image_dir, mask_dir),
        class_names=CLASS_NAMES,
        label_map=coco_stuff_label_map(fmt, ignore_index),
        ignore_index=ignore_index,
        read_mask=read_mask_mat if fmt == "mat" else read_mask_png,
        empty_hint=str(image_dir),
    )
