"""SCTNet backbone: preset sizes, grouped double normalization, convolutional attention, stages, config errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from pipeline.model_configs import ConfigError, SCTNetConfig
from pipeline.models import build_model, count_parameters
from pipeline.models.conv_former import ConvolutionalAttention, grouped_double_norm
from pipeline.models.sctnet import build_sctnet

TINY = SCTNetConfig(base_width=8, residual_depths=(1, 1, 1), cf_depths=(1, 1), num_kernels=8, norm_groups=4)


# Official sizes of the inference graph (backbone + DAPPM + segmentation head, Cityscapes 19 classes,
# auxiliary head and teacher excluded). SCTNet-B: 17.4 M, paper Table (Cityscapes). SCTNet-S: the
# reference implementation (xzz777/SCTNet, base_channels=32, spp_channels=64, head channels 128)
# has 4,654,643 parameters, which the paper prints truncated as 4.6 M; the truncation is checked too.
@pytest.mark.parametrize(
    ("preset", "official", "published_tenths"),
    [("sctnet_s", 4_654_643, 46), ("sctnet_b", 17_400_000, 174)],
)
def test_preset_parameter_count(preset: str, official: int, published_tenths: int) -> None:
    n = count_parameters(build_model(preset))
    assert abs(n - official) / official < 0.01, n
    assert int(n / 1e5) == published_tenths, n


def _reference_double_norm(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Written with explicit exponentials and channel slices instead of reshapes."""
    n = x.shape[1]
    e = torch.exp(x - x.amax(dim=(2, 3), keepdim=True))
    p = e / e.sum(dim=(2, 3), keepdim=True)  # per channel, over positions
    size = n // groups
    parts = [p[:, g * size : (g + 1) * size] for g in range(groups)]
    return torch.cat([q / (q.sum(dim=1, keepdim=True) + 1e-6) for q in parts], dim=1)


def test_grouped_double_norm_matches_reference() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 6, 3, 5) * 3
    torch.testing.assert_close(grouped_double_norm(x, groups=2), _reference_double_norm(x, groups=2))


def test_grouped_double_norm_axes() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 8, 4, 5)
    out = grouped_double_norm(x, groups=4)
    # At every position, the channels of each group share a mass of 1 (up to the 1e-6 guard).
    group_sums = out.reshape(2, 4, 2, 4, 5).sum(dim=2)
    torch.testing.assert_close(group_sums, torch.ones_like(group_sums), atol=1e-3, rtol=0)
    # The softmax runs over positions: a per-channel offset cancels, a per-position offset does not.
    torch.testing.assert_close(grouped_double_norm(x + torch.randn(1, 8, 1, 1) * 5, groups=4), out)
    assert not torch.allclose(grouped_double_norm(x + torch.randn(1, 1, 4, 5) * 5, groups=4), out, atol=1e-3)


def _reference_branch(x: torch.Tensor, kernels: torch.Tensor, groups: int) -> torch.Tensor:
    """One attention branch as unfold + matrix products (conv with K, then with K's in/out swapped)."""
    b, c, h, w = x.shape
    n, _, kh, kw = kernels.shape
    padding = (kh // 2, kw // 2)
    patches = F.unfold(x, (kh, kw), padding=padding)  # (B, C·kh·kw, H·W)
    sim = torch.einsum("nk,bkl->bnl", kernels.reshape(n, -1), patches).reshape(b, n, h, w)
    weights = _reference_double_norm(sim, groups)
    patches = F.unfold(weights, (kh, kw), padding=padding)  # (B, N·kh·kw, H·W)
    values = kernels.transpose(0, 1).reshape(c, -1)  # (C, N·kh·kw)
    return torch.einsum("ck,bkl->bcl", values, patches).reshape(b, c, h, w)


@pytest.mark.parametrize("size", [(8, 8), (5, 7), (1, 3)])
def test_convolutional_attention_keeps_shape_and_matches_reference(size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    attn = ConvolutionalAttention(channels=6, num_kernels=8, kernel_size=5, norm_groups=2).eval()
    with torch.no_grad():  # kernels large enough that the softmax is far from uniform
        attn.vertical.normal_(0, 0.3)
        attn.horizontal.normal_(0, 0.3)
        x = torch.randn(2, 6, *size)
        out = attn(x)
        normed = attn.norm(x)
        expected = _reference_branch(normed, attn.vertical, 2) + _reference_branch(normed, attn.horizontal, 2)
    assert out.shape == x.shape
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(("height", "width"), [(64, 96), (50, 70)])
def test_stages_widths_and_strides(height: int, width: int) -> None:
    encoder = build_sctnet(TINY).eval()
    with torch.no_grad():
        features = encoder(torch.randn(1, 3, height, width))
    assert [f.shape[1] for f in features] == [8, 16, 32, 64]
    # Stride-2 convs with padding 1 round odd sizes up.
    for f, stride in zip(features, (4, 8, 16, 32)):
        assert f.shape[-2:] == (-(-height // stride), -(-width // stride))
    expected = list(zip(TINY.stage_channels(), (4, 8, 16, 32)))
    assert [(i.channels, i.stride) for i in encoder.feature_info] == expected


def test_stage_outputs_stay_pre_activation_and_kernels_learn() -> None:
    torch.manual_seed(0)
    encoder = build_sctnet(TINY).train()
    features = encoder(torch.randn(2, 3, 64, 64))
    # Residual stages end without ReLU; the next stage's ReLU must not overwrite them in place.
    assert all((f < 0).any() for f in features[:3])
    sum(f.square().mean() for f in features).backward()
    attn = encoder.stages[3][1].attn
    assert attn.vertical.grad.abs().sum() > 0 and attn.horizontal.grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"num_kernels": 60}, r"SCTNetConfig\.num_kernels: expected a multiple of norm_groups=8, got 60"),
        ({"kernel_size": 6}, r"SCTNetConfig\.kernel_size: expected odd kernel sizes"),
        ({"residual_depths": (2, 2)}, r"SCTNetConfig\.residual_depths: expected a tuple of 3 values"),
        ({"cf_depths": (1, 0)}, r"SCTNetConfig\.cf_depths: expected integers >= 1"),
        ({"ffn_ratio": 0.0}, r"SCTNetConfig\.ffn_ratio: expected positive numbers"),
        ({"drop_path": 1.0}, r"SCTNetConfig\.drop_path: expected a number in \[0\.0, 1\.0\)"),
        ({"base_width": 0}, r"SCTNetConfig\.base_width: expected an integer >= 1"),
    ],
)
def test_invalid_config_is_rejected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SCTNetConfig(**fields)
