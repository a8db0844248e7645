"""`fit_model`: train one model on Ray Train (`TorchTrainer`), resumable, with per-epoch reports.

The per-worker function rebuilds every config from plain dicts, trains with `Trainer`, and after
each epoch every rank calls `ray.train.report` (Ray requires all ranks to report; rank 0's
metrics are the ones kept), attaching a checkpoint every `checkpoint_every` epochs and after the
last. A worker failure restarts the worker group from the latest checkpoint (`FailureConfig`);
calling `fit_model` again with the same `run_name` and `storage_path` resumes a stopped run from
its latest checkpoint (Ray Train restores the run's checkpoint state from its directory).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.training._config import TrainConfig, train_config_from_dict, train_config_to_dict
from pipeline.training._specs import (
    DatasetSpec,
    ScalingSpec,
    dataset_spec_from_dict,
    dataset_spec_to_dict,
    prepare_dataset,
)

HISTORY_FILE = "history.jsonl"  # one JSON line of metrics per epoch, in the run directory


@dataclass(frozen=True)
class TrainResult:
    metrics: dict[str, float]  # the last epoch's report (EPOCH, TRAIN_LOSS, VAL_MIOU, ... + extra metrics)
    history: list[dict[str, float]]  # every epoch's report, in order
    checkpoint_path: str | None  # the latest checkpoint directory (load with load_checkpoint_model)
    run_dir: str  # <storage_path>/<run_name>
    wall_time_s: float  # driver wall time of fit_model, Ray start-up of the workers included
    num_workers: int


def _format_eta(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def progress_line(metrics: dict[str, float], epochs: int, eta_s: float) -> str:
    return (
        f"epoch {int(metrics[m.EPOCH])}/{epochs}  loss {metrics[m.TRAIN_LOSS]:.4f}  "
        f"mIoU {metrics.get(m.VAL_MIOU, float('nan')):.4f}  {metrics[m.TRAIN_IMAGES_PER_S]:.1f} img/s  "
        f"ETA {_format_eta(eta_s)}"
    )


def _write_history(run_dir: Path, history: list[dict[str, float]]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / f".{HISTORY_FILE}.tmp"
    tmp.write_text("".join(json.dumps(row, sort_keys=True) + "\n" for row in history))
    os.replace(tmp, run_dir / HISTORY_FILE)


def train_fn_per_worker(config: dict[str, Any]) -> None:
    """Ray Train worker entry point; `config` holds plain dicts only (see fit_model)."""
    import ray.train
    import ray.train.torch

    from pipeline.training._in_process import train_epochs
    from pipeline.training._loop import Trainer

    torch.set_num_threads(int(config["threads"]))
    train = train_config_from_dict(config["train"])
    dataset = dataset_spec_from_dict(config["dataset"])
    trainer = Trainer(config["model_config"], train, dataset, ray.train.torch.get_device())
    start_epoch, history = 0, []
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            start_epoch, history = trainer.load(Path(directory))
    def report(metrics: dict[str, float], directory: Path | None, name: str) -> None:
        if directory is None:
            ray.train.report(metrics)
        else:
            ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(directory), checkpoint_dir_name=name)

    train_epochs(trainer, train, Path(config["run_dir"]), start_epoch, history, report, checkpoint is not None,
                 config["extra_metrics"])


def _as_dataset_spec(dataset: DatasetSpec | dict[str, Any]) -> DatasetSpec:
    return dataset if isinstance(dataset, DatasetSpec) else dataset_spec_from_dict(dataset)


def fit_model(
    model_config: dict[str, Any],
    train: TrainConfig,
    dataset: DatasetSpec | dict[str, Any],
    scaling: ScalingSpec,
    run_name: str,
    storage_path: str,
    callbacks: list | None = None,
    extra_metrics: dict[str, float] | None = None,
) -> TrainResult:
    """Train on Ray Train; resumes from `<storage_path>/<run_name>`'s latest checkpoint if it has one.

    A `synth` dataset without a root is generated into `<storage_path>/<run_name>/data` first.
    Needs a running Ray instance (or starts a local one, Ray's default).
    """
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    if train.precision == "fp16" and not scaling.use_gpu:
        raise ConfigError("TrainConfig.precision: fp16 needs CUDA workers (scaling.use_gpu: true); use bf16 or fp32")
    if train.distill is not None and not (Path(train.distill.teacher_checkpoint) / "model.pt").is_file():
        raise ConfigError(f"TrainConfig.distill.teacher_checkpoint: no model.pt in {train.distill.teacher_checkpoint}")
    storage = Path(storage_path).resolve()
    run_dir = storage / run_name
    spec = _as_dataset_spec(dataset).with_root(run_dir)
    prepare_dataset(spec)
    loop_config = {
        "model_config": model_config,
        "train": train_config_to_dict(train),
        "dataset": dataset_spec_to_dict(spec),
        "run_dir": str(run_dir),
        "threads": scaling.cpus_per_worker,
        "extra_metrics": dict(extra_metrics or {}),
    }
    trainer = TorchTrainer(
        train_fn_per_worker,
        train_loop_config=loop_config,
        torch_config=TorchConfig(backend="nccl" if scaling.use_gpu else "gloo"),
        scaling_config=ScalingConfig(
            num_workers=scaling.num_workers,
            use_gpu=scaling.use_gpu,
            resources_per_worker=scaling.resources_per_worker(),
        ),
        run_config=RunConfig(
            name=run_name,
            storage_path=str(storage),
            failure_config=FailureConfig(max_failures=train.max_failures),
            checkpoint_config=CheckpointConfig(num_to_keep=train.keep_checkpoints),
            callbacks=callbacks,
        ),
    )
    started = time.perf_counter()
    result = trainer.fit()
    wall = time.perf_counter() - started
    history: list[dict[str, float]] = []
    checkpoint_path = None
    if result.checkpoint is not None:
        checkpoint_path = result.checkpoint.path
        state = torch.load(Path(checkpoint_path) / "training.pt", map_location="cpu", weights_only=False)
        history = list(state["history"])
        _write_history(run_dir, history)  # authoritative copy, from the final checkpoint
    metrics = dict(history[-1]) if history else dict(result.metrics or {})
    return TrainResult(metrics, history, checkpoint_path, str(run_dir), wall, scaling.num_workers)


def replace_train(train: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of `train` with fields changed (validated again)."""
    return dataclasses.replace(train, **changes)
