"""Twin-attention context head: SOTR's hybrid twin transformer (Guo et al., "SOTR: Segmenting Objects
with Transformers", ICCV 2021) used for dense prediction on one encoder stage.

SOTR runs its transformer on FPN levels and feeds class/kernel heads for instance masks; here the
same transformer refines one stage for semantic segmentation:
    1×1 conv + BN + ReLU to `channels` → `depth` hybrid twin layers → 3×3 conv + BN + ReLU
    → dropout → 1×1 classifier.
The closing 3×3 conv is the light fuse step of the usual context heads (CCNet, PSP): it mixes
the transformer output locally before classification.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.sotr import TwinHeadConfig
from pipeline.models._layers import ConvBNAct
from pipeline.models.twin_attention import TwinTransformer


class TwinHead(nn.Module):
    def __init__(
        self,
        in_stage: int,
        in_channels: int,
        channels: int,
        depth: int,
        heads: int,
        ffn_channels: int,
        ffn_branches: int,
        pos_encoding: str,
        dropout: float,
        num_classes: int,
        duplicate_width: bool = True,
    ) -> None:
        super().__init__()
        self.in_stage = in_stage
        self.proj = ConvBNAct(in_channels, channels, kernel_size=1)
        self.transformer = TwinTransformer(
            channels, depth, heads, ffn_channels, ffn_branches, pos_encoding, duplicate_width
        )
        self.fuse = ConvBNAct(channels, channels, kernel_size=3)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = self.proj(features[self.in_stage])  # (B, channels, H/s, W/s)
        x = self.transformer(x)  # (B, channels, H/s, W/s)
        x = self.dropout(self.fuse(x))
        return self.classifier(x)  # (B, K, H/s, W/s)


def build_twin_head(config: TwinHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    return TwinHead(
        in_stage=config.in_stage,
        in_channels=in_channels[config.in_stage],
        channels=config.channels,
        depth=config.depth,
        heads=config.heads,
        ffn_channels=config.ffn_channels(),
        ffn_branches=config.ffn_branches,
        pos_encoding=config.pos_encoding,
        dropout=config.dropout,
        num_classes=num_classes,
        duplicate_width=config.duplicate_width,
    )
