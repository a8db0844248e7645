"""The generated dataset: deterministic bytes, every class present, and the long-range twin rule."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.data import DatasetConfig, DatasetConfigError, DatasetError, open_dataset
from pipeline.data.synth import MIN_CLASSES, SynthConfig, class_looks, synth_scene, write_synth_dataset
from pipeline.data.synth._appearance import FRAME, TWIN_COOL, TWIN_WARM
from pipeline.data.synth._scene import frame_width, twin_margin

SMALL = SynthConfig(seed=3, num_train=6, num_val=2, size=(64, 80))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    write_synth_dataset(SMALL, tmp_path / "a")
    write_synth_dataset(SMALL, tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(first) == 2 * (6 + 2) + 4  # images, masks, classes.txt, two split lists, synth.json
    assert first == second


def test_different_seed_gives_different_scenes(tmp_path: Path) -> None:
    write_synth_dataset(SMALL, tmp_path / "a")
    write_synth_dataset(replace(SMALL, seed=4), tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert first["classes.txt"] == second["classes.txt"]  # appearance does not depend on the seed
    scenes = [k for k in first if k.startswith(("images/", "masks/"))]
    assert all(first[k] != second[k] for k in scenes)


def test_written_files_match_the_scene_function(tmp_path: Path) -> None:
    write_synth_dataset(SMALL, tmp_path)
    image, mask = synth_scene(SMALL, "val", 1)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "images" / "val_00001.png")), image)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "masks" / "val_00001.png")), mask)
    assert image.shape == (64, 80, 3) and mask.shape == (64, 80)


def test_default_dataset_reads_back_with_every_class_and_some_ignore(tmp_path: Path) -> None:
    counts = write_synth_dataset(SynthConfig(), tmp_path)
    assert counts == {"train": 64, "val": 16}
    for split in ("train", "val"):
        source = open_dataset(DatasetConfig(layout="generic", root=str(tmp_path), split=split, validate="full"))
        assert source.class_names == tuple(look.name for look in class_looks(10))
        pixels = np.zeros(256, dtype=np.int64)
        for i in range(len(source)):
            pixels += np.bincount(source[i][1].ravel(), minlength=256)
        assert (pixels[: source.num_classes] > 0).all(), f"{split}: a class never appears"
        assert pixels[255] > 0
        assert pixels[source.num_classes : 255].sum() == 0


@pytest.mark.parametrize("num_classes", [MIN_CLASSES, 13])
def test_other_class_counts(num_classes: int) -> None:
    config = SynthConfig(num_train=num_classes, num_val=1, size=(48, 48), num_classes=num_classes)
    seen = set()
    for i in range(config.num_train):
        seen |= set(np.unique(synth_scene(config, "train", i)[1]).tolist())
    assert set(range(4, num_classes)) <= seen  # every shape class, by the per-scene guarantee
    assert max(seen - {255}) < num_classes


def test_twins_look_alike_and_follow_the_far_away_frame() -> None:
    looks = class_looks(10)
    warm, cool = looks[TWIN_WARM], looks[TWIN_COOL]
    assert (warm.texture, warm.hue, warm.saturation, warm.period, warm.angle) == (
        cool.texture, cool.hue, cool.saturation, cool.period, cool.angle,
    )  # fmt: skip
    config = SynthConfig(num_train=24, num_val=1)
    height, width = config.size
    keep_out = frame_width(height, width) + twin_margin(height, width)
    cues = []
    for i in range(config.num_train):
        image, mask = synth_scene(config, "train", i)
        present = {TWIN_WARM, TWIN_COOL} & set(np.unique(mask).tolist())
        assert len(present) == 1, "a scene has twins of exactly one class"
        twin = present.pop()
        frame = image[mask == FRAME].astype(float).mean(axis=0)
        assert (frame[0] > frame[2]) == (twin == TWIN_WARM)  # red frame ↔ twin_warm, blue ↔ twin_cool
        rows, cols = np.nonzero(mask == twin)
        assert rows.min() >= keep_out and cols.min() >= keep_out
        assert rows.max() < height - keep_out and cols.max() < width - keep_out
        cues.append(twin)
    assert cues.count(TWIN_WARM) == cues.count(TWIN_COOL)  # balanced, so guessing scores half


def test_refuses_a_non_empty_output_folder(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="output folder exists and is not empty"):
        write_synth_dataset(SMALL, tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("num_classes", 7, r"SynthConfig.num_classes: expected an integer in \[8, 32\], got 7"),
        ("size", (16, 64), r"SynthConfig.size: expected a \(height, width\) tuple of integers in \[32, 2048\]"),
        ("num_train", 0, "SynthConfig.num_train: expected an integer >= 1"),
        ("seed", -1, "SynthConfig.seed: expected an integer >= 0"),
    ],
)
def test_config_names_bad_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(DatasetConfigError, match=message):
        SynthConfig(**{field: value})  # type: ignore[arg-type]
