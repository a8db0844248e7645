"""`DatasetConfig` validation and the layout registry."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from pipeline.data import (
    DATASET_LAYOUTS,
    DatasetConfig,
    DatasetConfigError,
    DatasetError,
    dataset_builder,
    open_dataset,
)
from tests.data.trees import generic_tree


def test_registry_lists_every_layout() -> None:
    assert set(DATASET_LAYOUTS) == {"cityscapes", "ade20k", "coco_stuff", "generic"}


def test_unknown_layout_lists_known_ones() -> None:
    with pytest.raises(DatasetError, match="unknown dataset layout 'voc'; known layouts: cityscapes, ade20k"):
        dataset_builder("voc")
    with pytest.raises(DatasetConfigError, match=r"DatasetConfig.layout: expected one of \('cityscapes'"):
        DatasetConfig(layout="voc", root="/data")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("root", "", "DatasetConfig.root: expected a non-empty path string"),
        ("split", "test", r"DatasetConfig.split: expected one of \('train', 'val'\), got 'test'"),
        ("ignore_index", 3, "DatasetConfig.ignore_index: expected a negative integer or one >= 255"),
        ("ignore_index", True, "DatasetConfig.ignore_index: expected an integer"),
        ("validate", "some", r"DatasetConfig.validate: expected one of \('auto', 'full', 'sample', 'none'\)"),
        ("sample_size", 0, "DatasetConfig.sample_size: expected an integer >= 1"),
        ("val_fraction", 1.0, r"DatasetConfig.val_fraction: expected a number in \(0, 1\)"),
        ("coco_variant", "20k", "DatasetConfig.coco_variant: expected one of"),
    ],
)
def test_bad_fields_are_named(field: str, value: object, message: str) -> None:
    with pytest.raises(DatasetConfigError, match=message):
        DatasetConfig(**{"layout": "generic", "root": "/data", field: value})  # type: ignore[arg-type]


def test_config_round_trips_through_a_dict(tmp_path: Path) -> None:
    generic_tree(tmp_path)
    config = DatasetConfig(layout="generic", root=str(tmp_path), split="val", validate="sample", sample_size=1)
    rebuilt = DatasetConfig(**asdict(config))
    assert rebuilt == config
    assert len(open_dataset(rebuilt)) == 1


def test_config_is_frozen() -> None:
    config = DatasetConfig(layout="generic", root="/data")
    with pytest.raises(AttributeError):
        config.split = "val"  # type: ignore[misc]
