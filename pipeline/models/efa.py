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


def pooled_side(size: int, ratio: int) -> int:
    """Length of one side after EFA pooling: the window is clipped to the side, the last window may be partial."""
    window = min(ratio, size)
    return -(-size // window)


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
    on the pooled tokens, as the all-attention decoder does.
    """

    def __init__(self, dim: int, heads: int, pool_ratio: int, kv_norm: bool, norm_eps: float = 1e-5) -> None:
        super().__init__()
        if dim % heads != 0:
            raise ConfigError(f"EmbeddingFreeAttention: width {dim} is not divisible by heads={heads}")
        if pool_ratio < 1:
            raise ConfigError(f"EmbeddingFreeAttention: expected pool_ratio >= 1, got {pool_ratio}")
        self.heads = heads
        self.pool_ratio = pool_ratio
        self.isr_factor = 1
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
        return pooled_side(height, ratio) * pooled_side(width, ratio)

    def keys_values(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) → the shared keys/values (B, N', C), N' = `kv_tokens(H, W)`."""
        ratio = self.effective_ratio
        grid = x.permute(0, 3, 1, 2)  # (B, C, H, W)
        if ratio != 1:
            # ceil_mode keeps the border rows/columns when the side is not a multiple of the window,
            # and averages a side shorter than the window as a whole; the branch reads no shape, so
            # a traced or exported graph holds for every input size.
            grid = F.avg_pool2d(grid, ratio, ratio, ceil_mode=True)  # (B, C, ⌈H/r⌉, ⌈W/r⌉)
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
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = EmbeddingFreeAttention(dim, heads, pool_ratio, kv_norm)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.ffn = EFTFeedForward(dim, int(dim * mlp_ratio), ffn_relu)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))  # (B, H, W, C)
        return x + self.drop_path(self.ffn(self.norm2(x)))
