"""Cross-entropy with OHEM, and channel-wise distillation against a hand computation."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from pipeline.training import OHEMConfig, channel_wise_divergence, ohem_mask, segmentation_loss

IGNORE = 255


def test_plain_loss_is_cross_entropy_over_labelled_pixels() -> None:
    logits = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.randint(0, 3, (2, 4, 4), generator=torch.Generator().manual_seed(1))
    labels[0, 0, 0] = IGNORE
    expected = F.cross_entropy(logits, labels, ignore_index=IGNORE)
    assert segmentation_loss(logits, labels, IGNORE) == pytest.approx(float(expected))


def _one_row(true_probs: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
    """Two-class logits (1, 2, 1, N) whose class-0 probability is `true_probs`, labels all 0."""
    p = torch.tensor(true_probs)
    logits = torch.stack([torch.log(p), torch.log(1 - p)]).reshape(1, 2, 1, -1)
    return logits, torch.zeros(1, 1, len(true_probs), dtype=torch.int64)


def test_ohem_keeps_pixels_below_the_threshold() -> None:
    logits, labels = _one_row([0.1, 0.95, 0.3, 0.8, 0.6])
    keep = ohem_mask(logits, labels, IGNORE, OHEMConfig(thresh=0.7, min_kept=1))
    assert keep.flatten().tolist() == [True, False, True, False, True]


def test_ohem_keeps_at_least_min_kept_hardest_pixels_and_never_ignored_ones() -> None:
    logits, labels = _one_row([0.9, 0.2, 0.95, 0.85, 0.99])
    labels[0, 0, 1] = IGNORE  # the hardest pixel is ignored: never kept
    keep = ohem_mask(logits, labels, IGNORE, OHEMConfig(thresh=0.5, min_kept=2))
    assert keep.flatten().tolist() == [True, False, False, True, False]  # 0.85 and 0.9: the two hardest labelled


def test_ohem_loss_averages_over_kept_pixels_only() -> None:
    logits, labels = _one_row([0.1, 0.95, 0.3])
    loss = segmentation_loss(logits, labels, IGNORE, OHEMConfig(thresh=0.5, min_kept=1))
    assert float(loss) == pytest.approx((-math.log(0.1) - math.log(0.3)) / 2, rel=1e-5)


def test_cwd_equals_hand_computation() -> None:
    tau = 2.0
    student = torch.tensor([[[[1.0, 2.0], [0.0, 1.0]], [[0.5, 0.5], [3.0, -1.0]]]])  # (1, 2, 2, 2)
    teacher = torch.tensor([[[[2.0, 0.0], [1.0, 1.0]], [[0.0, 1.0], [2.0, 2.0]]]])
    total = 0.0
    for c in range(2):
        s = [v / tau for v in student[0, c].flatten().tolist()]
        t = [v / tau for v in teacher[0, c].flatten().tolist()]
        zs, zt = sum(math.exp(v) for v in s), sum(math.exp(v) for v in t)
        ps, pt = [math.exp(v) / zs for v in s], [math.exp(v) / zt for v in t]
        total += sum(q * math.log(q / p) for q, p in zip(pt, ps))
    expected = total * tau**2 / 2  # averaged over batch x channels = 2
    assert float(channel_wise_divergence(student, teacher, tau)) == pytest.approx(expected, rel=1e-6)
    assert float(channel_wise_divergence(teacher, teacher, tau)) == pytest.approx(0.0, abs=1e-7)


def test_cwd_gives_no_gradient_to_the_teacher_and_rejects_shape_mismatch() -> None:
    student = torch.randn(1, 2, 3, 3, requires_grad=True)
    teacher = torch.randn(1, 2, 3, 3, requires_grad=True)
    channel_wise_divergence(student, teacher, 1.0).backward()
    assert student.grad is not None and teacher.grad is None
    with pytest.raises(ValueError, match="equal shapes"):
        channel_wise_divergence(torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 3, 3), 1.0)
