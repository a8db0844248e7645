"""Conv-Former block (CFBlock): a transformer block built from convolutions only.

SCTNet: Single-Branch CNN with Transformer Semantic Information for Real-Time Segmentation
(Xu et al., AAAI 2024). Attention is replaced by convolutions with N learnable strip kernels:
the kernels act as keys (C → N similarity maps), a grouped double normalization turns the maps
into attention weights, and the same kernels transposed act as values (N → C).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.models._layers import DropPath


def grouped_double_norm(x: torch.Tensor, groups: int, eps: float = 1e-6) -> torch.Tensor:
    """Softmax of each channel over the H·W positions, then per position divide every channel by
    the sum over the channels of its group (+ eps).

    x: (B, N, H, W) with N divisible by `groups`; returns the same shape.
    """
    b, n, h, w = x.shape
    x = x.reshape(b, groups, n // groups, h * w).softmax(dim=-1)  # each channel sums to 1 over positions
    x = x / (x.sum(dim=2, keepdim=True) + eps)  # channels of a group share the mass at each position
    return x.reshape(b, n, h, w)


class ConvolutionalAttention(nn.Module):
    """BN, then a k×1 and a 1×k branch, each `conv(K) → grouped double norm → conv(Kᵀ)`, summed.

    The kernels are raw parameters applied with `F.conv2d` so that the second conv of a branch can
    reuse them with input and output channels swapped.
    """

    def __init__(self, channels: int, num_kernels: int, kernel_size: int, norm_groups: int) -> None:
        super().__init__()
        self.norm_groups = norm_groups
        self.norm = nn.BatchNorm2d(channels)
        self.vertical = nn.Parameter(torch.empty(num_kernels, channels, kernel_size, 1))
        self.horizontal = nn.Parameter(torch.empty(num_kernels, channels, 1, kernel_size))
        # Tiny kernels make the block start close to its identity shortcut.
        nn.init.trunc_normal_(self.vertical, std=1e-3)
        nn.init.trunc_normal_(self.horizontal, std=1e-3)

    def _branch(self, x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
        padding = (kernels.shape[2] // 2, kernels.shape[3] // 2)
        sim = F.conv2d(x, kernels, padding=padding)  # (B, N, H, W) pixel-patch / kernel similarity
        weights = grouped_double_norm(sim, self.norm_groups)  # (B, N, H, W)
        return F.conv2d(weights, kernels.transpose(0, 1), padding=padding)  # (B, C, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x)  # (B, C, H, W)
        return self._branch(x, self.vertical) + self._branch(x, self.horizontal)


class ConvFFN(nn.Module):
    """BN → 3×3 conv → GELU → 3×3 conv: full convs instead of 1×1s give positional context."""

    def __init__(self, channels: int, hidden_channels: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, eps=1e-6)
        self.fc1 = nn.Conv2d(channels, hidden_channels, 3, padding=1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden_channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(self.norm(x))))  # (B, C, H, W)


class CFBlock(nn.Module):
    """x + drop_path(conv_attention(x)), then x + drop_path(ffn(x)); width and size are kept."""

    def __init__(
        self,
        channels: int,
        num_kernels: int,
        kernel_size: int,
        norm_groups: int,
        ffn_channels: int,
        drop_path: float,
    ) -> None:
        super().__init__()
        self.attn = ConvolutionalAttention(channels, num_kernels, kernel_size, norm_groups)
        self.ffn = ConvFFN(channels, ffn_channels)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(x))  # (B, C, H, W)
        return x + self.drop_path(self.ffn(x))
