"""All-MLP decoder of SegFormer (Xie et al., "SegFormer: Simple and Efficient Design for Semantic
Segmentation with Transformers", NeurIPS 2021).

Each selected stage gets a per-pixel linear embedding (a 1×1 conv with bias) to `channels`; all are
resized bilinearly to the finest selected stage, concatenated, fused by 1×1 conv + BN + ReLU, and
classified after dropout. Embedding before resizing keeps the upsampling cheap: the wide deep
stages are upsampled at `channels` width, not at their own.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.segformer import MLPHeadConfig
from pipeline.models._layers import ConvBNAct, resize


class MLPHead(nn.Module):
    def __init__(
        self,
        in_stages: tuple[int, ...],
        in_channels: tuple[int, ...],
        channels: int,
        dropout: float,
        num_classes: int,
    ) -> None:
        super().__init__()
        if len(in_stages) != len(in_channels):
            raise ValueError(f"MLPHead: {len(in_stages)} stages selected but {len(in_channels)} widths given")
        self.in_stages = in_stages
        # Strides never decrease with the stage index, so the smallest index is the finest map.
        self.target_stage = min(in_stages)
        self.embeds = nn.ModuleList(nn.Conv2d(c, channels, 1) for c in in_channels)
        self.fuse = ConvBNAct(channels * len(in_stages), channels, kernel_size=1)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        size = features[self.target_stage].shape[-2:]
        embedded = [
            resize(embed(features[stage]), size)  # (B, channels, h, w) at the finest selected stride
            for stage, embed in zip(self.in_stages, self.embeds)
        ]
        x = self.fuse(torch.cat(embedded, dim=1))  # (B, channels, h, w)
        return self.classifier(self.dropout(x))  # (B, K, h, w)


def build_mlp_head(config: MLPHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    return MLPHead(
        in_stages=config.in_stages,
        in_channels=tuple(in_channels[i] for i in config.in_stages),
        channels=config.channels,
        dropout=config.dropout,
        num_classes=num_classes,
    )
