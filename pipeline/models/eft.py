"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.edaformer import EFTConfig


def build_eft(config: EFTConfig) -> nn.Module:
    raise NotImplementedError("eft is being written")
