"""A tiny model and generated dataset shared by the training tests (seconds per epoch on one CPU)."""

from __future__ import annotations

from typing import Any

from pipeline.data import TransformConfig
from pipeline.data.synth import SynthConfig
from pipeline.model_configs import MLPHeadConfig, ModelConfig, MSCANConfig, model_config_to_dict
from pipeline.training import DatasetSpec

NUM_CLASSES = 10
CHANCE_MIOU = 0.1  # predicting everything as ground gives ~0.075 on this data


def tiny_model_config() -> dict[str, Any]:
    encoder = MSCANConfig(widths=(16, 32, 64, 128), depths=(1, 1, 2, 1), drop_path=0.0)
    return model_config_to_dict(ModelConfig(encoder, MLPHeadConfig(channels=64), num_classes=NUM_CLASSES))


def tiny_dataset(num_train: int = 64, num_val: int = 16) -> DatasetSpec:
    """Whole 64x64 images (crop = image: the frame that decides the twin classes stays in view)."""
    return DatasetSpec(
        "synth",
        synth=SynthConfig(num_train=num_train, num_val=num_val, size=(64, 64), num_classes=NUM_CLASSES),
        transform=TransformConfig(crop_size=(64, 64), ratio_range=(1.0, 1.0)),
    )
