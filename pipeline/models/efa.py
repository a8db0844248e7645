"""Embedding-free attention (EFA) and the transformer block built on it.

Paper: Yu et al., "Embedding-Free Transformer with Inference Spatial Reduction for Efficient
Semantic Segmentation" (EDAFormer), ECCV 2024.

EFA drops the query/key/value projections of self-attention: the input tokens are the queries,
and one average-pooled copy of the input (mixed by a 1×1 conv) serves as both keys and values.
Pooling has no weights, so the pooling ratio can be raised after training (inference spatial
reduction, ISR) without touching the state_dict. Tensors inside the blocks are channels-last
(B, H, W, C), so LayerNorm and the linear layers apply to the last axis directly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.model_configs import ConfigError
from pipeline.models._layers import DropPath


def pooled_side(size: int, ratio: int, ceil: bool = False) -> int:
    """Length of one side after EFA pooling, the window clipped to the side.

    Floor mode (the release's `AvgPool2d(r, r)`) drops the border rows/columns that do not fill a
    window (171 → 21 at r = 8); ceil mode keeps them as one partial window (171 → 22).
    """
    window = min(ratio, size)
    return -(-size // window) if ceil else size // window


def check_isr_factors(owner: str, factors: tuple[int, ...], count: int) -> tuple[int, ...]:
    """The factors as a tuple, or a ConfigError naming `owner` when they are not `count` integers >= 1."""
    factors = tuple(factors)
    if len(factors) != count or any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in factors):
        raise ConfigError(f"{owner}.set_isr: expected {count} integer factors >= 1 (one per stage), got {factors!r}")
    return factors


def init_transformer_weights(module: nn.Module) -> None:
    """Truncated-normal linears and fan-out-scaled convs, the usual start for pyramid transformers."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Conv2d):
        fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels // module.groups
        nn.init.normal_(module.weight, 0.0, math.sqrt(2.0 / fan_out))
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class EmbeddingFreeAttention(nn.Module):
    """softmax(x kvᵀ / sqrt(d)) kv per head, with kv = 1×1 conv of x average-pooled by the ratio.

    The effective pooling ratio is `pool_ratio × isr_factor`; `isr_factor` is a plain attribute
    (1 in training), so changing it leaves the state_dict alone. `kv_norm` adds LayerNorm + GELU
    on the pooled tokens, as the all-attention decoder does. `ceil_pool` keeps partial border
    windows instead of dropping them (the release drops them).
    """

    def __init__(
        self, dim: int, heads: int, pool_ratio: int, kv_norm: bool, norm_eps: float = 1e-5, ceil_pool: bool = False
    ) -> None:
        super().__init__()
        if dim % heads != 0:
            raise ConfigError(f"EmbeddingFreeAttention: width {dim} is not divisible by heads={heads}")
        if pool_ratio < 1:
            raise ConfigError(f"EmbeddingFreeAttention: expected pool_ratio >= 1, got {pool_ratio}")
        self.heads = heads
        self.pool_ratio = pool_ratio
        self.isr_factor = 1
        self.ceil_pool = ceil_pool
        self.kv_mix = nn.Conv2d(dim, dim, kernel_size=1)
        self.kv_norm = nn.LayerNorm(dim, eps=norm_eps) if kv_norm else nn.Identity()
        self.kv_act = nn.GELU() if kv_norm else nn.Identity()
        self.proj = nn.Linear(dim, dim)

    @property
    def effective_ratio(self) -> int:
        return self.pool_ratio * self.isr_factor

    def kv_tokens(self, height: int, width: int) -> int:
        """How many key/value tokens an input of height × width tokens attends to."""
        ratio = self.effective_ratio
        return pooled_side(height, ratio, self.ceil_pool) * pooled_side(width, ratio, self.ceil_pool)

    def _floor_window(self, grid: torch.Tensor) -> tuple[int, int]:
        """The pooling window, clipped to a side shorter than it: tiny maps (and high ISR factors) keep
        one token, not none. Under `torch.export` (ONNX export) the sides are symbolic and the window
        is the ratio itself, so the graph holds for every input whose sides are at least the ratio; a
        trace (TorchScript, MAC counting) records the clipped window of its input size."""
        ratio = self.effective_ratio
        if torch.compiler.is_exporting():
            return ratio, ratio
        height, width = grid.shape[-2:]
        return min(ratio, height), min(ratio, width)

    def keys_values(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) → the shared keys/values (B, N', C), N' = `kv_tokens(H, W)`."""
        ratio = self.effective_ratio
        grid = x.permute(0, 3, 1, 2)  # (B, C, H, W)
        if ratio != 1:
            if self.ceil_pool:
                # Keeps the border rows/columns; a side shorter than the window is averaged whole.
                grid = F.avg_pool2d(grid, ratio, ratio, ceil_mode=True)  # (B, C, ⌈H/r⌉, ⌈W/r⌉)
            else:
                window = self._floor_window(grid)
                grid = F.avg_pool2d(grid, window, window)  # (B, C, ⌊H/r⌋, ⌊W/r⌋), as the release pools
        kv = self.kv_mix(grid).flatten(2).transpose(1, 2)  # (B, N', C)
        return self.kv_act(self.kv_norm(kv))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, height, width, dim = x.shape
        head_dim = dim // self.heads
        q = x.reshape(batch, height * width, self.heads, head_dim).transpose(1, 2)  # (B, heads, N, d)
        kv = self.keys_values(x)
        kv = kv.reshape(batch, -1, self.heads, head_dim).transpose(1, 2)  # (B, heads, N', d)
        out = F.scaled_dot_product_attention(q, kv, kv)  # (B, heads, N, d), scale 1/sqrt(d)
        out = out.transpose(1, 2).reshape(batch, height, width, dim)
        return self.proj(out)


class EFTFeedForward(nn.Module):
    """fc1 → [ReLU] → depthwise 3×3 → GELU → fc2; the depthwise conv gives the tokens position cues."""

    def __init__(self, dim: int, hidden: int, relu: bool) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.relu = nn.ReLU() if relu else nn.Identity()
        self.dwconv = nn.Conv2d(hidden, hidden, kernel_size=3, padding=1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.fc1(x))  # (B, H, W, hidden)
        x = self.dwconv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return self.fc2(self.act(x))  # (B, H, W, C)


class EFTBlock(nn.Module):
    """Pre-norm transformer block: x + EFA(LN(x)), then x + FFN(LN(x)), both with drop path."""

    def __init__(
        self,
        dim: int,
        heads: int,
        pool_ratio: int,
        mlp_ratio: float,
        ffn_relu: bool,
        kv_norm: bool,
        drop_path: float,
        norm_eps: float,
        ceil_pool: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = EmbeddingFreeAttention(dim, heads, pool_ratio, kv_norm, ceil_pool=ceil_pool)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.ffn = EFTFeedForward(dim, int(dim * mlp_ratio), ffn_relu)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))  # (B, H, W, C)
        return x + self.drop_path(self.ffn(self.norm2(x)))
