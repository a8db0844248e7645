"""Predictions: written class masks are the model's argmax, colour masks use the palette, thumbnails are small."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pipeline.data import normalize
from pipeline.deploy import (
    THUMBNAIL_SIDE,
    Inference,
    bundle_from_row,
    collect_images,
    predict_mask,
    prediction_gallery,
    write_predictions,
)
from pipeline.model_configs import ConfigError
from pipeline.models import load_bundle
from pipeline.training import EvalConfig
from tests.deploy.conftest import Experiment


def _images(folder: Path, sizes: list[tuple[int, int]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i, (h, w) in enumerate(sizes):
        path = folder / f"img{i}.png"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_written_masks_are_the_argmax_of_the_model(experiment: Experiment, tmp_path: Path) -> None:
    bundle = load_bundle(bundle_from_row(experiment.directory, "t0000", tmp_path / "bundle"))
    images = _images(tmp_path / "in", [(64, 64), (48, 80)])
    written = write_predictions(bundle.model, bundle.info, collect_images([tmp_path / "in"]), tmp_path / "out")
    assert [w.image for w in written] == images
    palette = np.asarray(bundle.info.palette, dtype=np.uint8)
    for item in written:
        image = np.asarray(Image.open(item.image).convert("RGB"))
        with torch.no_grad():
            expected = experiment.model(normalize(image)[None]).argmax(dim=1)[0].numpy()
        classes = np.asarray(Image.open(item.classes))
        assert classes.shape == image.shape[:2] and np.array_equal(classes, expected)
        assert np.array_equal(np.asarray(Image.open(item.mask)), palette[classes])
        assert np.asarray(Image.open(item.overlay)).shape == image.shape


def test_sliding_window_inference_covers_the_image(experiment: Experiment) -> None:
    image = np.random.default_rng(1).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    slide = Inference(eval=EvalConfig(mode="slide", window=(64, 64), stride=(32, 32)))
    mask = predict_mask(experiment.model, image, 5, slide)
    assert mask.shape == (64, 96) and mask.min() >= 0 and mask.max() < 5


def test_gallery_holds_small_thumbnails_of_image_truth_and_prediction(experiment: Experiment) -> None:
    rng = np.random.default_rng(2)
    samples = [(rng.integers(0, 256, (256, 192, 3), dtype=np.uint8), rng.integers(0, 5, (256, 192))) for _ in range(2)]
    palette = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]]
    entries = json.loads(prediction_gallery(experiment.model, samples, palette, Inference()))
    assert len(entries) == 2
    for entry in entries:
        for key in ("image", "truth", "pred"):
            thumb = Image.open(io.BytesIO(base64.b64decode(entry[key])))
            assert thumb.format == "PNG" and max(thumb.size) == THUMBNAIL_SIDE and thumb.size == (96, 128)


def test_missing_or_colliding_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such image or folder"):
        collect_images([tmp_path / "nope.png"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _images(tmp_path / "a", [(32, 32)])
    _images(tmp_path / "b", [(32, 32)])
    with pytest.raises(ConfigError, match="the stem 'img0' is also"):
        collect_images([tmp_path / "a", tmp_path / "b"])
