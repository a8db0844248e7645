"""Recurrent criss-cross attention head of CCNet (Huang et al., "CCNet: Criss-Cross Attention for
Semantic Segmentation", ICCV 2019).

One criss-cross attention module is applied `recurrence` times with the same weights: after two
passes every position has gathered context from the whole image at the cost of two sparse
attentions. The result is fused with the head input before the classifier.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.ccnet import CCHeadConfig
from pipeline.models._layers import ConvBNAct
from pipeline.models.criss_cross import CrissCrossAttention

# nn.LeakyReLU's default slope, 0.01, is InPlace-ABN's default, which the release uses.
_ACTIVATIONS: dict[str, type[nn.Module]] = {"leaky_relu": nn.LeakyReLU, "relu": nn.ReLU}


class CCHead(nn.Module):
    """3×3 reduce → R × shared criss-cross attention → 3×3 → concat with the input → 3×3 fuse → classifier."""

    def __init__(
        self,
        in_stage: int,
        in_channels: int,
        channels: int,
        qk_channels: int,
        recurrence: int,
        fuse_channels: int,
        dropout: float,
        num_classes: int,
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__()
        self.in_stage = in_stage
        self.recurrence = recurrence
        act = _ACTIVATIONS[activation]
        self.reduce = ConvBNAct(in_channels, channels, 3, act=act)
        # One module, called `recurrence` times: the parameter count does not grow with R.
        self.attention = CrissCrossAttention(channels, qk_channels)
        self.post = ConvBNAct(channels, channels, 3, act=act)
        self.fuse = ConvBNAct(in_channels + channels, fuse_channels, 3, act=act)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(fuse_channels, num_classes, 1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = features[self.in_stage]  # (B, C_in, H/s, W/s)
        y = self.reduce(x)  # (B, C, H/s, W/s)
        for _ in range(self.recurrence):
            y = self.attention(y)
        y = self.post(y)
        # The input features keep the local detail the attention smooths over.
        y = self.fuse(torch.cat([x, y], dim=1))  # (B, C_fuse, H/s, W/s)
        return self.classifier(self.dropout(y))  # (B, K, H/s, W/s)


def build_cc_head(config: CCHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    return CCHead(
        in_stage=config.in_stage,
        in_channels=in_channels[config.in_stage],
        channels=config.channels,
        qk_channels=config.channels // config.qk_reduction,
        recurrence=config.recurrence,
        fuse_channels=config.fuse_channels,
        dropout=config.dropout,
        num_classes=num_classes,
        activation=config.activation,
    )
