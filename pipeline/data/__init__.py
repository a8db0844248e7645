"""Datasets: layout readers, the generated dataset, augmentations and the torch `Dataset` wrapper.

Readers return (image uint8 (H, W, 3), label int64 (H, W)) pairs with the config's ignore index.
Layouts (`DATASET_LAYOUTS`), each documented in its module:
    cityscapes  leftImg8bit/ + gtFine/ *_labelIds, ids → 19 train ids (`_cityscapes`)
    ade20k      ADEChallengeData2016 images/ + annotations/, 0 → ignore, 1..150 → 0..149 (`_ade20k`)
    coco_stuff  164k (labelTrainIds or raw ids) and 10k (labelTrainIds, or .mat with scipy), 171 classes
                (`_coco_stuff`)
    generic     images/, masks/, classes.txt, optional splits/ (`_generic`; also what `synth` writes)
Imports no models and no Ray.
"""

from pipeline.data._ade20k import CLASS_NAMES as ADE20K_CLASSES
from pipeline.data._augment import EvalTransform, TrainTransform, TransformConfig, build_transform
from pipeline.data._cityscapes import CLASS_NAMES as CITYSCAPES_CLASSES
from pipeline.data._cityscapes import LABELS as CITYSCAPES_LABELS
from pipeline.data._coco_stuff import CLASS_NAMES as COCO_STUFF_CLASSES
from pipeline.data._config import COCO_VARIANTS, SPLITS, VALIDATE_MODES, DatasetConfig, DatasetConfigError
from pipeline.data._io import DatasetError, LabelMap, Sample
from pipeline.data._palette import IGNORE_COLOR, colorize, generated_palette, overlay, palette_for, thumbnail
from pipeline.data._registry import DATASET_LAYOUTS, dataset_builder, open_dataset
from pipeline.data._source import SegmentationSource
from pipeline.data._transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    label_to_tensor,
    normalize,
    pad_pair,
    photometric_jitter,
    random_crop,
    random_hflip,
    random_resize,
    resize_pair,
)


def __getattr__(name: str) -> object:
    # The torch Dataset wrapper is imported on first use: spec validation and dataset checks need no torch.
    if name == "SegmentationDataset":
        from pipeline.data._torch_dataset import SegmentationDataset

        return SegmentationDataset
    raise AttributeError(f"module 'pipeline.data' has no attribute {name!r}")


__all__ = [
    "ADE20K_CLASSES",
    "CITYSCAPES_CLASSES",
    "CITYSCAPES_LABELS",
    "COCO_STUFF_CLASSES",
    "COCO_VARIANTS",
    "DATASET_LAYOUTS",
    "DatasetConfig",
    "DatasetConfigError",
    "DatasetError",
    "EvalTransform",
    "IGNORE_COLOR",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "LabelMap",
    "SPLITS",
    "Sample",
    "SegmentationDataset",
    "SegmentationSource",
    "TrainTransform",
    "TransformConfig",
    "VALIDATE_MODES",
    "build_transform",
    "colorize",
    "dataset_builder",
    "generated_palette",
    "label_to_tensor",
    "normalize",
    "open_dataset",
    "overlay",
    "palette_for",
    "pad_pair",
    "photometric_jitter",
    "random_crop",
    "random_hflip",
    "random_resize",
    "resize_pair",
    "thumbnail",
]
