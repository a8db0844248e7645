"""PLACEHOLDER: replaced by the implementation."""

from __future__ import annotations

from torch import nn

from pipeline.model_configs.sctnet import SCTNetConfig


def build_sctnet(config: SCTNetConfig) -> nn.Module:
    raise NotImplementedError("sctnet is being written")
