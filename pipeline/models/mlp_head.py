"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.segformer import MLPHeadConfig


def build_mlp_head(config: MLPHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    raise NotImplementedError("mlp_head is being written")
