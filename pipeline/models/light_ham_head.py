"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.segnext import LightHamHeadConfig


def build_light_ham_head(config: LightHamHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    raise NotImplementedError("light_ham_head is being written")
