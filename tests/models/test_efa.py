"""Embedding-free attention: against a per-head brute force, pooling sizes, ISR, argument errors."""

from __future__ import annotations

import math

import pytest
import torch

from pipeline.models import ConfigError
from pipeline.models.efa import EFTBlock, EmbeddingFreeAttention, check_isr_factors, pooled_side


def _window_mean(grid: torch.Tensor, ratio: int, ceil: bool) -> torch.Tensor:
    """(C, H, W) → (C, ⌊H/k⌋, ⌊W/k⌋): mean of each k×k window (k = ratio clipped to the side); with
    `ceil`, partial border windows too (⌈H/k⌉ × ⌈W/k⌉)."""
    channels, height, width = grid.shape
    kh, kw = min(ratio, height), min(ratio, width)
    rows = range(0, height if ceil else height - kh + 1, kh)
    cols = range(0, width if ceil else width - kw + 1, kw)
    out = torch.empty(channels, len(rows), len(cols), dtype=grid.dtype)
    for i, top in enumerate(rows):
        for j, left in enumerate(cols):
            out[:, i, j] = grid[:, top : top + kh, left : left + kw].reshape(channels, -1).mean(dim=1)
    return out


def _brute_force(attn: EmbeddingFreeAttention, x: torch.Tensor) -> torch.Tensor:
    """The same attention written as explicit loops over samples and heads."""
    batch, height, width, dim = x.shape
    d = dim // attn.heads
    w_mix = attn.kv_mix.weight[:, :, 0, 0]  # (C_out, C_in)
    outputs = []
    for b in range(batch):
        pooled = _window_mean(x[b].permute(2, 0, 1), attn.effective_ratio, attn.ceil_pool)  # (C, h, w)
        kv = pooled.reshape(dim, -1).T @ w_mix.T + attn.kv_mix.bias  # (N', C)
        if isinstance(attn.kv_norm, torch.nn.LayerNorm):
            mean = kv.mean(dim=1, keepdim=True)
            var = ((kv - mean) ** 2).mean(dim=1, keepdim=True)
            kv = (kv - mean) / torch.sqrt(var + attn.kv_norm.eps) * attn.kv_norm.weight + attn.kv_norm.bias
            kv = 0.5 * kv * (1.0 + torch.erf(kv / math.sqrt(2.0)))
        tokens = x[b].reshape(height * width, dim)  # (N, C)
        heads = []
        for h in range(attn.heads):
            q = tokens[:, h * d : (h + 1) * d]
            k = kv[:, h * d : (h + 1) * d]
            logits = q @ k.T / math.sqrt(d)  # (N, N')
            weights = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
            heads.append(weights / weights.sum(dim=1, keepdim=True) @ k)  # keys are the values
        mixed = torch.cat(heads, dim=1) @ attn.proj.weight.T + attn.proj.bias  # (N, C)
        outputs.append(mixed.reshape(height, width, dim))
    return torch.stack(outputs)


@pytest.mark.parametrize("ceil_pool", [False, True])
@pytest.mark.parametrize(
    ("size", "heads", "ratio", "isr", "kv_norm"),
    [
        ((8, 8), 2, 2, 1, False),
        ((8, 8), 4, 2, 2, True),
        ((7, 10), 2, 4, 1, True),  # sides not divisible by the window: partial last windows
        ((3, 5), 1, 8, 1, False),  # window larger than the input: clipped, one key row
        ((6, 6), 2, 1, 1, True),  # no pooling at all
    ],
)
def test_efa_matches_per_head_brute_force(
    size: tuple[int, int], heads: int, ratio: int, isr: int, kv_norm: bool, ceil_pool: bool
) -> None:
    torch.manual_seed(0)
    attn = EmbeddingFreeAttention(dim=8, heads=heads, pool_ratio=ratio, kv_norm=kv_norm, ceil_pool=ceil_pool).double()
    torch.nn.init.normal_(attn.kv_mix.bias)
    if kv_norm:
        torch.nn.init.normal_(attn.kv_norm.weight)
        torch.nn.init.normal_(attn.kv_norm.bias)
    attn.isr_factor = isr
    x = torch.randn(2, *size, 8, dtype=torch.float64)
    torch.testing.assert_close(attn(x), _brute_force(attn, x))


@pytest.mark.parametrize(
    ("size", "ratio", "ceil_pool", "expected"),
    [
        ((16, 16), 4, False, 16),
        ((10, 7), 4, False, 2),  # floor mode drops the partial border windows
        ((10, 7), 4, True, 6),
        ((3, 2), 8, False, 1),  # window clipped to the side: one token, never zero
        ((5, 5), 1, False, 25),
        ((12, 1), 4, True, 3),
    ],
)
def test_kv_tokens_is_the_pooled_length_and_never_zero(
    size: tuple[int, int], ratio: int, ceil_pool: bool, expected: int
) -> None:
    attn = EmbeddingFreeAttention(dim=4, heads=2, pool_ratio=ratio, kv_norm=False, ceil_pool=ceil_pool)
    x = torch.randn(1, *size, 4)
    assert attn.kv_tokens(*size) == expected == attn.keys_values(x).shape[1]
    assert pooled_side(size[0], ratio, ceil_pool) * pooled_side(size[1], ratio, ceil_pool) == expected


def test_default_pooling_is_the_releases_floor_mode_at_a_non_divisible_size() -> None:
    # 683 / 4 = 170.75 → 171 tokens per side at stride 4; the release pools them with AvgPool2d(8, 8): 21.
    assert pooled_side(171, 8) == 21
    torch.manual_seed(0)
    attn = EmbeddingFreeAttention(dim=4, heads=1, pool_ratio=4, kv_norm=False)
    x = torch.randn(1, 13, 10, 4)
    expected = attn.kv_mix(torch.nn.AvgPool2d(4, 4)(x.permute(0, 3, 1, 2))).flatten(2).transpose(1, 2)
    torch.testing.assert_close(attn.keys_values(x), expected)  # 3 × 2 tokens, the border rows dropped


@pytest.mark.parametrize("factor", [2, 4])
def test_isr_factor_divides_the_key_value_length_by_its_square(factor: int) -> None:
    attn = EmbeddingFreeAttention(dim=4, heads=2, pool_ratio=2, kv_norm=True)
    x = torch.randn(1, 32, 32, 4)
    before = attn.keys_values(x).shape[1]
    attn.isr_factor = factor
    assert before == 256
    assert attn.keys_values(x).shape[1] == before // factor**2
    assert attn(x).shape == x.shape


def test_block_keeps_the_shape() -> None:
    block = EFTBlock(
        16, heads=4, pool_ratio=2, mlp_ratio=1.5, ffn_relu=True, kv_norm=False, drop_path=0.1, norm_eps=1e-6
    )
    x = torch.randn(2, 6, 5, 16)
    assert block(x).shape == x.shape
    assert block.ffn.fc1.out_features == 24


def test_heads_must_divide_the_width() -> None:
    with pytest.raises(ConfigError, match=r"width 10 is not divisible by heads=4"):
        EmbeddingFreeAttention(dim=10, heads=4, pool_ratio=2, kv_norm=False)


@pytest.mark.parametrize("factors", [(1, 2), (1, 2, 0), (1, 2.0, 1), (True, 1, 1)])
def test_isr_factors_are_checked(factors: tuple) -> None:
    with pytest.raises(ConfigError, match=r"Owner\.set_isr: expected 3 integer factors >= 1"):
        check_isr_factors("Owner", factors, 3)
