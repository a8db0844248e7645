"""Criss-cross attention: parameter count, agreement with a per-position loop, and its reach."""

from __future__ import annotations

import pytest
import torch

from pipeline.models import count_parameters
from pipeline.models.criss_cross import CrissCrossAttention

# At C = 512 with C/8 query/key channels (CCNet's setting):
#   query, key: 1×1 conv 512 → 64 with bias = 512·64 + 64 = 32_832 each
#   value:      1×1 conv 512 → 512 with bias = 512·512 + 512 = 262_656
#   gamma:      1
# total 2·32_832 + 262_656 + 1 = 328_321 (architectures.md: "≈ 0.328 M parameters").
CRISS_CROSS_512_PARAMS = 328_321


def _module(channels: int, qk_channels: int, gamma: float, seed: int = 0) -> CrissCrossAttention:
    torch.manual_seed(seed)
    module = CrissCrossAttention(channels, qk_channels).double().eval()
    with torch.no_grad():
        module.gamma.fill_(gamma)
    return module


def _brute_force(module: CrissCrossAttention, x: torch.Tensor) -> torch.Tensor:
    """One position at a time: gather its row, then its column without the centre, one softmax."""
    q, k, v = module.query(x), module.key(x), module.value(x)
    batch, _, height, width = x.shape
    out = torch.empty_like(x)
    for b in range(batch):
        for i in range(height):
            for j in range(width):
                cross = [(i, jj) for jj in range(width)] + [(ii, j) for ii in range(height) if ii != i]
                energies = torch.stack([q[b, :, i, j] @ k[b, :, ii, jj] for ii, jj in cross])
                weights = torch.softmax(energies, dim=0)
                context = sum(w * v[b, :, ii, jj] for w, (ii, jj) in zip(weights, cross))
                out[b, :, i, j] = module.gamma * context + x[b, :, i, j]
    return out


def test_parameter_count_at_512_channels() -> None:
    module = CrissCrossAttention(512, 512 // 8)
    assert count_parameters(module) == CRISS_CROSS_512_PARAMS
    assert count_parameters(module) == pytest.approx(0.328e6, rel=0.01)


@pytest.mark.parametrize("height, width", [(5, 4), (3, 7), (1, 6)])
def test_matches_brute_force(height: int, width: int) -> None:
    module = _module(channels=6, qk_channels=3, gamma=0.7)
    x = torch.randn(2, 6, height, width, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(module(x), _brute_force(module, x))


def test_gamma_starts_at_zero_so_module_starts_as_identity() -> None:
    module = CrissCrossAttention(8, 2)
    assert module.gamma.item() == 0.0
    x = torch.randn(1, 8, 4, 5)
    torch.testing.assert_close(module(x), x)


def test_one_pass_sees_only_the_cross_two_passes_see_everything() -> None:
    module = _module(channels=4, qk_channels=2, gamma=1.0)
    x = torch.randn(1, 4, 5, 6, dtype=torch.float64)
    moved = x.clone()
    moved[:, :, 4, 5] += 3.0  # a position off the cross of (1, 2)
    with torch.no_grad():
        once, once_moved = module(x), module(moved)
        twice, twice_moved = module(once), module(once_moved)
    # Same row (1, 5) or column (4, 2) as the change: affected after one pass.
    assert not torch.allclose(once[:, :, 1, 5], once_moved[:, :, 1, 5])
    assert not torch.allclose(once[:, :, 4, 2], once_moved[:, :, 4, 2])
    # Off the cross: untouched after one pass, reached through (1, 5) or (4, 2) after two.
    torch.testing.assert_close(once[:, :, 1, 2], once_moved[:, :, 1, 2])
    assert not torch.allclose(twice[:, :, 1, 2], twice_moved[:, :, 1, 2])
