"""Initial weights of a training run from a converted file (`TrainConfig.pretrained`)."""

from __future__ import annotations

from pipeline.models import SegmentationModel
from pipeline.training._config import PretrainedConfig
from pipeline.weights import inherit_weights, load_pretrained


def initialise_from(model: SegmentationModel, pretrained: PretrainedConfig) -> None:
    """Copy the file's tensors into `model` (same weights on every rank: the file is the same); with
    `inherit`, a smaller variant's encoder takes the checkpoint's first blocks, leading channels and
    kernel centres."""
    if pretrained.inherit:
        inherit_weights(model, pretrained.path)
    else:
        load_pretrained(model, pretrained.path, pretrained.part, pretrained.strict)
