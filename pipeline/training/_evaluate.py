"""Inference for evaluation (whole image or sliding window) and `evaluate` over a dataset split.

Sliding window: windows of `window` size every `stride` pixels, the last row/column of windows
flush with the image border; logits of overlapping windows are summed and divided by how many
windows covered each pixel. Images smaller than a window are padded (and the padding cropped off).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from pipeline.data import EvalTransform, SegmentationDataset, open_dataset
from pipeline.training._config import EvalConfig
from pipeline.training._loading import shard_indices
from pipeline.training._metrics import all_reduce_confusion, metrics_from_confusion, update_confusion
from pipeline.training._specs import DatasetSpec


def _starts(size: int, window: int, stride: int) -> list[int]:
    if size <= window:
        return [0]
    count = math.ceil((size - window) / stride) + 1
    return sorted({min(i * stride, size - window) for i in range(count)})


def slide_inference(model: nn.Module, images: torch.Tensor, num_classes: int, window: tuple[int, int],
                    stride: tuple[int, int]) -> torch.Tensor:
    """Logits (B, K, H, W) averaged over overlapping windows."""
    b, _, h, w = images.shape
    pad_h, pad_w = max(0, window[0] - h), max(0, window[1] - w)
    padded = F.pad(images, (0, pad_w, 0, pad_h)) if pad_h or pad_w else images
    ph, pw = padded.shape[-2:]
    logits = torch.zeros(b, num_classes, ph, pw, device=images.device)
    counts = torch.zeros(1, 1, ph, pw, device=images.device)
    for top in _starts(ph, window[0], stride[0]):
        for left in _starts(pw, window[1], stride[1]):
            crop = padded[:, :, top : top + window[0], left : left + window[1]]
            logits[:, :, top : top + window[0], left : left + window[1]] += model(crop).float()
            counts[:, :, top : top + window[0], left : left + window[1]] += 1
    return (logits / counts)[:, :, :h, :w]


def predict_logits(model: nn.Module, images: torch.Tensor, num_classes: int, eval_config: EvalConfig) -> torch.Tensor:
    if eval_config.mode == "slide":
        return slide_inference(model, images, num_classes, eval_config.window, eval_config.stride)
    return model(images).float()


@torch.no_grad()
def confusion_over(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], num_classes: int,
                   ignore_index: int, eval_config: EvalConfig, device: torch.device,
                   autocast_dtype: torch.dtype | None = None) -> torch.Tensor:
    """This worker's (K, K) confusion matrix over `batches` (not yet summed across workers)."""
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)
    was_training = model.training
    model.eval()
    try:
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)
            with torch.autocast(device.type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None):
                logits = predict_logits(model, images, num_classes, eval_config)
            update_confusion(confusion, logits.argmax(dim=1), labels, ignore_index)
    finally:
        model.train(was_training)
    return confusion


def evaluate(
    model: nn.Module,
    dataset: DatasetSpec,
    eval_config: EvalConfig | None = None,
    split: str = "val",
    device: str | torch.device = "cpu",
    rank: int = 0,
    world_size: int = 1,
    loader_workers: int = 0,
    precision: str = "fp32",
) -> dict[str, float]:
    """Validation metrics of `model` on a split: VAL_MIOU, VAL_PIXEL_ACC and "val/iou/<i>".

    With `world_size` > 1 (inside a process group) each rank evaluates its shard and the
    confusion matrices are summed before the metrics are computed.
    """
    eval_config = eval_config or EvalConfig()
    num_classes = int(model.config.num_classes)  # type: ignore[union-attr]
    source = open_dataset(dataset.dataset_config(split))
    data = SegmentationDataset(source, EvalTransform())
    loader = DataLoader(
        torch.utils.data.Subset(data, shard_indices(len(data), rank, world_size)),
        batch_size=eval_config.batch_size,
        num_workers=loader_workers,
    )
    device = torch.device(device)
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    confusion = confusion_over(model, loader, num_classes, dataset.ignore_index, eval_config, device, autocast_dtype)
    return metrics_from_confusion(all_reduce_confusion(confusion))
