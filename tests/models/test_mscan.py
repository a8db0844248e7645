"""MSCAN (SegNeXt encoder): the MSCA block against explicit convolutions, config errors."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from pipeline.model_configs import ConfigError, MSCANConfig
from pipeline.models.mscan import MSCABlock, MultiScaleConvAttention, build_mscan

TINY = MSCANConfig(widths=(8, 16, 24, 32), depths=(1, 1, 2, 1), mlp_ratios=(2, 2, 2, 2))


def _msca_reference(msca: MultiScaleConvAttention, x: torch.Tensor) -> torch.Tensor:
    """MSCA written as explicit depthwise F.conv2d calls on the module's own weights."""
    c = x.shape[1]
    k = msca.square.kernel_size[0]
    local = F.conv2d(x, msca.square.weight, msca.square.bias, padding=k // 2, groups=c)
    total = local.clone()
    for strip in msca.strips:
        horizontal, vertical = strip[0], strip[1]
        n = horizontal.kernel_size[1]
        assert horizontal.weight.shape == (c, 1, 1, n) and vertical.weight.shape == (c, 1, n, 1)
        row = F.conv2d(local, horizontal.weight, horizontal.bias, padding=(0, n // 2), groups=c)
        total = total + F.conv2d(row, vertical.weight, vertical.bias, padding=(n // 2, 0), groups=c)
    attention = F.conv2d(total, msca.mix.weight, msca.mix.bias)
    return attention * x


@pytest.mark.parametrize(("square", "strips"), [(5, (7, 11, 21)), (3, ()), (5, (3, 9))])
def test_msca_equals_explicit_depthwise_convolutions(square: int, strips: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    msca = MultiScaleConvAttention(6, square, strips)
    for p in msca.parameters():  # non-trivial biases so a dropped or misplaced bias shows
        torch.nn.init.normal_(p, 0.0, 0.3)
    x = torch.randn(2, 6, 13, 24)
    assert torch.allclose(msca(x), _msca_reference(msca, x), atol=1e-5)


def test_msca_strip_pair_sees_a_square_window() -> None:
    # Without biases a 1×k then k×1 depthwise pair is one k×k depthwise conv with an outer-product kernel.
    torch.manual_seed(0)
    msca = MultiScaleConvAttention(3, 1, (5,))
    horizontal, vertical = msca.strips[0]
    torch.nn.init.zeros_(horizontal.bias)
    torch.nn.init.zeros_(vertical.bias)
    x = torch.randn(1, 3, 9, 9)
    outer = vertical.weight * horizontal.weight  # (3, 1, 5, 1) * (3, 1, 1, 5) -> (3, 1, 5, 5)
    assert torch.allclose(msca.strips[0](x), F.conv2d(x, outer, padding=2, groups=3), atol=1e-5)


def test_block_with_zero_layer_scale_is_the_identity() -> None:
    block = MSCABlock(8, 4.0, 5, (7, 11), drop_path=0.0, layer_scale_init=0.0).eval()
    x = torch.randn(1, 8, 6, 6)
    assert torch.equal(block(x), x)


@pytest.mark.parametrize("size", [(64, 96), (50, 37)])
def test_features_have_the_published_channels_and_strides(size: tuple[int, int]) -> None:
    encoder = build_mscan(TINY).eval()
    with torch.no_grad():
        features = encoder(torch.randn(1, 3, *size))
    assert [tuple(f) for f in encoder.feature_info] == list(zip(TINY.stage_channels(), TINY.stage_strides()))
    for feature, info in zip(features, encoder.feature_info):
        expected = tuple(-(-s // info.stride) for s in size)  # each stride-2 conv rounds up
        assert feature.shape == (1, info.channels, *expected)


def test_drop_path_rises_linearly_to_the_configured_rate() -> None:
    encoder = build_mscan(dataclasses.replace(TINY, drop_path=0.3))
    rates = [block.drop_path.prob for stage in encoder.stages for block in stage.blocks]
    assert rates[0] == 0.0 and rates[-1] == pytest.approx(0.3)
    assert rates == sorted(rates)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"strip_kernels": (7, 10, 21)}, r"MSCANConfig\.strip_kernels: expected odd kernel sizes"),
        ({"strip_kernels": [7, 11]}, r"MSCANConfig\.strip_kernels: expected a tuple of odd kernel sizes"),
        ({"square_kernel": 0}, r"MSCANConfig\.square_kernel: expected odd kernel sizes >= 1"),
        ({"widths": (1, 64, 160, 256)}, r"MSCANConfig\.widths: expected a first width >= 2"),
        ({"mlp_ratios": (8, 8, 4, 0.001)}, r"MSCANConfig\.mlp_ratios: expected ratios giving at least one hidden"),
        ({"mlp_ratios": (8, 8, 4)}, r"MSCANConfig\.mlp_ratios: expected a tuple of 4 values"),
        ({"layer_scale_init": -0.1}, r"MSCANConfig\.layer_scale_init: expected a number in \[0\.0, 1\.0\]"),
    ],
)
def test_invalid_config_is_rejected_by_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        MSCANConfig(**changes)
