"""Predictions of a model: class masks of images, drawn with the dataset's palette.

Inference is the evaluation's: ImageNet-style normalisation, then the whole image or sliding
windows (`pipeline.training.slide_inference`) as the bundle says, argmax over classes.
`segnas predict` writes per image the class indices (8-bit PNG), the colourised mask and an
overlay; the search stores small thumbnails of a few fixed validation images per result row.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from pipeline.data import IMAGENET_MEAN, IMAGENET_STD, colorize, normalize, overlay, thumbnail
from pipeline.model_configs import ConfigError
from pipeline.models import BundleInfo
from pipeline.training import EvalConfig, slide_inference

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
GALLERY_IMAGES = 4  # validation images per results row
THUMBNAIL_SIDE = 128  # long side of a gallery thumbnail, pixels
MAX_MASK_CLASSES = 256  # class-index PNGs are 8-bit


@dataclass(frozen=True)
class Inference:
    """How one image goes through a model: normalisation and whole-image or sliding-window."""

    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    eval: EvalConfig = EvalConfig()

    @classmethod
    def of_bundle(cls, info: BundleInfo) -> Inference:
        return cls(info.mean, info.std, EvalConfig(mode=info.inference, window=info.window, stride=info.stride))


@torch.no_grad()
def predict_mask(model: nn.Module, image: np.ndarray, num_classes: int, inference: Inference) -> np.ndarray:
    """(H, W) int64 class indices of one uint8 (H, W, 3) image."""
    images = normalize(image, inference.mean, inference.std)[None]  # (1, 3, H, W)
    was_training = model.training
    model.eval()
    try:
        if inference.eval.mode == "slide":
            logits = slide_inference(model, images, num_classes, inference.eval.window, inference.eval.stride)
        else:
            logits = model(images)
    finally:
        model.train(was_training)
    return logits.argmax(dim=1)[0].numpy()


def read_rgb(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable image ({error})") from None


def collect_images(paths: Sequence[str | Path]) -> list[Path]:
    """Image files named, or found directly inside named folders, in order; stems must be unique."""
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found.extend(sorted(p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        elif entry.is_file():
            if entry.suffix.lower() not in IMAGE_SUFFIXES:
                raise ConfigError(f"{entry}: expected an image ({', '.join(IMAGE_SUFFIXES)}) or a folder of images")
            found.append(entry)
        else:
            raise ConfigError(f"{entry}: no such image or folder")
    if not found:
        raise ConfigError(f"{', '.join(map(str, paths))}: no images ({', '.join(IMAGE_SUFFIXES)}) found")
    stems: dict[str, Path] = {}
    for path in found:
        if path.stem in stems:
            raise ConfigError(f"{path}: the stem {path.stem!r} is also {stems[path.stem]}; outputs would collide")
        stems[path.stem] = path
    return found


@dataclass(frozen=True)
class WrittenPrediction:
    image: Path
    classes: Path  # 8-bit PNG of class indices
    mask: Path  # colourised with the palette
    overlay: Path  # the colours blended over the image


def write_predictions(
    model: nn.Module, info: BundleInfo, images: Sequence[Path], out_dir: str | Path
) -> list[WrittenPrediction]:
    """Predict every image and write its class mask, colour mask and overlay into `out_dir`."""
    if info.num_classes > MAX_MASK_CLASSES:
        raise ConfigError(f"{info.num_classes} classes: class-index PNGs hold at most {MAX_MASK_CLASSES}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inference = Inference.of_bundle(info)
    written = []
    for path in images:
        image = read_rgb(path)
        mask = predict_mask(model, image, info.num_classes, inference)
        colors = colorize(mask, info.palette)
        target = WrittenPrediction(
            path, out / f"{path.stem}.classes.png", out / f"{path.stem}.mask.png", out / f"{path.stem}.overlay.png"
        )
        Image.fromarray(mask.astype(np.uint8), mode="L").save(target.classes)
        Image.fromarray(colors).save(target.mask)
        Image.fromarray(overlay(image, colors)).save(target.overlay)
        written.append(target)
    return written


def png_base64(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def prediction_gallery(
    model: nn.Module,
    samples: Sequence[tuple[np.ndarray, np.ndarray]],
    palette: Sequence[Sequence[int]],
    inference: Inference,
) -> str:
    """The results row's `predictions` value: a JSON list of {image, truth, pred} base64 PNG thumbnails."""
    num_classes = len(palette)
    entries = []
    for image, label in samples:
        mask = predict_mask(model, image, num_classes, inference)
        entries.append(
            {
                "image": png_base64(thumbnail(image, THUMBNAIL_SIDE, nearest=False)),
                "truth": png_base64(thumbnail(colorize(label, palette), THUMBNAIL_SIDE, nearest=True)),
                "pred": png_base64(thumbnail(colorize(mask, palette), THUMBNAIL_SIDE, nearest=True)),
            }
        )
    return json.dumps(entries)
