"""Criss-cross attention (Huang et al., "CCNet: Criss-Cross Attention for Semantic Segmentation",
ICCV 2019).

Every position attends to the H + W − 1 positions of its own row and column. The centre belongs
to both; it is kept in the row and masked out of the column so that it is counted once. Row and
column energies share one softmax, so the module is a sparse self-attention whose key set is the
cross through the query. Applied twice with the same weights it reaches every position.
"""

from __future__ import annotations

import torch
from torch import nn


class CrissCrossAttention(nn.Module):
    """Self-attention over each position's row and column, added to the input through a zero-initialised gate."""

    def __init__(self, channels: int, qk_channels: int) -> None:
        super().__init__()
        self.query = nn.Conv2d(channels, qk_channels, 1)
        self.key = nn.Conv2d(channels, qk_channels, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        # Zero start: the module begins as the identity, so it can sit on a pretrained backbone.
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height = x.shape[2]
        q = self.query(x)  # (B, C', H, W)
        k = self.key(x)  # (B, C', H, W)
        v = self.value(x)  # (B, C, H, W)

        # Row energies: query (h, w) against key (h, w') for every w'.
        q_row = q.permute(0, 2, 3, 1)  # (B, H, W, C')
        energy_row = torch.matmul(q_row, k.permute(0, 2, 1, 3))  # (B, H, W, W')
        # Column energies: query (h, w) against key (h', w) for every h'.
        q_col = q.permute(0, 3, 2, 1)  # (B, W, H, C')
        energy_col = torch.matmul(q_col, k.permute(0, 3, 1, 2))  # (B, W, H, H')
        # The centre already sits in the row; -inf drops its second copy from the softmax.
        centre = torch.eye(height, dtype=torch.bool, device=x.device)  # (H, H')
        energy_col = energy_col.masked_fill(centre, float("-inf"))

        energy = torch.cat([energy_row, energy_col.permute(0, 2, 1, 3)], dim=-1)  # (B, H, W, W' + H')
        attn = energy.softmax(dim=-1)
        attn_row, attn_col = attn.split([x.shape[3], height], dim=-1)  # (B, H, W, W'), (B, H, W, H')

        out_row = torch.matmul(attn_row, v.permute(0, 2, 3, 1))  # (B, H, W, C)
        out_col = torch.matmul(attn_col.permute(0, 2, 1, 3), v.permute(0, 3, 2, 1))  # (B, W, H, C)
        out = out_row.permute(0, 3, 1, 2) + out_col.permute(0, 3, 2, 1)  # (B, C, H, W)
        return self.gamma * out + x
