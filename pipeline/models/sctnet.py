"""SCTNet backbone: a single-branch CNN whose deep stages are Conv-Former blocks.

SCTNet: Single-Branch CNN with Transformer Semantic Information for Real-Time Segmentation
(Xu et al., AAAI 2024). Stem of two stride-2 3×3 convs, three stages of basic residual blocks
(stage 3 closed by CFBlocks), then a stride-2 conv and CFBlocks at 1/32. The transformer teacher
and the alignment branches exist only in training and are not part of this graph; the four stage
outputs are what they align to.

As in DDRNet-style backbones, the last residual block of a stage has no final ReLU: the stage
output stays pre-activation (the head's DAPPM and BN-first layers expect that) and the next stage
begins with a ReLU.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.sctnet import SCTNetConfig
from pipeline.models._interfaces import FeatureInfo
from pipeline.models._layers import ConvBNAct
from pipeline.models.conv_former import CFBlock


class BasicBlock(nn.Module):
    """ResNet basic block; `final_relu=False` leaves the sum un-activated."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, final_relu: bool) -> None:
        super().__init__()
        self.conv1 = ConvBNAct(in_channels, out_channels, 3, stride)
        self.conv2 = ConvBNAct(out_channels, out_channels, 3, act=None)
        self.shortcut = (
            ConvBNAct(in_channels, out_channels, 1, stride, act=None)
            if stride != 1 or in_channels != out_channels
            else nn.Identity()
        )
        self.act = nn.ReLU() if final_relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv2(self.conv1(x)) + self.shortcut(x))  # (B, C_out, H/s, W/s)


def residual_blocks(in_channels: int, out_channels: int, depth: int, stride: int) -> list[nn.Module]:
    """`depth` basic blocks, the first one changing width/stride, the last one without final ReLU."""
    return [
        BasicBlock(in_channels if i == 0 else out_channels, out_channels, stride if i == 0 else 1, i < depth - 1)
        for i in range(depth)
    ]


def cf_blocks(
    channels: int,
    depth: int,
    num_kernels: int,
    kernel_size: int,
    norm_groups: int,
    ffn_channels: int,
    drop_path: float,
    activated_input: bool,
) -> list[nn.Module]:
    """CFBlocks, each preceded by a ReLU (residual outputs are pre-activation); skipped when the input
    already went through one."""
    layers: list[nn.Module] = []
    for i in range(depth):
        if i > 0 or not activated_input:
            layers.append(nn.ReLU())
        layers.append(CFBlock(channels, num_kernels, kernel_size, norm_groups, ffn_channels, drop_path))
    return layers


class SCTNet(nn.Module):
    """Four sequential stages; forward returns every stage's output (c@4, 2c@8, 4c@16, 8c@32)."""

    def __init__(self, stages: list[nn.Module], feature_info: tuple[FeatureInfo, ...]) -> None:
        super().__init__()
        self.stages = nn.ModuleList(stages)
        self.feature_info = feature_info
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in self.stages:
            x = stage(x)  # (B, C_i, H/s_i, W/s_i)
            features.append(x)
        return features


def build_sctnet(config: SCTNetConfig) -> nn.Module:
    c1, c2, c3, c4 = config.stage_channels()
    d1, d2, d3 = config.residual_depths
    cf3, cf4 = config.cf_depths

    def cf(channels: int, depth: int, activated_input: bool) -> list[nn.Module]:
        ffn_channels = max(1, round(channels * config.ffn_ratio))
        return cf_blocks(
            channels,
            depth,
            config.num_kernels,
            config.kernel_size,
            config.norm_groups,
            ffn_channels,
            config.drop_path,
            activated_input,
        )

    stages: list[nn.Module] = [
        nn.Sequential(  # (B, c, H/4, W/4)
            ConvBNAct(3, c1, 3, 2),
            ConvBNAct(c1, c1, 3, 2),
            *residual_blocks(c1, c1, d1, 1),
        ),
        nn.Sequential(nn.ReLU(), *residual_blocks(c1, c2, d2, 2)),  # (B, 2c, H/8, W/8)
        nn.Sequential(  # (B, 4c, H/16, W/16)
            nn.ReLU(),
            *residual_blocks(c2, c3, d3, 2),
            *cf(c3, cf3, activated_input=False),
        ),
        nn.Sequential(ConvBNAct(c3, c4, 3, 2), *cf(c4, cf4, activated_input=True)),  # (B, 8c, H/32, W/32)
    ]
    info = tuple(FeatureInfo(ch, s) for ch, s in zip(config.stage_channels(), config.stage_strides()))
    return SCTNet(stages, info)
