"""SCTNet head: DAPPM branches, fusion at the high-resolution stage, any encoder layout, config errors."""

from __future__ import annotations

import pytest
import torch

from pipeline.model_configs import ConfigError, SCTHeadConfig
from pipeline.models.dappm import DAPPM
from pipeline.models.sct_head import build_sct_head


def _features(channels: tuple[int, ...], strides: tuple[int, ...], size: int = 64) -> list[torch.Tensor]:
    return [torch.randn(2, c, -(-size // s), -(-size // s)) for c, s in zip(channels, strides)]


@pytest.mark.parametrize(
    ("channels", "strides", "in_stages"),
    [
        ((8, 16, 32, 64), (4, 8, 16, 32), (1, 3)),  # SCTNet layout
        ((16, 32, 64, 128), (4, 8, 8, 8), (1, 3)),  # dilated ResNet at output stride 8
        ((8, 16, 32, 64), (4, 8, 16, 32), (0, 2)),
    ],
)
def test_logits_at_the_high_resolution_stage(
    channels: tuple[int, ...], strides: tuple[int, ...], in_stages: tuple[int, ...]
) -> None:
    config = SCTHeadConfig(in_stages=in_stages, dappm_channels=8, dappm_out_channels=16, head_channels=16)
    head = build_sct_head(config, channels, num_classes=5).train()
    features = _features(channels, strides)
    logits = head(features)
    assert logits.shape == (2, 5) + tuple(features[in_stages[0]].shape[-2:])
    logits.mean().backward()
    assert head.dappm.scale0[2].weight.grad.abs().sum() > 0


@pytest.mark.parametrize(("kernels", "strides"), [((5, 9, 17), (2, 4, 8)), ((3,), (2,)), ((), ())])
def test_dappm_branches(kernels: tuple[int, ...], strides: tuple[int, ...]) -> None:
    dappm = DAPPM(12, 4, 6, kernels, strides).eval()
    # One pooled branch per kernel plus the global one, each with its own 3×3 aggregation conv.
    assert len(dappm.scales) == len(dappm.process) == len(kernels) + 1
    assert dappm.compression[2].in_channels == 4 * (len(kernels) + 2)
    with torch.no_grad():
        for size in ((1, 1), (3, 5), (16, 16)):
            assert dappm(torch.randn(2, 12, *size)).shape == (2, 6, *size)


def test_global_branch_sees_the_whole_map() -> None:
    """A change far from a position reaches it only through the pooled branches."""
    torch.manual_seed(0)
    dappm = DAPPM(4, 4, 4, (), ()).eval()
    x = torch.randn(1, 4, 16, 16)
    y = x.clone()
    y[..., 15, 15] += 10.0
    with torch.no_grad():
        assert not torch.allclose(dappm(x)[..., 0, 0], dappm(y)[..., 0, 0])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"in_stages": (0, 1, 3)}, r"SCTHeadConfig\.in_stages: expected a tuple of 2 values"),
        ({"in_stages": (1, 4)}, r"SCTHeadConfig\.in_stages: expected a non-empty tuple of distinct stage indices"),
        ({"pool_kernels": (5, 8, 17)}, r"SCTHeadConfig\.pool_kernels: expected odd kernel sizes"),
        ({"pool_kernels": [5, 9, 17]}, r"SCTHeadConfig\.pool_kernels: expected a tuple of odd kernel sizes"),
        ({"pool_strides": (2, 4)}, r"SCTHeadConfig\.pool_strides: expected a tuple of 3 strides"),
        ({"pool_strides": (2, 0, 8)}, r"SCTHeadConfig\.pool_strides: expected integers >= 1"),
        ({"head_channels": 0}, r"SCTHeadConfig\.head_channels: expected an integer >= 1"),
        ({"dropout": 1.0}, r"SCTHeadConfig\.dropout: expected a number in \[0\.0, 1\.0\)"),
    ],
)
def test_invalid_config_is_rejected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SCTHeadConfig(**fields)
