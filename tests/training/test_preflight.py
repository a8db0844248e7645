"""Dataset pre-flight: each kind of bad data is one DatasetError naming the file, before Ray; a
passed check is cached by file sizes and mtimes."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.data import DatasetError
from pipeline.data.synth import SynthConfig, write_synth_dataset
from pipeline.training import DatasetSpec, check_dataset


def _dataset(tmp_path: Path) -> tuple[DatasetSpec, Path]:
    root = tmp_path / "data"
    write_synth_dataset(SynthConfig(num_train=6, num_val=3, size=(32, 32), num_classes=10), root)
    return DatasetSpec("generic", root=str(root), validate="full"), root


def _mismatched_mask(root: Path) -> Path:
    path = root / "masks" / "train_00002.png"
    Image.fromarray(np.zeros((16, 32), dtype=np.uint8), mode="L").save(path)
    return path


def _truncated_png(root: Path) -> Path:
    path = root / "images" / "val_00001.png"
    path.write_bytes(path.read_bytes()[:60])
    return path


def _label_out_of_range(root: Path) -> Path:
    path = root / "masks" / "train_00004.png"
    Image.fromarray(np.full((32, 32), 200, dtype=np.uint8), mode="L").save(path)
    return path


def _empty_split(root: Path) -> Path:
    path = root / "splits" / "val.txt"
    path.write_text("")
    return path


@pytest.mark.parametrize("break_it", [_mismatched_mask, _truncated_png, _label_out_of_range, _empty_split],
                         ids=["mask-size", "truncated-png", "label-200-of-10", "empty-split"])
def test_bad_data_is_one_error_naming_the_file(tmp_path: Path, break_it: Callable[[Path], Path]) -> None:
    spec, root = _dataset(tmp_path)
    broken = break_it(root)
    with pytest.raises(DatasetError) as error:
        check_dataset(spec, tmp_path, out=io.StringIO())
    message = str(error.value)
    assert "\n" not in message
    assert str(broken.parent if break_it is _empty_split else broken) in message or broken.stem in message


def test_a_passed_check_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    spec, root = _dataset(tmp_path)
    assert check_dataset(spec, tmp_path, out=io.StringIO()) == 9
    started = time.perf_counter()
    assert check_dataset(spec, tmp_path, out=io.StringIO()) == 0  # cached: nothing decoded
    cached_s = time.perf_counter() - started
    assert cached_s < 1.0
    mask = root / "masks" / "train_00001.png"
    Image.fromarray(np.full((32, 32), 200, dtype=np.uint8), mode="L").save(mask)
    os.utime(mask, ns=(time.time_ns(), time.time_ns() + 10**9))  # a different mtime even on coarse clocks
    with pytest.raises(DatasetError, match="train_00001"):
        check_dataset(spec, tmp_path, out=io.StringIO())


def test_large_splits_show_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.training._preflight as preflight

    spec, _ = _dataset(tmp_path)
    monkeypatch.setattr(preflight, "PROGRESS_FROM", 3)
    out = io.StringIO()
    check_dataset(spec, tmp_path, out=out)
    assert "checking train split: 6/6 pairs" in out.getvalue()
