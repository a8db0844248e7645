"""`SegmentationSource`: an indexed list of (image, mask) files that loads checked pairs.

Every layout reader builds one of these: it finds and pairs the files, then the source checks
the pairs (how many depends on the validate mode) and hands out (image, label) arrays. Loading a
pair always checks it, so data that escaped a sampled check still fails with the file's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from pipeline.data._config import AUTO_FULL_LIMIT, VALIDATE_MODES
from pipeline.data._io import DatasetError, LabelMap, Sample, check_same_size, read_image

MaskReader = Callable[[Path], np.ndarray]


def pair_by_stem(
    images: Mapping[str, Path],
    masks: Mapping[str, Path],
    image_dir: Path,
    mask_dir: Path,
) -> list[Sample]:
    """Samples for keys present in both maps, sorted by key; a key on one side only is an error."""
    missing_masks = sorted(set(images) - set(masks))
    if missing_masks:
        raise DatasetError(
            f"{images[missing_masks[0]]}: image without mask (looked in {mask_dir}); "
            f"{len(missing_masks)} image(s) lack a mask: {_preview(missing_masks)}"
        )
    missing_images = sorted(set(masks) - set(images))
    if missing_images:
        raise DatasetError(
            f"{masks[missing_images[0]]}: mask without image (looked in {image_dir}); "
            f"{len(missing_images)} mask(s) lack an image: {_preview(missing_images)}"
        )
    return [Sample(key, images[key], masks[key]) for key in sorted(images)]


def files_by_stem(folder: Path, suffixes: Iterable[str], strip: str = "") -> dict[str, Path]:
    """Files directly in `folder` with one of `suffixes`, keyed by name minus suffix and `strip`."""
    suffixes = tuple(suffixes)
    found: dict[str, Path] = {}
    for path in folder.iterdir():
        if not path.is_file() or path.suffix.lower() not in suffixes:
            continue
        stem = path.stem
        if strip:
            if not stem.endswith(strip):
                continue
            stem = stem[: -len(strip)]
        if stem in found:
            raise DatasetError(f"{path}: two files share the stem {stem!r} ({found[stem].name} and {path.name})")
        found[stem] = path
    return found


def _preview(keys: list[str], limit: int = 5) -> str:
    return ", ".join(keys[:limit]) + (", ..." if len(keys) > limit else "")


class SegmentationSource:
    """A split of a dataset: `source[i]` is (image uint8 (H, W, 3), label int64 (H, W))."""

    def __init__(
        self,
        name: str,
        samples: list[Sample],
        class_names: tuple[str, ...],
        label_map: LabelMap,
        ignore_index: int,
        read_mask: MaskReader,
        empty_hint: str,
    ) -> None:
        if not samples:
            raise DatasetError(f"{empty_hint}: no image/mask pairs found")
        self.name = name
        self.samples = samples
        self.class_names = class_names
        self.label_map = label_map
        self.ignore_index = ignore_index
        self._read_mask = read_mask  # a module-level function, so the source pickles to DataLoader / Ray workers

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.load(index)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Decode pair `index`, checking sizes and label values."""
        sample = self.samples[index]
        image = read_image(sample.image_path)
        raw = self._read_mask(sample.mask_path)
        check_same_size(sample, image, raw)
        return image, self.label_map.apply(raw, sample.mask_path)

    def load_raw_mask(self, index: int) -> np.ndarray:
        """The mask exactly as stored, before mapping; for class statistics and debugging."""
        return self._read_mask(self.samples[index].mask_path)

    def validate(self, mode: str, sample_size: int) -> None:
        """Decode and check every pair ("full"), an evenly spread subset ("sample") or none."""
        if mode not in VALIDATE_MODES:
            raise ValueError(f"validate mode must be one of {VALIDATE_MODES!r}, got {mode!r}")
        if mode == "auto":
            mode = "full" if len(self) <= AUTO_FULL_LIMIT else "sample"
        if mode == "none":
            return
        for index in self.validation_indices(mode, sample_size):
            self.load(index)

    def validation_indices(self, mode: str, sample_size: int) -> list[int]:
        n = len(self)
        if mode == "full" or sample_size >= n:
            return list(range(n))
        # Evenly spread rather than random: deterministic, and it reaches every city / folder of a sorted index.
        return sorted({int(i) for i in np.linspace(0, n - 1, sample_size).round()})

    def __repr__(self) -> str:
        return f"SegmentationSource({self.name!r}, {len(self)} pairs, {self.num_classes} classes)"
