"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.edaformer import EDADecoderConfig


def build_eda_decoder(config: EDADecoderConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    raise NotImplementedError("eda_decoder is being written")
