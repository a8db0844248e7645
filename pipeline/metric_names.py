"""Metric names shared by measurement, training, search and reports. Imports nothing.

One spelling per quantity, so a column written by the search driver is the column a report reads.
Cost metrics are per image unless the name says otherwise; compute is counted in
multiply-accumulates (MACs), never in FLOPs.
"""

from __future__ import annotations

# Cost of the inference graph.
COST_PARAMS = "cost/params"  # parameters, shared weights counted once
COST_GMACS = "cost/gmacs"  # 1e9 multiply-accumulates per image (see pipeline.measure's MAC rule)
COST_LATENCY_MS = "cost/latency_ms"  # median wall time of one forward of a batch, milliseconds
COST_LATENCY_P10_MS = "cost/latency_p10_ms"  # 10th percentile of the same repeats
COST_LATENCY_P90_MS = "cost/latency_p90_ms"  # 90th percentile of the same repeats
COST_FPS = "cost/fps"  # images per second at the median latency (batch / median)
# Deployment latency: the model exported to ONNX and run by ONNX Runtime on the CPU, timed under the
# same protocol (median and p10/p90 of the repeats of one batch), on the search's benchmark node.
COST_ORT_LATENCY_MS = "cost/ort_latency_ms"
COST_ORT_LATENCY_P10_MS = "cost/ort_latency_p10_ms"
COST_ORT_LATENCY_P90_MS = "cost/ort_latency_p90_ms"

# Quality.
VAL_MIOU = "val/miou"  # mean intersection over union on the validation split
VAL_PIXEL_ACC = "val/pixel_acc"  # correctly labelled pixels / labelled pixels (ignore excluded)
VAL_LOSS = "val/loss"
TRAIN_LOSS = "train/loss"

# Progress.
EPOCH = "epoch"  # epochs completed, counted from 1
TRAIN_IMAGES_PER_S = "train/images_per_s"  # training throughput over all workers
TRAIN_EPOCH_S = "train/epoch_s"  # wall seconds of one epoch's training and validation (rank 0)
TRAIN_NODE = "train/node"  # Ray node id where rank 0 ran the epoch ("" outside Ray): a retry shows its move

COST_METRICS: tuple[str, ...] = (
    COST_PARAMS,
    COST_GMACS,
    COST_LATENCY_MS,
    COST_LATENCY_P10_MS,
    COST_LATENCY_P90_MS,
    COST_FPS,
    COST_ORT_LATENCY_MS,
    COST_ORT_LATENCY_P10_MS,
    COST_ORT_LATENCY_P90_MS,
)

__all__ = [
    "COST_FPS",
    "COST_GMACS",
    "COST_LATENCY_MS",
    "COST_LATENCY_P10_MS",
    "COST_LATENCY_P90_MS",
    "COST_METRICS",
    "COST_ORT_LATENCY_MS",
    "COST_ORT_LATENCY_P10_MS",
    "COST_ORT_LATENCY_P90_MS",
    "COST_PARAMS",
    "EPOCH",
    "TRAIN_EPOCH_S",
    "TRAIN_IMAGES_PER_S",
    "TRAIN_LOSS",
    "TRAIN_NODE",
    "VAL_LOSS",
    "VAL_MIOU",
    "VAL_PIXEL_ACC",
]
