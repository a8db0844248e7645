"""LightHamHead (SegNeXt decoder): NMF behaviour, one-step gradient, any encoder's strides, config errors."""

from __future__ import annotations

import pytest
import torch

from pipeline.model_configs import ConfigError, LightHamHeadConfig
from pipeline.models.hamburger import NMF
from pipeline.models.light_ham_head import build_light_ham_head


def _reconstruct(steps: int, x: torch.Tensor, rank: int, seed: int = 0) -> torch.Tensor:
    nmf = NMF(rank, train_steps=steps, eval_steps=steps, one_step_grad=True).eval()
    torch.manual_seed(seed)
    return nmf(x)


def _reference_nmf(x: torch.Tensor, rank: int, steps: int, one_step_grad: bool) -> torch.Tensor:
    """Lee–Seung updates on one matrix with `@`, drawing the bases exactly as the module does."""
    b, c, h, w = x.shape
    bases = torch.rand(b, c, rank)
    bases = bases / bases.norm(dim=1, keepdim=True)
    out = []
    for m, d in zip(x.reshape(b, c, h * w), bases):  # m: (C, N), d: (C, R)
        cf = torch.softmax(m.T @ d, dim=-1)  # (N, R)
        for _ in range(steps):
            cf = cf * (m.T @ d) / (cf @ (d.T @ d) + 1e-6)
            d = d * (m @ cf) / (d @ (cf.T @ cf) + 1e-6)
        if one_step_grad:
            d, cf = d.detach(), cf.detach()
        cf = cf * (m.T @ d) / (cf @ (d.T @ d) + 1e-6)
        out.append(d @ cf.T)
    return torch.stack(out).reshape(b, c, h, w)


def test_nmf_error_decreases_with_more_steps() -> None:
    torch.manual_seed(1)
    x = torch.rand(2, 16, 6, 6)
    errors = [torch.linalg.norm(x - _reconstruct(steps, x, rank=4)).item() for steps in (1, 2, 4, 8, 16)]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors


def test_nmf_output_is_non_negative_and_of_low_rank() -> None:
    torch.manual_seed(2)
    x = torch.rand(1, 12, 5, 5)
    out = _reconstruct(3, x, rank=3)
    assert out.min() >= 0
    assert torch.linalg.matrix_rank(out.reshape(12, 25)).item() <= 3


def test_eval_mode_runs_eval_steps() -> None:
    x = torch.rand(1, 8, 4, 4)
    nmf = NMF(2, train_steps=6, eval_steps=7, one_step_grad=True)
    torch.manual_seed(0)
    trained = nmf.train()(x)
    torch.manual_seed(0)
    evaluated = nmf.eval()(x)
    assert not torch.allclose(trained, evaluated)
    assert torch.allclose(evaluated, _reconstruct(7, x, rank=2))


@pytest.mark.parametrize("one_step_grad", [True, False])
def test_nmf_matches_a_reference_in_value_and_gradient(one_step_grad: bool) -> None:
    torch.manual_seed(3)
    x = torch.rand(2, 6, 3, 4, requires_grad=True)
    weights = torch.randn(2, 6, 3, 4)
    nmf = NMF(3, train_steps=4, eval_steps=4, one_step_grad=one_step_grad)
    torch.manual_seed(0)
    out = nmf(x)
    (grad,) = torch.autograd.grad((out * weights).sum(), x)
    torch.manual_seed(0)
    ref = _reference_nmf(x, 3, 4, one_step_grad)
    (ref_grad,) = torch.autograd.grad((ref * weights).sum(), x)
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.allclose(grad, ref_grad, atol=1e-4)


def test_one_step_gradient_differs_from_the_full_gradient() -> None:
    torch.manual_seed(4)
    x = torch.rand(1, 6, 3, 3, requires_grad=True)
    grads = []
    for one_step in (True, False):
        torch.manual_seed(0)
        out = NMF(3, train_steps=4, eval_steps=4, one_step_grad=one_step)(x)
        grads.append(torch.autograd.grad(out.square().sum(), x)[0])
    assert not torch.allclose(grads[0], grads[1])


def test_nmf_runs_in_float32_under_autocast() -> None:
    x = torch.rand(1, 8, 4, 4).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = NMF(2, 6, 7, True)(x)
    assert out.dtype == torch.bfloat16 and torch.isfinite(out.float()).all()


@pytest.mark.parametrize(
    ("strides", "in_stages", "expected_stride"),
    [((4, 8, 16, 32), (1, 2, 3), 8), ((4, 8, 8, 8), (1, 2, 3), 8), ((4, 8, 16, 32), (3, 1), 32), ((4, 8, 16, 32), (0,), 4)],
)
def test_head_output_is_at_the_first_chosen_stage(strides: tuple[int, ...], in_stages: tuple[int, ...], expected_stride: int) -> None:
    channels = (8, 16, 24, 40)
    config = LightHamHeadConfig(in_stages=in_stages, channels=32, align_channels=16, rank=4, norm_groups=8)
    head = build_light_ham_head(config, channels, num_classes=5).eval()
    features = [torch.randn(2, c, 64 // s, 64 // s) for c, s in zip(channels, strides)]
    with torch.no_grad():
        logits = head(features)
    assert logits.shape == (2, 5, 64 // expected_stride, 64 // expected_stride)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channels": 100}, r"LightHamHeadConfig\.channels: expected a multiple of norm_groups=32"),
        ({"align_channels": 48, "channels": 64, "norm_groups": 32}, r"LightHamHeadConfig\.align_channels: expected a multiple"),
        ({"rank": 0}, r"LightHamHeadConfig\.rank: expected an integer >= 1"),
        ({"eval_steps": 0}, r"LightHamHeadConfig\.eval_steps: expected an integer >= 1"),
        ({"one_step_grad": 1}, r"LightHamHeadConfig\.one_step_grad: expected True or False"),
        ({"in_stages": ()}, r"LightHamHeadConfig\.in_stages: expected a non-empty tuple"),
        ({"dropout": 1.0}, r"LightHamHeadConfig\.dropout: expected a number in \[0\.0, 1\.0\)"),
    ],
)
def test_invalid_config_is_rejected_by_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LightHamHeadConfig(**changes)


def test_default_head_backpropagates_through_every_nmf_update_as_released() -> None:
    assert LightHamHeadConfig().one_step_grad is False
    head = build_light_ham_head(LightHamHeadConfig(channels=8, align_channels=8, rank=3, norm_groups=4), (4, 4, 4, 4), 3)
    nmf = head.hamburger.nmf
    torch.manual_seed(5)
    x = torch.rand(1, 8, 3, 3, requires_grad=True)
    torch.manual_seed(0)
    (grad,) = torch.autograd.grad(nmf(x).square().sum(), x)
    torch.manual_seed(0)
    (full,) = torch.autograd.grad(_reference_nmf(x, 3, nmf.train_steps, one_step_grad=False).square().sum(), x)
    torch.testing.assert_close(grad, full, atol=1e-4, rtol=1e-4)
