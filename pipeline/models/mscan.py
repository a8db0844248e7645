"""MSCAN: the multi-scale convolutional attention encoder of SegNeXt.

Guo, Lu, Hou, Liu, Cheng, Hu: "SegNeXt: Rethinking Convolutional Attention Design for Semantic
Segmentation", NeurIPS 2022 (arXiv:2209.08575), Sec. 3.1 and Fig. 2.

Every block is a ViT-shaped pair of residual branches, but the token mixer is a cheap convolutional
attention: depthwise strip convolutions of several lengths produce weights that multiply the input.
Blocks use BatchNorm (better for segmentation than LayerNorm, Sec. 3.1); each stage ends with a
LayerNorm over the channels.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from pipeline.model_configs.segnext import MSCANConfig
from pipeline.models._interfaces import FeatureInfo
from pipeline.models._layers import DropPath, LayerNorm2d, drop_path_schedule


class MultiScaleConvAttention(nn.Module):
    """MSCA: depthwise k×k, then parallel depthwise 1×k → k×1 strips, summed, 1×1 mix, times the input.

    A pair of strips sees a k×k window at the cost of 2k weights per channel, and strips suit
    thin objects (poles, people) common in segmentation scenes.
    """

    def __init__(self, channels: int, square_kernel: int, strip_kernels: tuple[int, ...]) -> None:
        super().__init__()
        c = channels
        self.square = nn.Conv2d(c, c, square_kernel, padding=square_kernel // 2, groups=c)
        self.strips = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c, c, (1, k), padding=(0, k // 2), groups=c),
                nn.Conv2d(c, c, (k, 1), padding=(k // 2, 0), groups=c),
            )
            for k in strip_kernels
        )
        self.mix = nn.Conv2d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        local = self.square(x)  # (B, C, H, W)
        context = local
        for strip in self.strips:
            context = context + strip(local)
        return self.mix(context) * x  # the attention weights re-weight the input directly


class SpatialAttention(nn.Module):
    """1×1 → GELU → MSCA → 1×1 with an inner shortcut (the block's token mixer)."""

    def __init__(self, channels: int, square_kernel: int, strip_kernels: tuple[int, ...]) -> None:
        super().__init__()
        self.proj_in = nn.Conv2d(channels, channels, 1)
        self.act = nn.GELU()
        self.msca = MultiScaleConvAttention(channels, square_kernel, strip_kernels)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj_out(self.msca(self.act(self.proj_in(x))))


class ConvMlp(nn.Module):
    """1×1 expand → depthwise 3×3 → GELU → 1×1 project; the depthwise conv adds positional cues."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.dwconv(self.fc1(x))))


class MSCABlock(nn.Module):
    """BN → attention → layer scale → drop path, residual; BN → MLP → layer scale → drop path, residual."""

    def __init__(
        self,
        channels: int,
        mlp_ratio: float,
        square_kernel: int,
        strip_kernels: tuple[int, ...],
        drop_path: float,
        layer_scale_init: float,
    ) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(channels)
        self.attn = SpatialAttention(channels, square_kernel, strip_kernels)
        self.norm2 = nn.BatchNorm2d(channels)
        self.mlp = ConvMlp(channels, int(channels * mlp_ratio))
        self.layer_scale1 = nn.Parameter(torch.full((channels,), layer_scale_init))
        self.layer_scale2 = nn.Parameter(torch.full((channels,), layer_scale_init))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale1 = self.layer_scale1.view(-1, 1, 1)  # (C, 1, 1), broadcast over H, W
        scale2 = self.layer_scale2.view(-1, 1, 1)
        x = x + self.drop_path(scale1 * self.attn(self.norm1(x)))
        return x + self.drop_path(scale2 * self.mlp(self.norm2(x)))


class StemEmbed(nn.Sequential):
    """Two 3×3 stride-2 convs (to half width, then full width), each with BN; GELU between: stride 4."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        mid = out_channels // 2
        super().__init__(
            nn.Conv2d(in_channels, mid, 3, stride=2, padding=1),
            nn.BatchNorm2d(mid),
            nn.GELU(),
            nn.Conv2d(mid, out_channels, 3, stride=2, padding=1),
            nn.BatchNorm2d(out_channels),
        )


class DownsampleEmbed(nn.Sequential):
    """Overlapping patch embedding between stages: 3×3 stride-2 conv + BN."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1),
            nn.BatchNorm2d(out_channels),
        )


class MSCANStage(nn.Module):
    """Patch embedding → blocks → LayerNorm over channels."""

    def __init__(self, embed: nn.Module, blocks: list[MSCABlock], channels: int) -> None:
        super().__init__()
        self.embed = embed
        self.blocks = nn.Sequential(*blocks)
        self.norm = LayerNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.blocks(self.embed(x)))


class MSCAN(nn.Module):
    """Four stages at strides 4, 8, 16, 32; returns every stage's output."""

    def __init__(
        self,
        widths: tuple[int, ...],
        depths: tuple[int, ...],
        mlp_ratios: tuple[float, ...],
        square_kernel: int,
        strip_kernels: tuple[int, ...],
        drop_path: float,
        layer_scale_init: float,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        rates = drop_path_schedule(drop_path, depths)
        stages = []
        for i, (width, depth) in enumerate(zip(widths, depths)):
            embed = StemEmbed(in_channels, width) if i == 0 else DownsampleEmbed(widths[i - 1], width)
            blocks = [
                MSCABlock(width, mlp_ratios[i], square_kernel, strip_kernels, rates[i][j], layer_scale_init)
                for j in range(depth)
            ]
            stages.append(MSCANStage(embed, blocks, width))
        self.stages = nn.ModuleList(stages)
        self.feature_info = tuple(FeatureInfo(w, s) for w, s in zip(widths, (4, 8, 16, 32)))
        self.apply(_init_weights)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in self.stages:
            x = stage(x)  # (B, C_i, H/s_i, W/s_i)
            features.append(x)
        return features


def _init_weights(module: nn.Module) -> None:
    # He-normal on fan-out per group, as in the paper's ImageNet pre-training; norms keep PyTorch's 1/0.
    if isinstance(module, nn.Conv2d):
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels // module.groups
        nn.init.normal_(module.weight, 0.0, math.sqrt(2.0 / fan_out))
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def build_mscan(config: MSCANConfig) -> nn.Module:
    return MSCAN(
        widths=config.widths,
        depths=config.depths,
        mlp_ratios=config.mlp_ratios,
        square_kernel=config.square_kernel,
        strip_kernels=config.strip_kernels,
        drop_path=config.drop_path,
        layer_scale_init=config.layer_scale_init,
    )
