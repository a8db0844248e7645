"""Flat registry: layout name → reader builder. Filled here, explicitly, and nowhere else.

A builder takes a `DatasetConfig` and returns the indexed split, not yet validated;
`open_dataset` builds it and runs the validation the config asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.data._ade20k import open_ade20k
from pipeline.data._cityscapes import open_cityscapes
from pipeline.data._coco_stuff import open_coco_stuff
from pipeline.data._config import DatasetConfig
from pipeline.data._generic import open_generic
from pipeline.data._io import DatasetError
from pipeline.data._source import SegmentationSource

DatasetBuilder = Callable[[DatasetConfig], SegmentationSource]


def build_cityscapes(config: DatasetConfig) -> SegmentationSource:
    return open_cityscapes(Path(config.root), config.split, config.ignore_index)


def build_ade20k(config: DatasetConfig) -> SegmentationSource:
    return open_ade20k(Path(config.root), config.split, config.ignore_index)


def build_coco_stuff(config: DatasetConfig) -> SegmentationSource:
    return open_coco_stuff(Path(config.root), config.split, config.ignore_index, config.coco_variant)


def build_generic(config: DatasetConfig) -> SegmentationSource:
    return open_generic(Path(config.root), config.split, config.ignore_index, config.val_fraction)


DATASET_LAYOUTS: dict[str, DatasetBuilder] = {
    "cityscapes": build_cityscapes,
    "ade20k": build_ade20k,
    "coco_stuff": build_coco_stuff,
    "generic": build_generic,
}


def dataset_builder(layout: str) -> DatasetBuilder:
    """The builder registered for `layout`; an unknown name lists the known ones."""
    try:
        return DATASET_LAYOUTS[layout]
    except KeyError:
        raise DatasetError(f"unknown dataset layout {layout!r}; known layouts: {', '.join(DATASET_LAYOUTS)}") from None


def open_dataset(config: DatasetConfig) -> SegmentationSource:
    """Index and validate the split `config` names; bad data raises `DatasetError` naming the file."""
    source = dataset_builder(config.layout)(config)
    source.validate(config.validate, config.sample_size)
    return source
