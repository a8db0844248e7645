"""Reading images and label masks from disk, and turning raw mask values into class indices.

Every failure raises `DatasetError` naming the file and the problem, so a broken download is
reported at the file that is broken rather than as a shape error deep inside training.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, UnidentifiedImageError

# Value that every supported on-disk layout uses for "no label here".
FILE_IGNORE_VALUE = 255

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class DatasetError(ValueError):
    """A dataset on disk is missing, incomplete or holds data the reader cannot use."""


class Sample(NamedTuple):
    """One image and the mask that labels it; `stem` identifies the pair in messages and split lists."""

    stem: str
    image_path: Path
    mask_path: Path


def require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise DatasetError(f"{path}: missing folder ({what})")
    return path


def read_image(path: Path) -> np.ndarray:
    """The image as uint8 (H, W, 3); grey or RGBA files are converted to RGB."""
    try:
        with Image.open(path) as img:
            rgb = img.convert("RGB")
    except FileNotFoundError:
        raise DatasetError(f"{path}: image file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise DatasetError(f"{path}: unreadable image ({error})") from None
    return np.asarray(rgb, dtype=np.uint8)


def read_mask_png(path: Path) -> np.ndarray:
    """The raw mask values as (H, W); palette PNGs give their indices, not their colours."""
    try:
        with Image.open(path) as img:
            if img.mode not in ("L", "P", "I", "I;16"):
                raise DatasetError(
                    f"{path}: mask has mode {img.mode!r}; expected a single-channel PNG of class indices (L or P)"
                )
            values = np.asarray(img)
    except FileNotFoundError:
        raise DatasetError(f"{path}: mask file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise DatasetError(f"{path}: unreadable mask ({error})") from None
    return values


def read_mask_mat(path: Path, key: str = "S") -> np.ndarray:
    """A MATLAB label file (COCO-Stuff 10k); needs scipy, which is not a project dependency."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise DatasetError(
            f"{path}: MATLAB (.mat) annotations need scipy, which is not installed; install scipy, or convert "
            "the annotations to *_labelTrainIds.png and point the reader at those"
        ) from None
    try:
        content = loadmat(str(path))
    except FileNotFoundError:
        raise DatasetError(f"{path}: mask file not found") from None
    except Exception as error:  # scipy raises several unrelated types for a corrupt file
        raise DatasetError(f"{path}: unreadable MATLAB annotation ({error})") from None
    if key not in content:
        raise DatasetError(f"{path}: MATLAB annotation has no variable {key!r}")
    values = np.asarray(content[key])
    if values.dtype.kind == "f" and np.array_equal(values, np.round(values)):
        values = values.astype(np.int64)  # MATLAB saves integer labels as doubles unless told otherwise
    return values


def image_size(path: Path) -> tuple[int, int]:
    """(H, W) from the file header, without decoding the pixels."""
    try:
        with Image.open(path) as img:
            width, height = img.size
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise DatasetError(f"{path}: unreadable file ({error})") from None
    return height, width


def check_same_size(sample: Sample, image: np.ndarray, mask: np.ndarray) -> None:
    if image.shape[:2] != mask.shape[:2]:
        raise DatasetError(
            f"{sample.mask_path}: mask size {mask.shape[1]}x{mask.shape[0]} (WxH) does not match image "
            f"{sample.image_path.name} size {image.shape[1]}x{image.shape[0]}"
        )


@dataclass(frozen=True)
class LabelMap:
    """Raw mask value → class index (or the ignore index); raw values with no entry are errors.

    A lookup table rather than a dict so mapping a mask is one vectorised indexing step.
    """

    table: np.ndarray  # (V,) int64: class index per raw value
    known: np.ndarray  # (V,) bool: whether the raw value may appear at all
    description: str  # what the allowed raw values are, for error messages

    @classmethod
    def build(
        cls,
        mapping: Mapping[int, int],
        ignore_index: int,
        ignored_values: Iterable[int] = (FILE_IGNORE_VALUE,),
        description: str = "",
    ) -> LabelMap:
        size = max([FILE_IGNORE_VALUE, *mapping.keys(), *ignored_values]) + 1
        table = np.full(size, ignore_index, dtype=np.int64)
        known = np.zeros(size, dtype=bool)
        for raw, index in mapping.items():
            table[raw] = index
            known[raw] = True
        for raw in ignored_values:
            table[raw] = ignore_index
            known[raw] = True
        return cls(table=table, known=known, description=description)

    @classmethod
    def contiguous(cls, num_classes: int, ignore_index: int) -> LabelMap:
        """Masks that already hold class indices 0..num_classes-1 and 255 for ignore."""
        return cls.build(
            {i: i for i in range(num_classes)},
            ignore_index,
            description=f"0..{num_classes - 1} or {FILE_IGNORE_VALUE} (ignore)",
        )

    def apply(self, raw: np.ndarray, path: Path) -> np.ndarray:
        """Map a raw mask to int64 class indices, rejecting values outside the class range."""
        if raw.ndim != 2:
            raise DatasetError(f"{path}: mask has shape {raw.shape}; expected (H, W)")
        if raw.size == 0:
            return raw.astype(np.int64)
        if raw.dtype.kind not in "iub":
            raise DatasetError(f"{path}: mask holds {raw.dtype} values; expected integer class indices")
        low, high = int(raw.min()), int(raw.max())
        if low < 0 or high >= self.table.size or not self.known[raw].all():
            bad = np.unique(raw[(raw < 0) | (raw >= self.table.size)])
            if bad.size == 0:
                bad = np.unique(raw[~self.known[raw]])
            shown = ", ".join(str(int(v)) for v in bad[:8]) + (", ..." if bad.size > 8 else "")
            raise DatasetError(f"{path}: label values {shown} are outside the class range; expected {self.description}")
        return self.table[raw]
