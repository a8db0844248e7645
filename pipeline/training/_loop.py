"""The training loop of one worker, in plain torch (Ray only calls it): `Trainer`.

Builds the model (same initial weights on every rank), the training-only heads, the optimizer
and per-iteration schedule, optional teacher; runs epochs under DDP when a process group exists;
evaluates with confusion matrices summed across ranks; saves and restores its whole state.

BatchNorm under DDP: with more than one worker on CUDA the model's BatchNorms become
SyncBatchNorm (`sync_bn`), as the papers train; torch's SyncBatchNorm does not run on CPU, so
CPU workers keep per-worker batch statistics (DDP broadcasts rank 0's running statistics each step).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError, model_config_from_dict
from pipeline.models import SegmentationModel, build_model
from pipeline.training._checkpoint import (
    MODEL_FILE,
    TRAINING_FILE,
    load_checkpoint_model,
    load_file,
    rng_file,
    rng_state,
    save_file,
    save_model_file,
    seed_everything,
    set_rng_state,
)
from pipeline.training._config import TrainConfig
from pipeline.training._evaluate import evaluate
from pipeline.training._heads import Teacher, TrainingModule
from pipeline.training._loading import TrainLoader
from pipeline.training._losses import channel_wise_divergence, segmentation_loss
from pipeline.training._optim import build_optimizer, build_scheduler, param_groups
from pipeline.training._pretrained import initialise_from
from pipeline.training._specs import DatasetSpec

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class NonFiniteError(RuntimeError):
    """Training produced a non-finite (or diverged) loss or metric; the run fails with this reason."""


class EpochStats(NamedTuple):
    loss: float  # mean training loss over all workers' steps
    images: int  # images trained on by all workers
    seconds: float  # wall time of the epoch's training steps


def check_precision(precision: str, device: torch.device) -> None:
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError(
            "TrainConfig.precision: fp16 needs a CUDA device (scaling.use_gpu: true); "
            f"this worker runs on {device.type}: use 'bf16' or 'fp32'"
        )


def _distributed() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _resize_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if x.shape[-2:] == like.shape[-2:]:
        return x
    return nn.functional.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class Trainer:
    def __init__(self, model_config: dict[str, Any], train: TrainConfig, dataset: DatasetSpec,
                 device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        check_precision(train.precision, self.device)
        self.rank, self.world_size = _distributed()
        self.config, self.dataset, self.model_config = train, dataset, model_config
        self.loader = TrainLoader(dataset, train.batch_size, train.seed, self.rank, self.world_size,
                                  train.loader_workers)
        seed_everything(train.seed)  # identical initial weights on every rank
        model = build_model(model_config_from_dict(model_config))
        if train.pretrained is not None:
            initialise_from(model, train.pretrained)
        self.num_classes = model.config.num_classes
        if self.loader.num_classes > self.num_classes:
            raise ConfigError(f"model num_classes {self.num_classes} < dataset classes {self.loader.num_classes}")
        self.teacher: Teacher | None = None
        distill_channels: dict[int, int] = {}
        if train.distill is not None:
            teacher_model, _ = load_checkpoint_model(train.distill.teacher_checkpoint)
            self.teacher = Teacher(teacher_model.to(self.device))
            for stage in train.distill.stages:
                if not 1 <= stage <= len(teacher_model.feature_info):
                    raise ConfigError(f"TrainConfig.distill.stages: teacher has no stage {stage}")
                distill_channels[stage] = teacher_model.feature_info[stage - 1].channels
        self.module = TrainingModule(model, train.aux, distill_channels)
        if self.world_size > 1 and train.sync_bn and self.device.type == "cuda":
            self.module = nn.SyncBatchNorm.convert_sync_batchnorm(self.module)
        self.module.to(self.device)
        self.memory_format = torch.channels_last if train.channels_last and self.device.type == "cuda" else None
        if self.memory_format is not None:
            self.module.to(memory_format=self.memory_format)
        heads = [self.module.model.decoder, *self.module.training_heads()]
        self.optimizer = build_optimizer(param_groups(self.module.model.encoder, heads, train), train)
        self.max_iters = train.epochs * len(self.loader)
        self.scheduler = build_scheduler(self.optimizer, self.max_iters, train)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=train.precision == "fp16")
        self.autocast_dtype = AUTOCAST_DTYPES.get(train.precision)
        self.ddp: nn.Module = self.module
        if self.world_size > 1:
            # find_unused_parameters: some decoders leave parameters out of the graph (e.g. unused stages).
            self.ddp = DistributedDataParallel(self.module, find_unused_parameters=True)
        seed_everything(train.seed * 1000 + self.rank)  # dropout / drop path / NMF bases differ per rank

    @property
    def model(self) -> SegmentationModel:
        return self.module.model

    def _loss(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        c, ignore = self.config, self.dataset.ignore_index
        logits, aux_logits, projected = self.ddp(images)
        loss = segmentation_loss(logits, labels, ignore, c.ohem)
        if aux_logits is not None and c.aux is not None:
            loss = loss + c.aux.weight * segmentation_loss(aux_logits, labels, ignore, c.ohem)
        if self.teacher is not None and c.distill is not None:
            teacher_logits, teacher_features = self.teacher(images)
            for stage, student in projected.items():
                target = teacher_features[stage - 1]
                loss = loss + c.distill.feature_weight * channel_wise_divergence(
                    _resize_to(student, target), target, c.distill.tau)
            if c.distill.logit_weight > 0:
                loss = loss + c.distill.logit_weight * channel_wise_divergence(logits, teacher_logits, c.distill.tau)
        return loss

    def train_epoch(self, epoch: int) -> EpochStats:
        """One pass over this worker's shard; `epoch` counted from 0."""
        self.ddp.train()
        loss_sum = torch.zeros(2, dtype=torch.float64)  # (sum of step losses, steps)
        images_seen = 0
        start = time.perf_counter()
        for step, (images, labels) in enumerate(self.loader.epoch_batches(epoch), 1):
            images, labels = images.to(self.device), labels.to(self.device)
            if self.memory_format is not None:
                images = images.contiguous(memory_format=self.memory_format)
            with torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                                enabled=self.autocast_dtype is not None):
                loss = self._loss(images, labels)
            self._check_loss(float(loss.detach()), epoch, step)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if self.config.grad_clip is not None:
                self.scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.config.grad_clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            loss_sum += torch.tensor([float(loss.detach()), 1.0], dtype=torch.float64)
            images_seen += images.shape[0]
        seconds = time.perf_counter() - start
        totals = torch.tensor([loss_sum[0], loss_sum[1], images_seen], dtype=torch.float64)
        if self.world_size > 1:
            dist.all_reduce(totals)
        return EpochStats(float(totals[0] / totals[1].clamp(min=1)), int(totals[2]), seconds)

    def _check_loss(self, value: float, epoch: int, step: int) -> None:
        # Checked before the step, so a NaN never reaches the weights (or a checkpoint).
        if not math.isfinite(value):
            raise NonFiniteError(f"non-finite loss at epoch {epoch + 1}, step {step}")
        limit = self.config.loss_limit
        if limit is not None and value > limit:
            raise NonFiniteError(f"loss {value:.4g} above TrainConfig.loss_limit {limit:g} at epoch {epoch + 1}, "
                                 f"step {step} (diverged)")

    def evaluate(self) -> dict[str, float]:
        """Validation metrics over all ranks (confusion matrices summed before the ratios)."""
        return evaluate(self.model, self.dataset, self.config.eval, device=self.device, rank=self.rank,
                        world_size=self.world_size, precision=self.config.precision)

    def epoch_metrics(self, epoch: int, stats: EpochStats, val: dict[str, float]) -> dict[str, float]:
        return {
            m.EPOCH: epoch + 1,
            m.TRAIN_LOSS: stats.loss,
            m.TRAIN_IMAGES_PER_S: stats.images / max(stats.seconds, 1e-9),
            **val,
        }

    # State: everything needed to continue exactly where a run stopped.

    def save(self, directory: Path, epoch: int, history: list[dict[str, float]]) -> None:
        """Write this rank's part of the checkpoint after `epoch` (counted from 0) into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        save_file(rng_state(), directory / rng_file(self.rank))
        if self.rank != 0:
            return
        save_model_file(directory, self.model, self.model_config)
        save_file(
            {
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
                "heads": [head.state_dict() for head in self.module.training_heads()],
                "epoch": epoch + 1,
                "sampler_epoch": self.loader.sampler.epoch,
                "history": history,
            },
            directory / TRAINING_FILE,
        )

    def load(self, directory: Path) -> tuple[int, list[dict[str, float]]]:
        """Restore from a checkpoint directory; returns (epochs completed, history)."""
        model_payload = load_file(directory / MODEL_FILE, map_location=self.device)
        self.model.load_state_dict(model_payload["state_dict"])
        state = load_file(directory / TRAINING_FILE, map_location=self.device)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        for head, head_state in zip(self.module.training_heads(), state["heads"]):
            head.load_state_dict(head_state)
        self.loader.sampler.set_epoch(state["sampler_epoch"])
        rng_path = directory / rng_file(self.rank)
        if rng_path.is_file():
            set_rng_state(load_file(rng_path))
        return int(state["epoch"]), list(state["history"])
