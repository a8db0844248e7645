"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.ccnet import CCHeadConfig


def build_cc_head(config: CCHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    raise NotImplementedError("cc_head is being written")
