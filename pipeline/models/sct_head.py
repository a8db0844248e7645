"""SCTNet decode head: DAPPM on the deep stage, fused with a high-resolution stage.

SCTNet: Single-Branch CNN with Transformer Semantic Information for Real-Time Segmentation
(Xu et al., AAAI 2024). The DAPPM output is upsampled to the high-resolution stage, concatenated
with it, and classified by BN → ReLU → 3×3 conv → BN → ReLU → 1×1 conv. The auxiliary head and
the teacher-alignment branches are training-only and not part of this graph.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.sctnet import SCTHeadConfig
from pipeline.models._layers import resize
from pipeline.models.dappm import DAPPM


class SCTHead(nn.Module):
    def __init__(
        self,
        high_stage: int,
        deep_stage: int,
        high_channels: int,
        deep_channels: int,
        dappm_channels: int,
        dappm_out_channels: int,
        pool_kernels: tuple[int, ...],
        pool_strides: tuple[int, ...],
        head_channels: int,
        num_classes: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.high_stage = high_stage
        self.deep_stage = deep_stage
        self.dappm = DAPPM(deep_channels, dappm_channels, dappm_out_channels, pool_kernels, pool_strides)
        fused = high_channels + dappm_out_channels
        self.fuse = nn.Sequential(
            nn.BatchNorm2d(fused),
            nn.ReLU(),
            nn.Conv2d(fused, head_channels, 3, padding=1),
            nn.BatchNorm2d(head_channels),
            nn.ReLU(),
        )
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(head_channels, num_classes, 1)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        high = features[self.high_stage]  # (B, C_h, H/s_h, W/s_h)
        context = resize(self.dappm(features[self.deep_stage]), high.shape[-2:])  # (B, C_dappm, H/s_h, W/s_h)
        x = self.fuse(torch.cat([high, context], dim=1))  # (B, C_head, H/s_h, W/s_h)
        return self.classifier(self.dropout(x))  # (B, K, H/s_h, W/s_h)


def build_sct_head(config: SCTHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    high, deep = config.in_stages
    return SCTHead(
        high_stage=high,
        deep_stage=deep,
        high_channels=in_channels[high],
        deep_channels=in_channels[deep],
        dappm_channels=config.dappm_channels,
        dappm_out_channels=config.dappm_out_channels,
        pool_kernels=config.pool_kernels,
        pool_strides=config.pool_strides,
        head_channels=config.head_channels,
        num_classes=num_classes,
        dropout=config.dropout,
    )
