"""The MAC rule on modules whose multiply-accumulates can be written down by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.measure import MAC_HANDLES, ZERO_MAC_OPS, count_macs, einsum_macs_from_equation, op_status


class AttentionBlock(nn.Module):
    """q/k/v linears → softmax(q kᵀ / sqrt(d)) v per head → output linear, on (B, N, C) tokens."""

    def __init__(self, dim: int, heads: int, fused: bool) -> None:
        super().__init__()
        self.heads, self.fused = heads, fused
        self.q, self.k, self.v, self.proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = (f(x).reshape(b, n, self.heads, c // self.heads).transpose(1, 2) for f in (self.q, self.k, self.v))
        if self.fused:
            out = F.scaled_dot_product_attention(q, k, v)
        else:
            attn = (q @ k.transpose(-2, -1) / (c // self.heads) ** 0.5).softmax(dim=-1)  # (B, h, N, N)
            out = attn @ v  # (B, h, N, d)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Call(nn.Module):
    def __init__(self, fn) -> None:  # noqa: ANN001 - any tensor function
        super().__init__()
        self.fn = fn

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return self.fn(*xs)


def test_grouped_strided_conv_counts_weight_times_output_positions() -> None:
    conv = nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=1, groups=2)
    count = count_macs(conv, torch.randn(1, 4, 10, 12))
    # 6 outputs × (4/2 inputs × 3×3) per position × 5×6 positions; the bias is not a MAC.
    assert count.macs == 6 * 2 * 9 * 5 * 6
    assert count.hook_visible_macs == count.macs


def test_transposed_conv_counts_weight_times_input_positions() -> None:
    deconv = nn.ConvTranspose2d(4, 6, kernel_size=3, stride=2)
    assert count_macs(deconv, torch.randn(2, 4, 5, 5)).macs == 2 * 4 * 6 * 9 * 25


def test_functional_conv_with_parameter_weights_is_counted_but_hook_invisible() -> None:
    class StripAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.kernels = nn.Parameter(torch.randn(8, 4, 7, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            sim = F.conv2d(x, self.kernels, padding=(3, 0))  # (B, 8, H, W)
            return F.conv_transpose2d(sim, self.kernels, padding=(3, 0))  # (B, 4, H, W)

    count = count_macs(StripAttention(), torch.randn(1, 4, 9, 10))
    assert count.macs == 2 * (8 * 4 * 7 * 90)
    assert count.hook_visible_macs == 0


def test_linear_counts_every_leading_dimension() -> None:
    assert count_macs(nn.Linear(5, 9), torch.randn(2, 7, 5)).macs == 2 * 7 * 5 * 9


def test_batched_matmul_counts_output_times_inner_length() -> None:
    b = torch.randn(3, 5, 6)
    assert count_macs(Call(lambda a: torch.bmm(a, b)), torch.randn(3, 4, 5)).macs == 3 * 4 * 5 * 6
    # Broadcast batch: (4, 5) @ (3, 5, 6) is three products of 4×5 by 5×6.
    assert count_macs(Call(lambda a: a[0, :, :] @ b), torch.randn(3, 4, 5)).macs == 3 * 4 * 5 * 6


@pytest.mark.parametrize("fused", [False, True], ids=["matmul", "sdpa"])
def test_attention_block(fused: bool) -> None:
    batch, tokens, dim, heads = 2, 10, 16, 4
    count = count_macs(AttentionBlock(dim, heads, fused), torch.randn(batch, tokens, dim))
    projections = 4 * batch * tokens * dim * dim  # q, k, v and output linears
    scores_and_mix = 2 * batch * tokens * tokens * dim  # q kᵀ and attn v, summed over heads
    assert count.macs == projections + scores_and_mix
    assert count.hook_visible_macs == projections
    assert count.unsupported == {}


def test_einsum_contractions() -> None:
    assert einsum_macs_from_equation("bnc,bmc->bnm", [(2, 3, 4), (2, 5, 4)]) == 2 * 3 * 5 * 4
    assert einsum_macs_from_equation("...ij,...jk", [(7, 2, 3), (3, 4)]) == 7 * 2 * 3 * 4
    assert einsum_macs_from_equation("ij->ji", [(3, 4)]) == 0
    x, y = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    assert count_macs(Call(lambda a: torch.einsum("bnc,bmc->bnm", a, y)), x).macs == 2 * 3 * 5 * 4


def test_non_mac_ops_count_zero() -> None:
    model = nn.Sequential(nn.BatchNorm2d(3), nn.GELU(), nn.Upsample(scale_factor=2, mode="bilinear"), nn.Softmax(dim=1))
    count = count_macs(model, torch.randn(1, 3, 4, 4))
    assert count.macs == 0
    assert count.unsupported == {}
    assert {"aten::batch_norm", "aten::gelu", "aten::softmax"} <= set(count.calls)


def test_rule_tables_do_not_overlap() -> None:
    zero = {f"aten::{name}" for names in ZERO_MAC_OPS.values() for name in names}
    assert not zero & set(MAC_HANDLES)
    assert op_status("aten::bmm") == "counted"
    assert op_status("aten::softmax") == "zero by rule"
    assert op_status("aten::cdist") == "unsupported"
