"""`DatasetConfig`: which dataset to read, from where, and how much of it to check on open.

Validated where it enters (a job spec, a CLI flag, a Ray worker rebuilding it from `asdict`), so
a typo in a layout name or split is reported before any file is touched.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("train", "val")

# "auto" is full validation up to AUTO_FULL_LIMIT pairs and a sample above: decoding every mask of
# COCO-Stuff 164k on open takes minutes, and masks are checked again when loaded anyway.
VALIDATE_MODES = ("auto", "full", "sample", "none")
AUTO_FULL_LIMIT = 2000

COCO_VARIANTS = ("auto", "164k-trainids", "164k-raw", "10k-trainids", "10k-mat")


class DatasetConfigError(ValueError):
    """A `DatasetConfig` field holds a value no reader accepts."""


def _fail(field: str, expected: str, value: object) -> None:
    raise DatasetConfigError(f"DatasetConfig.{field}: expected {expected}, got {value!r}")


@dataclass(frozen=True)
class DatasetConfig:
    layout: str  # a key of DATASET_LAYOUTS: "cityscapes", "ade20k", "coco_stuff" or "generic"
    root: str  # the dataset folder (the one holding leftImg8bit/, ADEChallengeData2016/'s content, images/, ...)
    split: str = "train"  # "train" or "val"; each layout maps these to its own folder names
    ignore_index: int = 255  # label value for "no class" in the arrays readers return (255: every layout's file value)
    validate: str = "auto"  # how much to check on open; see VALIDATE_MODES
    sample_size: int = 32  # pairs decoded and checked on open under validate="sample"
    val_fraction: float = 0.2  # generic layout without splits/*.txt: share of stems held out for "val"
    coco_variant: str = "auto"  # COCO-Stuff annotation flavour; "auto" picks it from the files present

    def __post_init__(self) -> None:
        from pipeline.data._registry import DATASET_LAYOUTS  # deferred: the registry imports this module

        if self.layout not in DATASET_LAYOUTS:
            _fail("layout", f"one of {tuple(DATASET_LAYOUTS)!r}", self.layout)
        if not isinstance(self.root, str) or not self.root:
            _fail("root", "a non-empty path string", self.root)
        if self.split not in SPLITS:
            _fail("split", f"one of {SPLITS!r}", self.split)
        if isinstance(self.ignore_index, bool) or not isinstance(self.ignore_index, int):
            _fail("ignore_index", "an integer (255 or -1 are usual)", self.ignore_index)
        if 0 <= self.ignore_index < 255:
            # A small non-negative ignore index would collide with a real class of some layout.
            _fail(
                "ignore_index",
                "a negative integer or one >= 255 (it must not collide with a class index)",
                self.ignore_index,
            )
        if self.validate not in VALIDATE_MODES:
            _fail("validate", f"one of {VALIDATE_MODES!r}", self.validate)
        if isinstance(self.sample_size, bool) or not isinstance(self.sample_size, int) or self.sample_size < 1:
            _fail("sample_size", "an integer >= 1", self.sample_size)
        ok = isinstance(self.val_fraction, (int, float)) and not isinstance(self.val_fraction, bool)
        if not ok or not 0.0 < float(self.val_fraction) < 1.0:
            _fail("val_fraction", "a number in (0, 1)", self.val_fraction)
        if self.coco_variant not in COCO_VARIANTS:
            _fail("coco_variant", f"one of {COCO_VARIANTS!r}", self.coco_variant)
