"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.sctnet import SCTHeadConfig


def build_sct_head(config: SCTHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    raise NotImplementedError("sct_head is being written")
