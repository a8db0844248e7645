"""Segmentation metrics from one confusion matrix.

Every worker accumulates its own (K, K) matrix (rows: label, columns: prediction); the matrices
are summed across workers with `all_reduce` BEFORE any ratio is taken, so 1 worker and N workers
give the same mIoU on the same images. Averaging per-worker mIoUs would weight workers instead
of pixels and is never done.

Absent-class rule: a class with no pixel in the labels and none in the predictions has IoU 0/0;
it is left out of the mean (NaN in the per-class list). A class predicted but absent from the
labels counts with IoU 0 (every such pixel is a false positive).
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist

from pipeline import metric_names as m

CLASS_IOU_PREFIX = "val/iou/"  # per-class IoU keys: "val/iou/<class index>"


def update_confusion(confusion: torch.Tensor, preds: torch.Tensor, labels: torch.Tensor, ignore_index: int) -> None:
    """Add a batch to `confusion` (K, K) int64 in place; preds and labels int (B, H, W); ignore skipped."""
    k = confusion.shape[0]
    valid = labels != ignore_index
    if bool((labels[valid] >= k).any()) or bool((labels[valid] < 0).any()):
        bad = labels[valid][(labels[valid] >= k) | (labels[valid] < 0)][0].item()
        raise ValueError(f"label value {bad} outside [0, {k}) and not the ignore index {ignore_index}")
    index = labels[valid].to(torch.int64) * k + preds[valid].to(torch.int64)
    confusion += torch.bincount(index, minlength=k * k).reshape(k, k).to(confusion.device)


def all_reduce_confusion(confusion: torch.Tensor) -> torch.Tensor:
    """Sum the matrix over all workers (in place); a no-op outside a process group."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(confusion, op=dist.ReduceOp.SUM)
    return confusion


def metrics_from_confusion(confusion: torch.Tensor) -> dict[str, float]:
    """VAL_MIOU, VAL_PIXEL_ACC and per-class IoU ("val/iou/<i>", NaN for classes absent from both)."""
    cm = confusion.to(torch.float64)
    true_positive = cm.diag()
    union = cm.sum(dim=0) + cm.sum(dim=1) - true_positive
    present = union > 0
    iou = torch.where(present, true_positive / union.clamp(min=1), torch.full_like(union, math.nan))
    total = cm.sum()
    out = {
        m.VAL_MIOU: float(iou[present].mean()) if bool(present.any()) else math.nan,
        m.VAL_PIXEL_ACC: float(true_positive.sum() / total) if total > 0 else math.nan,
    }
    for index, value in enumerate(iou.tolist()):
        out[f"{CLASS_IOU_PREFIX}{index}"] = value
    return out
