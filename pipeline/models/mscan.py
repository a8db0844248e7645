"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.segnext import MSCANConfig


def build_mscan(config: MSCANConfig) -> nn.Module:
    raise NotImplementedError("mscan is being written")
