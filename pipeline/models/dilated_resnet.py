"""Dilated ResNet with a deep stem, the backbone of CCNet (Huang et al., "CCNet: Criss-Cross
Attention for Semantic Segmentation", ICCV 2019; ResNet: He et al., CVPR 2016).

The 7×7 stem conv is replaced by three 3×3 convs. Below the output stride the stages stop
striding and dilate their 3×3 convs instead (output stride 8: dilation 2 in stage 3 and 4 in
stage 4), which keeps the receptive field of the ImageNet network at a finer resolution. As in
the released CCNet, the first block of a dilated stage is dilated too and the stem's max-pool
rounds up; both have switches for torchvision's convention.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.ccnet import DilatedResNetConfig
from pipeline.models._interfaces import FeatureInfo
from pipeline.models._layers import ConvBNAct

_EXPANSION = 4  # bottleneck output width / bottleneck width


class Bottleneck(nn.Module):
    """1×1 reduce → 3×3 (strided or dilated) → 1×1 expand, plus a projected shortcut when the shape changes."""

    def __init__(self, in_channels: int, width: int, out_channels: int, stride: int, dilation: int) -> None:
        super().__init__()
        self.reduce = ConvBNAct(in_channels, width, 1)
        # Stride on the 3×3 conv rather than the first 1×1, so no input pixel is skipped.
        self.spatial = ConvBNAct(width, width, 3, stride=stride, dilation=dilation)
        self.expand = ConvBNAct(width, out_channels, 1, act=None)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = ConvBNAct(in_channels, out_channels, 1, stride=stride, act=None)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand(self.spatial(self.reduce(x)))  # (B, C_out, H/s, W/s)
        return self.act(out + self.shortcut(x))


class ResNetStage(nn.Sequential):
    """`depth` bottlenecks; only the first changes width or resolution.

    With `first_dilation` equal to the previous stage's dilation (torchvision), the first 3×3 conv
    keeps the grid it would have strided on, and a dilated stage computes exactly the plain stage's
    outputs on a denser grid; the release gives the first block the stage's dilation instead.
    """

    def __init__(
        self, in_channels: int, width: int, depth: int, stride: int, first_dilation: int, dilation: int
    ) -> None:
        out_channels = width * _EXPANSION
        blocks = [Bottleneck(in_channels, width, out_channels, stride, first_dilation)]
        blocks += [Bottleneck(out_channels, width, out_channels, 1, dilation) for _ in range(depth - 1)]
        super().__init__(*blocks)


class DilatedResNet(nn.Module):
    """Deep stem + four bottleneck stages; returns every stage's output."""

    def __init__(
        self,
        depths: tuple[int, ...],
        stem_width: int,
        base_width: int,
        stage_strides: tuple[int, ...],
        first_block_dilation: str = "stage",
        stem_pool_ceil: bool = True,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            ConvBNAct(3, stem_width, 3, stride=2),
            ConvBNAct(stem_width, stem_width, 3),
            ConvBNAct(stem_width, 2 * stem_width, 3),
            # ceil mode (the release): H/2 = 128 → 65; floor mode: exactly H/4 for even H.
            nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=stem_pool_ceil),
        )
        stages: list[nn.Module] = []
        channels: list[int] = []
        in_channels, previous_stride, dilation = 2 * stem_width, 4, 1
        for i, (depth, target_stride) in enumerate(zip(depths, stage_strides)):
            width = base_width * 2**i
            stride = target_stride // previous_stride
            previous_dilation = dilation
            if i > 0 and stride == 1:
                dilation *= 2  # this stage would have halved the resolution: widen the 3×3 taps instead
            first_dilation = dilation if first_block_dilation == "stage" else previous_dilation
            stages.append(ResNetStage(in_channels, width, depth, stride, first_dilation, dilation))
            in_channels, previous_stride = width * _EXPANSION, target_stride
            channels.append(in_channels)
        self.stages = nn.ModuleList(stages)
        self.feature_info = tuple(FeatureInfo(c, s) for c, s in zip(channels, stage_strides))
        self._init_weights()

    def _init_weights(self) -> None:
        # He initialisation for ReLU networks; the default uniform init trains deep ResNets poorly from scratch.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)  # (B, 2·stem_width, H/4, W/4)
        features = []
        for stage in self.stages:
            x = stage(x)  # (B, 4·base_width·2^i, H/s_i, W/s_i)
            features.append(x)
        return features


def build_dilated_resnet(config: DilatedResNetConfig) -> nn.Module:
    return DilatedResNet(
        depths=config.depths,
        stem_width=config.stem_width,
        base_width=config.base_width,
        stage_strides=config.stage_strides(),
        first_block_dilation=config.first_block_dilation,
        stem_pool_ceil=config.stem_pool_ceil,
    )
