"""Deep Aggregation Pyramid Pooling Module (DAPPM).

From DDRNet (Hong et al., "Deep Dual-Resolution Networks for Real-Time and Accurate Semantic
Segmentation of Road Scenes", 2021), in the form SCTNet (Xu et al., AAAI 2024) puts on its
deepest stage. Every layer is pre-activated (BN → ReLU → conv). Each pooled branch is added to
the previous branch's output before its 3×3 conv, so context is aggregated hierarchically from
fine to global.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.models._layers import resize


def bn_relu_conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    """Pre-activated conv: BN → ReLU → k×k conv (with bias, since no BN follows it)."""
    return nn.Sequential(
        nn.BatchNorm2d(in_channels),
        nn.ReLU(),
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2),
    )


class DAPPM(nn.Module):
    """Average pools (kernel k, stride s, padding k//2) and a global pool, aggregated hierarchically.

    Output: 1×1 compression of [unpooled, branch_1, ..., branch_global] plus a 1×1 shortcut.
    """

    def __init__(
        self,
        in_channels: int,
        inner_channels: int,
        out_channels: int,
        pool_kernels: tuple[int, ...],
        pool_strides: tuple[int, ...],
    ) -> None:
        super().__init__()
        self.scale0 = bn_relu_conv(in_channels, inner_channels, 1)
        pools: list[nn.Module] = [nn.AvgPool2d(k, s, k // 2) for k, s in zip(pool_kernels, pool_strides)]
        pools.append(nn.AdaptiveAvgPool2d(1))
        self.scales = nn.ModuleList(
            nn.Sequential(pool, bn_relu_conv(in_channels, inner_channels, 1)) for pool in pools
        )
        self.process = nn.ModuleList(bn_relu_conv(inner_channels, inner_channels, 3) for _ in pools)
        self.compression = bn_relu_conv(inner_channels * (len(pools) + 1), out_channels, 1)
        self.shortcut = bn_relu_conv(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        outs = [self.scale0(x)]  # [(B, C_inner, H, W)]
        for scale, process in zip(self.scales, self.process):
            pooled = resize(scale(x), size)  # (B, C_inner, H, W) from a coarser grid
            outs.append(process(pooled + outs[-1]))
        return self.compression(torch.cat(outs, dim=1)) + self.shortcut(x)  # (B, C_out, H, W)
