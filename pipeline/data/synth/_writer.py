"""`SynthConfig` and `write_synth_dataset`: a generated dataset in the generic layout.

Deterministic by seed: every scene draws from a generator seeded by (seed, split, index), images
and masks are lossless PNGs and the side files are written with fixed ordering, so the same
config gives byte-identical files on any machine with the same Pillow/zlib.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.data._config import DatasetConfigError
from pipeline.data._io import DatasetError
from pipeline.data.synth._appearance import FIRST_SHAPE_CLASS, MAX_CLASSES, MIN_CLASSES, class_looks
from pipeline.data.synth._scene import paint_scene

SPLIT_CODES = {"train": 0, "val": 1}  # mixed into each scene's seed so train and val never share a scene
MIN_SIDE, MAX_SIDE = 32, 2048


def _fail(field: str, expected: str, value: object) -> None:
    raise DatasetConfigError(f"SynthConfig.{field}: expected {expected}, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class SynthConfig:
    seed: int = 0  # decides every scene; the class appearances do not depend on it
    num_train: int = 64  # small on purpose: a full search trial on CPU should take minutes
    num_val: int = 16
    size: tuple[int, int] = (128, 128)  # (H, W); large enough that the twins sit far from the frame
    num_classes: int = 10  # ground, frame, two twins and six shape classes

    def __post_init__(self) -> None:
        if not _is_int(self.seed) or self.seed < 0:
            _fail("seed", "an integer >= 0", self.seed)
        for field in ("num_train", "num_val"):
            if not _is_int(getattr(self, field)) or getattr(self, field) < 1:
                _fail(field, "an integer >= 1", getattr(self, field))
        ok = isinstance(self.size, tuple) and len(self.size) == 2 and all(_is_int(v) for v in self.size)
        if not ok or not all(MIN_SIDE <= v <= MAX_SIDE for v in self.size):
            _fail("size", f"a (height, width) tuple of integers in [{MIN_SIDE}, {MAX_SIDE}]", self.size)
        if not _is_int(self.num_classes) or not MIN_CLASSES <= self.num_classes <= MAX_CLASSES:
            _fail("num_classes", f"an integer in [{MIN_CLASSES}, {MAX_CLASSES}]", self.num_classes)


def _balanced_cues(seed: int, split: str, count: int) -> np.ndarray:
    """Half the scenes of a split get a warm frame, half a cool one, in seeded order."""
    rng = np.random.default_rng((seed, SPLIT_CODES[split], 2**32 - 1))
    return rng.permutation(np.arange(count) % 2 == 0)


def synth_scene(config: SynthConfig, split: str, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Scene `index` of `split`: (image uint8 (H, W, 3), mask uint8 (H, W)), without touching disk."""
    count = config.num_train if split == "train" else config.num_val
    looks = class_looks(config.num_classes)
    num_shape_classes = config.num_classes - FIRST_SHAPE_CLASS
    # Cycling one guaranteed shape class per scene puts every class in any split of enough scenes.
    must_include = FIRST_SHAPE_CLASS + index % num_shape_classes
    warm = bool(_balanced_cues(config.seed, split, count)[index])
    rng = np.random.default_rng((config.seed, SPLIT_CODES[split], index))
    height, width = config.size
    return paint_scene(height, width, looks, rng, warm, must_include)


def _save_png(array: np.ndarray, path: Path) -> None:
    Image.fromarray(array).save(path, format="PNG", optimize=False, compress_level=6)


def write_synth_dataset(config: SynthConfig, out: Path) -> dict[str, int]:
    """Write the dataset under `out` (generic layout) and return the number of scenes per split.

    `out` must be missing or empty: writing over an older dataset would leave stale scenes behind.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DatasetError(f"{out}: output folder exists and is not empty; choose a new folder")
    looks = class_looks(config.num_classes)
    image_dir, mask_dir, split_dir = out / "images", out / "masks", out / "splits"
    for folder in (image_dir, mask_dir, split_dir):
        folder.mkdir(parents=True, exist_ok=True)
    (out / "classes.txt").write_text("".join(f"{look.name}\n" for look in looks), encoding="utf-8")
    counts = {"train": config.num_train, "val": config.num_val}
    for split, count in counts.items():
        stems = [f"{split}_{i:05d}" for i in range(count)]
        for index, stem in enumerate(stems):
            image, mask = synth_scene(config, split, index)
            _save_png(image, image_dir / f"{stem}.png")
            _save_png(mask, mask_dir / f"{stem}.png")
        (split_dir / f"{split}.txt").write_text("".join(f"{s}\n" for s in stems), encoding="utf-8")
    manifest = {"generator": "segnas synth", "config": asdict(config)}
    (out / "synth.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return counts
