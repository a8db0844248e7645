"""Twin attention and the hybrid twin transformer of SOTR (Guo et al., "SOTR: Segmenting Objects with
Transformers", ICCV 2021).

Twin attention replaces global self-attention on an H×W grid by two sparse paths: every position
attends to the tokens of its column in one path and to the tokens of its row in the other, and the
two results are summed. The cost drops from O((H·W)²) to O(H·W² + H²·W) while two layers still
reach the whole grid.

The hybrid twin layer has no normalisation: each residual branch is scaled by a learned scalar that
starts at zero (ReZero), so the stack is the identity at initialisation and deep stacks train
without warm-up tricks. The layer is
    x = x + g_col · column_attention(x) + g_row · row_attention(x)
    x = x + Σ_b g_b · conv3×3(LeakyReLU(conv3×3(x)))        (b = the parallel conv branches)
The convolutions supply the local context the sparse attention lacks.

The released transformer runs its layers on two copies of the map side by side along the width,
`cat((x, x), -1)`, and averages the two halves at the end (a leftover of its reversible variant,
which splits the input in two). Its 3×3 convs therefore see the other copy across the seam where a
single map would see zero padding; `duplicate_width` reproduces that.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def sine_position_encoding(
    channels: int, height: int, width: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Fixed 2-D sinusoids (1, channels, H, W): the first half of the channels encodes the row index,
    the second half the column index, each as sin/cos pairs over channels/4 frequencies."""
    quarter = channels // 4
    freqs = torch.exp(torch.arange(quarter, device=device, dtype=torch.float32) * (-math.log(10000.0) / quarter))

    def encode(length: int) -> torch.Tensor:
        angles = torch.arange(length, device=device, dtype=torch.float32)[:, None] * freqs  # (L, C/4)
        return torch.cat((angles.sin(), angles.cos()), dim=1)  # (L, C/2)

    rows = encode(height).t()[:, :, None].expand(-1, height, width)  # (C/2, H, W)
    cols = encode(width).t()[:, None, :].expand(-1, height, width)  # (C/2, H, W)
    return torch.cat((rows, cols), dim=0)[None].to(dtype)  # (1, C, H, W)


class RowAttention(nn.Module):
    """Multi-head self-attention among the tokens of each row of a (B, C, H, W) map.

    Queries have their own projection, keys and values a joint one (both without bias, the
    output projection with bias); scores are scaled by 1/sqrt(head width). Column attention is
    this module applied to the transposed map.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads != 0:
            raise ValueError(f"RowAttention: dim={dim} is not divisible by heads={heads}")
        self.heads = heads
        self.query = nn.Linear(dim, dim, bias=False)
        self.key_value = nn.Linear(dim, 2 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        tokens = x.permute(0, 2, 3, 1).reshape(b * h, w, c)  # (B·H, W, C): one sequence per row
        q = self.query(tokens)
        k, v = self.key_value(tokens).chunk(2, dim=-1)
        q, k, v = (t.reshape(b * h, w, self.heads, c // self.heads).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v)  # (B·H, heads, W, C/heads)
        out = self.proj(out.transpose(1, 2).reshape(b * h, w, c))  # (B·H, W, C)
        return out.reshape(b, h, w, c).permute(0, 3, 1, 2)  # (B, C, H, W)


class TwinAttention(nn.Module):
    """Column attention + row attention, each path scaled by its own zero-initialised gate.

    Returns the residual branch only (the caller adds it to its input).
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.column = RowAttention(dim, heads)
        self.row = RowAttention(dim, heads)
        self.column_gate = nn.Parameter(torch.zeros(()))
        self.row_gate = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        columns = self.column(x.transpose(-2, -1)).transpose(-2, -1)  # (B, C, H, W): attention within columns
        rows = self.row(x)  # (B, C, H, W): attention within rows
        return self.column_gate * columns + self.row_gate * rows


class ConvBranch(nn.Module):
    """3×3 conv → LeakyReLU → 3×3 conv (both with bias, no norm), scaled by a zero-initialised gate."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(dim, hidden, 3, padding=1)
        self.act = nn.LeakyReLU()
        self.conv2 = nn.Conv2d(hidden, dim, 3, padding=1)
        self.gate = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gate * self.conv2(self.act(self.conv1(x)))


class HybridTwinLayer(nn.Module):
    """Twin attention, then `branches` parallel 3×3-conv branches; both stages residual."""

    def __init__(self, dim: int, heads: int, hidden: int, branches: int) -> None:
        super().__init__()
        self.attn = TwinAttention(dim, heads)
        self.convs = nn.ModuleList(ConvBranch(dim, hidden) for _ in range(branches))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + sum(branch(x) for branch in self.convs)


class TwinTransformer(nn.Module):
    """A stack of hybrid twin layers on a (B, C, H, W) map, with an optional positional encoding."""

    def __init__(
        self,
        dim: int,
        depth: int,
        heads: int,
        hidden: int,
        branches: int,
        pos_encoding: str,
        duplicate_width: bool = True,
    ) -> None:
        super().__init__()
        if pos_encoding not in ("none", "sine"):
            raise ValueError(f"TwinTransformer: pos_encoding must be 'none' or 'sine', got {pos_encoding!r}")
        if pos_encoding == "sine" and dim % 4 != 0:
            raise ValueError(f"TwinTransformer: pos_encoding='sine' needs dim divisible by 4, got dim={dim}")
        self.pos_encoding = pos_encoding
        self.duplicate_width = duplicate_width
        self.layers = nn.Sequential(*(HybridTwinLayer(dim, heads, hidden, branches) for _ in range(depth)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pos_encoding == "sine":
            x = x + sine_position_encoding(x.shape[1], x.shape[2], x.shape[3], x.device, x.dtype)
        if not self.duplicate_width:
            return self.layers(x)  # (B, C, H, W)
        x = self.layers(torch.cat((x, x), dim=-1))  # (B, C, H, 2W)
        left, right = x.chunk(2, dim=-1)
        return (left + right) / 2  # (B, C, H, W)

    def extra_repr(self) -> str:
        return f"pos_encoding={self.pos_encoding!r}, duplicate_width={self.duplicate_width}"
