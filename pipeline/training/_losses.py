"""Losses: cross-entropy with ignore index and optional OHEM, and channel-wise distillation (CWD).

OHEM (Shrivastava et al., CVPR 2016, as used for segmentation by mmseg's OHEMPixelSampler): rank
the labelled pixels of a batch by the predicted probability of their true class and train only on
those below `thresh`, raising the threshold so that at least `min_kept` pixels stay.
CWD (Shu et al., ICCV 2021): per channel, softmax over the H x W positions at temperature tau;
KL(teacher || student) summed over positions, averaged over batch and channels, times tau^2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pipeline.training._config import OHEMConfig


def ohem_mask(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int, ohem: OHEMConfig) -> torch.Tensor:
    """Bool (B, H, W): the pixels OHEM keeps (the hardest ones; never an ignored pixel)."""
    with torch.no_grad():
        valid = labels != ignore_index  # (B, H, W)
        if not bool(valid.any()):
            return valid
        probs = logits.float().softmax(dim=1)  # (B, K, H, W)
        safe = torch.where(valid, labels, torch.zeros_like(labels))
        true_prob = probs.gather(1, safe.unsqueeze(1)).squeeze(1)  # (B, H, W)
        valid_probs = true_prob[valid]
        k = min(ohem.min_kept, valid_probs.numel())
        kth = torch.kthvalue(valid_probs, k).values  # the k-th smallest true-class probability
        threshold = torch.maximum(kth, torch.tensor(ohem.thresh, dtype=kth.dtype))
        keep = valid & (true_prob <= threshold)
        return keep


def segmentation_loss(
    logits: torch.Tensor, labels: torch.Tensor, ignore_index: int, ohem: OHEMConfig | None = None
) -> torch.Tensor:
    """Mean cross-entropy over labelled pixels (over OHEM-kept pixels when `ohem` is given).

    logits (B, K, H, W) at label resolution, labels int64 (B, H, W).
    """
    if ohem is None:
        return F.cross_entropy(logits.float(), labels, ignore_index=ignore_index)
    keep = ohem_mask(logits, labels, ignore_index, ohem)
    per_pixel = F.cross_entropy(logits.float(), labels, ignore_index=ignore_index, reduction="none")  # (B, H, W)
    return (per_pixel * keep).sum() / keep.sum().clamp(min=1)


def channel_wise_divergence(student: torch.Tensor, teacher: torch.Tensor, tau: float) -> torch.Tensor:
    """CWD between (B, C, H, W) maps of equal shape; the teacher receives no gradient."""
    if student.shape != teacher.shape:
        raise ValueError(f"CWD needs equal shapes, got student {tuple(student.shape)} and teacher {tuple(teacher.shape)}")
    b, c = student.shape[:2]
    s = student.float().flatten(2) / tau  # (B, C, H*W)
    t = teacher.detach().float().flatten(2) / tau
    t_log = t.log_softmax(dim=2)
    kl = (t_log.exp() * (t_log - s.log_softmax(dim=2))).sum()
    return kl * tau**2 / (b * c)
