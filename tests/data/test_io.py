"""`LabelMap`: raw mask values → class indices, with unknown values reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.data import DatasetError, LabelMap


def test_contiguous_map_keeps_classes_and_maps_255_to_ignore() -> None:
    mapping = LabelMap.contiguous(4, ignore_index=-1)
    out = mapping.apply(np.array([[0, 3, 255]], dtype=np.uint8), Path("m.png"))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 3, -1]])


def test_unknown_values_are_listed() -> None:
    mapping = LabelMap.contiguous(4, ignore_index=255)
    with pytest.raises(
        DatasetError, match=r"m.png: label values 4, 9 are outside the class range; expected 0\.\.3 or 255"
    ):
        mapping.apply(np.array([[0, 4, 9, 4]], dtype=np.uint8), Path("m.png"))


def test_values_beyond_the_table_and_negative_values() -> None:
    mapping = LabelMap.contiguous(4, ignore_index=255)
    with pytest.raises(DatasetError, match="label values 300"):
        mapping.apply(np.array([[1, 300]], dtype=np.int32), Path("m.png"))
    with pytest.raises(DatasetError, match="label values -2"):
        mapping.apply(np.array([[1, -2]], dtype=np.int32), Path("m.png"))


def test_float_masks_are_rejected() -> None:
    with pytest.raises(DatasetError, match="float64 values"):
        LabelMap.contiguous(4, 255).apply(np.zeros((2, 2)), Path("m.png"))
