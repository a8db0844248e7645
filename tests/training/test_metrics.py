"""Confusion-matrix metrics: a hand-computed matrix, the absent-class rule, and 1 vs 2 workers."""

from __future__ import annotations

import math
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from pipeline import metric_names as m
from pipeline.training import all_reduce_confusion, metrics_from_confusion, update_confusion

IGNORE = 255


def test_confusion_counts_label_rows_prediction_columns_and_skips_ignore() -> None:
    labels = torch.tensor([[0, 0, 1, 1, IGNORE]])
    preds = torch.tensor([[0, 1, 1, 1, 0]])
    confusion = torch.zeros(3, 3, dtype=torch.int64)
    update_confusion(confusion, preds, labels, IGNORE)
    assert confusion.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]


def test_miou_matches_hand_computation() -> None:
    # rows: label, columns: prediction
    confusion = torch.tensor([[50, 10, 0], [5, 30, 5], [0, 0, 0]])
    out = metrics_from_confusion(confusion)
    iou0 = 50 / (50 + 10 + 5)  # TP / (row + column - TP) = 50 / 65
    iou1 = 30 / (40 + 40 - 30)  # 30 / 50
    iou2 = 0 / (0 + 5 - 0)  # class 2 predicted 5 times, never labelled: IoU 0, counted
    assert out["val/iou/0"] == pytest.approx(iou0)
    assert out["val/iou/1"] == pytest.approx(iou1)
    assert out["val/iou/2"] == pytest.approx(iou2)
    assert out[m.VAL_MIOU] == pytest.approx((iou0 + iou1 + iou2) / 3)
    assert out[m.VAL_PIXEL_ACC] == pytest.approx(80 / 100)


def test_class_absent_from_labels_and_predictions_is_left_out_of_the_mean() -> None:
    confusion = torch.tensor([[3, 1, 0], [0, 2, 0], [0, 0, 0]])  # class 2: never labelled, never predicted
    out = metrics_from_confusion(confusion)
    assert math.isnan(out["val/iou/2"])
    assert out[m.VAL_MIOU] == pytest.approx((3 / 4 + 2 / 3) / 2)


def test_label_outside_the_class_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="label value 7"):
        update_confusion(torch.zeros(3, 3, dtype=torch.int64), torch.zeros(1, 2, dtype=torch.int64),
                         torch.tensor([[7, 0]]), IGNORE)


def _batches(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Eight (pred, label) batches of very different sizes: averaging per-worker mIoUs would be wrong."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(8):
        size = 4 + 12 * (i % 3)
        labels = torch.randint(0, 4, (1, size, size), generator=g)
        labels[labels == 3] = torch.where(torch.rand(labels[labels == 3].shape, generator=g) < 0.5, 3, IGNORE)
        preds = torch.where(torch.rand(labels.shape, generator=g) < 0.6, labels.clamp(max=3),
                            torch.randint(0, 4, labels.shape, generator=g))
        out.append((preds, labels))
    return out


def _metrics_for_shard(rank: int, world_size: int) -> dict[str, float]:
    confusion = torch.zeros(4, 4, dtype=torch.int64)
    for preds, labels in _batches(0)[rank::world_size]:
        update_confusion(confusion, preds, labels, IGNORE)
    return metrics_from_confusion(all_reduce_confusion(confusion))


def _worker(rank: int, world_size: int, port: int, queue: mp.Queue) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        queue.put((rank, _metrics_for_shard(rank, world_size)))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_gloo_workers_give_the_single_worker_metrics() -> None:
    single = _metrics_for_shard(0, 1)
    context = mp.get_context("spawn")
    queue = context.Queue()
    port = _free_port()
    procs = [context.Process(target=_worker, args=(r, 2, port, queue)) for r in range(2)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    for rank in (0, 1):
        assert results[rank] == pytest.approx(single, nan_ok=True)
    # The per-worker mean would differ: the shards hold different pixel counts.
    shard_mious = [metrics_from_confusion(_shard_confusion(r))[m.VAL_MIOU] for r in (0, 1)]
    assert sum(shard_mious) / 2 != pytest.approx(single[m.VAL_MIOU], abs=1e-6)


def _shard_confusion(rank: int) -> torch.Tensor:
    confusion = torch.zeros(4, 4, dtype=torch.int64)
    for preds, labels in _batches(0)[rank::2]:
        update_confusion(confusion, preds, labels, IGNORE)
    return confusion
