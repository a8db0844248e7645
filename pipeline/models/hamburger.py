"""Hamburger: global context by non-negative matrix factorization (NMF) of the feature map.

Geng, Guo, Chen, Li, Wei, Lin: "Is Attention Better Than Matrix Decomposition?", ICLR 2021
(arXiv:2109.04553), as used by SegNeXt's LightHamHead (Guo et al., NeurIPS 2022, Sec. 3.2).

The C×(H·W) feature matrix X ≥ 0 is approximated by D·Cᵀ with R bases D (C×R) and coefficients
C (H·W×R); the low-rank reconstruction replaces the input, which removes "noise" and spreads
global context like attention does, at O(C·H·W·R) cost. The factors come from a few Lee–Seung
multiplicative updates, which keep both factors non-negative and never increase ‖X − D·Cᵀ‖².
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

_EPS = 1e-6  # keeps the multiplicative updates finite where a denominator vanishes


def update_coef(x: torch.Tensor, bases: torch.Tensor, coef: torch.Tensor) -> torch.Tensor:
    """One multiplicative update of the coefficients: C ← C ⊙ (XᵀD) / (C·DᵀD)."""
    numerator = torch.bmm(x.transpose(1, 2), bases)  # (B, N, R)
    denominator = torch.bmm(coef, torch.bmm(bases.transpose(1, 2), bases))  # (B, N, R)
    return coef * numerator / (denominator + _EPS)


def update_bases(x: torch.Tensor, bases: torch.Tensor, coef: torch.Tensor) -> torch.Tensor:
    """One multiplicative update of the bases: D ← D ⊙ (XC) / (D·CᵀC)."""
    numerator = torch.bmm(x, coef)  # (B, D, R)
    denominator = torch.bmm(bases, torch.bmm(coef.transpose(1, 2), coef))  # (B, D, R)
    return bases * numerator / (denominator + _EPS)


def initial_bases(batch: int, channels: int, rank: int, device: torch.device) -> torch.Tensor:
    """Random starting bases (B, D, R), uniform in [0, 1); a function of its own so a check that
    compares two runtimes can draw them once for both."""
    return torch.rand(batch, channels, rank, device=device)


class NMF(nn.Module):
    """Low-rank NMF reconstruction of a non-negative (B, C, H, W) map; no weights.

    Bases start random (drawn from torch's RNG on the input's device) and unit-norm per basis at
    every call, so evaluation runs one step more than training to make up for the noisier start.
    With `one_step_grad`, the update loop runs without autograd and only the final coefficient
    update carries gradients: the loop's Jacobian is unstable to backpropagate and costs memory
    per step. The release backpropagates through every update (one_step_grad off).
    """

    def __init__(self, rank: int, train_steps: int, eval_steps: int, one_step_grad: bool) -> None:
        super().__init__()
        self.rank = rank
        self.train_steps = train_steps
        self.eval_steps = eval_steps
        self.one_step_grad = one_step_grad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        steps = self.train_steps if self.training else self.eval_steps
        with _full_precision(x.device.type):
            flat = x.reshape(b, c, h * w).float()  # (B, D=C, N=H·W)
            bases = F.normalize(initial_bases(b, c, self.rank, x.device), dim=1)  # (B, D, R)
            with torch.set_grad_enabled(torch.is_grad_enabled() and not self.one_step_grad):
                coef = F.softmax(torch.bmm(flat.transpose(1, 2), bases), dim=-1)  # (B, N, R)
                for _ in range(steps):
                    coef = update_coef(flat, bases, coef)
                    bases = update_bases(flat, bases, coef)
            coef = update_coef(flat, bases, coef)  # the step gradients flow through
            low_rank = torch.bmm(bases, coef.transpose(1, 2))  # (B, D, N)
        return low_rank.reshape(b, c, h, w).to(x.dtype)

    def extra_repr(self) -> str:
        return (
            f"rank={self.rank}, train_steps={self.train_steps}, eval_steps={self.eval_steps}, "
            f"one_step_grad={self.one_step_grad}"
        )


def _full_precision(device_type: str) -> contextlib.AbstractContextManager:
    # The updates divide by sums of products, which half precision under- and overflows.
    if torch.amp.is_autocast_available(device_type) and torch.is_autocast_enabled(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()


class Hamburger(nn.Module):
    """1×1 conv → ReLU → NMF → 1×1 conv + GroupNorm, added to the input, then ReLU.

    The ReLU before the NMF makes its input non-negative, as the factorization requires.
    """

    def __init__(
        self,
        channels: int,
        rank: int,
        train_steps: int,
        eval_steps: int,
        one_step_grad: bool,
        norm_groups: int,
    ) -> None:
        super().__init__()
        self.ham_in = nn.Conv2d(channels, channels, 1)
        self.nmf = NMF(rank, train_steps, eval_steps, one_step_grad)
        self.ham_out = nn.Sequential(
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.GroupNorm(norm_groups, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        context = self.nmf(F.relu(self.ham_in(x)))  # (B, C, h, w), rank-R reconstruction
        return F.relu(x + self.ham_out(context))
