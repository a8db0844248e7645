"""Twin attention and the hybrid twin transformer (SOTR, ICCV 2021)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from pipeline.models import count_parameters
from pipeline.models.twin_attention import (
    HybridTwinLayer,
    RowAttention,
    TwinAttention,
    TwinTransformer,
    sine_position_encoding,
)

# SOTR's transformer (dim 256, 12 layers, 8 heads): "≈ 34.6 M parameters for the transformer alone"
# (the paper's number; architectures.md). Per layer, counted from the released transformer:
#   two attention paths × (query 256² + key/value 2·256² + output 256² + 256 bias + 1 gate) = 524,802
#   two conv branches  × (2 × (9·256² + 256 bias) + 1 gate)                                = 2,360,322
# 12 layers × 2,885,124 = 34,621,488; no positional parameters.
SOTR_TRANSFORMER_PARAMS = 34_621_488
SOTR_TRANSFORMER_PARAMS_PAPER = 34.6e6


def _gated_twin_attention(dim: int, heads: int) -> TwinAttention:
    torch.manual_seed(0)
    attn = TwinAttention(dim, heads).double()
    # The gates start at zero (ReZero); give them distinct values so both paths are visible.
    with torch.no_grad():
        attn.column_gate.fill_(0.7)
        attn.row_gate.fill_(-1.3)
    return attn


def _attend_line(module: RowAttention, line: torch.Tensor, heads: int) -> torch.Tensor:
    """Reference multi-head attention over one line of tokens (C, L) -> (C, L), head by head."""
    c, _ = line.shape
    d = c // heads
    wq = module.query.weight
    wk, wv = module.key_value.weight[:c], module.key_value.weight[c:]
    outs = []
    for head in range(heads):
        rows = slice(head * d, (head + 1) * d)
        q, k, v = wq[rows] @ line, wk[rows] @ line, wv[rows] @ line  # (d, L)
        scores = torch.exp((q.t() @ k) / d**0.5)  # (L_query, L_key)
        weights = scores / scores.sum(dim=1, keepdim=True)
        outs.append(v @ weights.t())  # (d, L)
    return module.proj.weight @ torch.cat(outs) + module.proj.bias[:, None]


def test_sotr_transformer_parameter_count() -> None:
    transformer = TwinTransformer(dim=256, depth=12, heads=8, hidden=256, branches=2, pos_encoding="none")
    n = count_parameters(transformer)
    assert n == SOTR_TRANSFORMER_PARAMS
    assert abs(n - SOTR_TRANSFORMER_PARAMS_PAPER) / SOTR_TRANSFORMER_PARAMS_PAPER < 0.01


def test_twin_attention_matches_per_column_and_per_row_attention() -> None:
    dim, heads, h, w = 12, 3, 5, 7
    attn = _gated_twin_attention(dim, heads)
    x = torch.randn(2, dim, h, w, dtype=torch.float64)
    expected = torch.zeros_like(x)
    with torch.no_grad():
        out = attn(x)
        for b in range(x.shape[0]):
            for j in range(w):
                expected[b, :, :, j] += 0.7 * _attend_line(attn.column, x[b, :, :, j], heads)
            for i in range(h):
                expected[b, :, i, :] += -1.3 * _attend_line(attn.row, x[b, :, i, :], heads)
    torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("position", [(0, 0), (2, 3), (4, 6)])
def test_position_sees_only_its_row_and_column(position: tuple[int, int]) -> None:
    i, j = position
    attn = _gated_twin_attention(8, 2)
    x = torch.randn(1, 8, 5, 7, dtype=torch.float64)
    cross = torch.zeros(5, 7, dtype=torch.bool)
    cross[i, :] = True
    cross[:, j] = True
    outside = torch.where(cross, x, torch.randn_like(x))  # every token off the cross replaced
    in_row = x.clone()
    in_row[..., i, (j + 1) % 7] += 1.0
    in_column = x.clone()
    in_column[..., (i + 1) % 5, j] += 1.0
    with torch.no_grad():
        ref = attn(x)[..., i, j]
        torch.testing.assert_close(attn(outside)[..., i, j], ref, rtol=1e-12, atol=1e-12)
        assert not torch.allclose(attn(in_row)[..., i, j], ref)
        assert not torch.allclose(attn(in_column)[..., i, j], ref)


def test_gates_start_at_zero_so_the_stack_is_the_identity() -> None:
    transformer = TwinTransformer(dim=16, depth=2, heads=4, hidden=8, branches=2, pos_encoding="none")
    x = torch.randn(1, 16, 6, 4)
    torch.testing.assert_close(transformer(x), x, rtol=0, atol=0)


def test_hybrid_layer_adds_every_conv_branch() -> None:
    torch.manual_seed(0)
    layer = HybridTwinLayer(dim=8, heads=2, hidden=4, branches=3).double()
    with torch.no_grad():
        for p in (layer.attn.column_gate, layer.attn.row_gate, *(b.gate for b in layer.convs)):
            p.uniform_(0.5, 1.5)
    x = torch.randn(1, 8, 4, 5, dtype=torch.float64)
    with torch.no_grad():
        y = x + layer.attn(x)
        hidden = [F.leaky_relu(F.conv2d(y, b.conv1.weight, b.conv1.bias, padding=1)) for b in layer.convs]
        expected = y + sum(
            b.gate * F.conv2d(z, b.conv2.weight, b.conv2.bias, padding=1) for b, z in zip(layer.convs, hidden)
        )
        torch.testing.assert_close(layer(x), expected)


def test_sine_encoding_splits_channels_between_row_and_column_index() -> None:
    pe = sine_position_encoding(16, 5, 7, torch.device("cpu"), torch.float32)
    assert pe.shape == (1, 16, 5, 7)
    rows, cols = pe[0, :8], pe[0, 8:]
    torch.testing.assert_close(rows, rows[:, :, :1].expand_as(rows))  # row half: constant along a row
    torch.testing.assert_close(cols, cols[:, :1, :].expand_as(cols))  # column half: constant down a column
    assert torch.unique(rows[:, :, 0].t(), dim=0).shape[0] == 5  # every row index encoded differently


def test_sine_encoding_is_added_before_the_layers() -> None:
    transformer = TwinTransformer(dim=8, depth=1, heads=2, hidden=8, branches=1, pos_encoding="sine")
    x = torch.zeros(1, 8, 3, 4)
    torch.testing.assert_close(transformer(x), sine_position_encoding(8, 3, 4, x.device, x.dtype))


def test_heads_not_dividing_width_rejected() -> None:
    with pytest.raises(ValueError, match="dim=10 is not divisible by heads=4"):
        TwinAttention(10, 4)


def test_sine_encoding_needs_width_divisible_by_four() -> None:
    with pytest.raises(ValueError, match="divisible by 4"):
        TwinTransformer(dim=6, depth=1, heads=2, hidden=6, branches=1, pos_encoding="sine")


def test_released_width_duplication_sees_the_other_copy_across_the_seam() -> None:
    # One layer whose attention gates stay zero: only the conv branch acts. On cat((x, x), -1) each
    # half sees zero padding on its outer side and the other copy (a wrap-around) on the seam side,
    # so the averaged halves equal the mean of the zero-padded and the circularly padded results.
    torch.manual_seed(0)
    released = TwinTransformer(dim=4, depth=1, heads=2, hidden=4, branches=1, pos_encoding="none").double()
    with torch.no_grad():
        released.layers[0].convs[0].gate.fill_(0.9)
    single = TwinTransformer(dim=4, depth=1, heads=2, hidden=4, branches=1, pos_encoding="none", duplicate_width=False)
    single.double().load_state_dict(released.state_dict())
    x = torch.randn(1, 4, 5, 7, dtype=torch.float64)
    zero_padded = single(x)
    wrapped = single(torch.cat((x[..., -2:], x, x[..., :2]), dim=-1))[..., 2:-2]  # reach of two 3×3 convs
    out = released(x)
    torch.testing.assert_close(out, (zero_padded + wrapped) / 2)
    assert not torch.allclose(out[..., 0], zero_padded[..., 0])
    torch.testing.assert_close(out[..., 2:-2], zero_padded[..., 2:-2])
