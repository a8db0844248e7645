"""The generic layout: any dataset exported as images, index masks and a class list.

Layout under the root:
    classes.txt           one class name per line; line k (from 0) names class index k
    images/STEM.{png,jpg,jpeg}
    masks/STEM.png        single-channel PNG of class indices, 255 = ignore
    splits/train.txt      optional: one stem per line (val.txt likewise)
Without splits/, the split is deterministic: stems are ordered by a hash of their name and the
first `val_fraction` of them (at least one, when there are two or more) form "val". Ordering by
hash rather than by name keeps "val" from being one contiguous run of similar file names.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.data._io import FILE_IGNORE_VALUE, IMAGE_SUFFIXES, DatasetError, LabelMap, read_mask_png, require_dir
from pipeline.data._source import SegmentationSource, files_by_stem, pair_by_stem

CLASSES_FILE = "classes.txt"
SPLITS_DIR = "splits"


def read_class_names(path: Path) -> tuple[str, ...]:
    """Class names from a classes.txt, refusing empty, duplicate or too many names."""
    if not path.is_file():
        raise DatasetError(f"{path}: missing class list (one class name per line)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: unreadable class list ({error})") from None
    while lines and not lines[-1].strip():
        lines.pop()
    names = tuple(line.strip() for line in lines)
    if not names:
        raise DatasetError(f"{path}: class list is empty")
    for number, name in enumerate(names, start=1):
        if not name:
            raise DatasetError(f"{path}: line {number} is blank; every line up to the last must name a class")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DatasetError(f"{path}: duplicate class names {duplicates}")
    if len(names) > FILE_IGNORE_VALUE:
        raise DatasetError(
            f"{path}: {len(names)} classes; 8-bit masks hold at most {FILE_IGNORE_VALUE} classes "
            "besides the ignore value"
        )
    return names


def hash_split(stems: list[str], val_fraction: float) -> dict[str, list[str]]:
    """Deterministic train/val stems: the same names give the same split on every machine."""
    ordered = sorted(stems, key=lambda s: (hashlib.sha1(s.encode("utf-8")).hexdigest(), s))
    num_val = round(len(ordered) * val_fraction)
    if len(ordered) >= 2:
        num_val = min(max(num_val, 1), len(ordered) - 1)
    val = set(ordered[:num_val])
    return {"train": sorted(s for s in stems if s not in val), "val": sorted(val)}


def _read_split_file(path: Path) -> list[str]:
    if not path.is_file():
        raise DatasetError(f"{path}: missing split list ({SPLITS_DIR}/ exists, so every split needs its file)")
    stems = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    repeated = sorted({s for s in stems if stems.count(s) > 1})
    if repeated:
        raise DatasetError(f"{path}: stems listed twice: {repeated[:5]}")
    return stems


def open_generic(root: Path, split: str, ignore_index: int, val_fraction: float = 0.2) -> SegmentationSource:
    """Index one split of a generic-layout dataset."""
    require_dir(root, "dataset root")
    class_names = read_class_names(root / CLASSES_FILE)
    image_dir = require_dir(root / "images", "generic layout images/")
    mask_dir = require_dir(root / "masks", "generic layout masks/")
    samples = pair_by_stem(
        files_by_stem(image_dir, IMAGE_SUFFIXES), files_by_stem(mask_dir, (".png",)), image_dir, mask_dir
    )
    by_stem = {s.stem: s for s in samples}
    splits_dir = root / SPLITS_DIR
    if splits_dir.is_dir():
        split_file = splits_dir / f"{split}.txt"
        stems = _read_split_file(split_file)
        for stem in stems:
            if stem not in by_stem:
                raise DatasetError(f"{split_file}: lists {stem!r}, which has no image/mask pair in {image_dir}")
    else:
        stems = hash_split(list(by_stem), val_fraction)[split]
    return SegmentationSource(
        name=f"generic/{root.name}/{split}",
        samples=[by_stem[s] for s in sorted(stems)],
        class_names=class_names,
        label_map=LabelMap.contiguous(len(class_names), ignore_index),
        ignore_index=ignore_index,
        read_mask=read_mask_png,
        empty_hint=f"{root} split {split!r}",
    )
