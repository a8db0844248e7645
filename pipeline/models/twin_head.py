"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.sotr import TwinHeadConfig


def build_twin_head(config: TwinHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    raise NotImplementedError("twin_head is being written")
