"""`fit_model`: train one model on Ray Train (`TorchTrainer`), resumable, with per-epoch reports.

The per-worker function rebuilds every config from plain dicts, trains with `Trainer`, and after
each epoch every rank calls `ray.train.report` (Ray requires all ranks to report; rank 0's
metrics are the ones kept), attaching a checkpoint every `checkpoint_every` epochs and after the
last. A worker failure restarts the worker group from the latest checkpoint (`FailureConfig`; the
newest on storage when Ray lost the worker before registering it, see `resume`);
calling `fit_model` again with the same `run_name` and `storage_path` resumes a stopped run from
its latest checkpoint (Ray Train restores the run's checkpoint state from its directory).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.storage import Location, local_copy, resolve_location, write_text_atomic
from pipeline.training._checkpoint import MODEL_FILE, TRAINING_FILE, load_file
from pipeline.training._config import TrainConfig, train_config_from_dict, train_config_to_dict
from pipeline.training._specs import (
    DatasetSpec,
    ScalingSpec,
    dataset_spec_from_dict,
    dataset_spec_to_dict,
    prepare_dataset,
)

HISTORY_FILE = "history.jsonl"  # one JSON line of metrics per epoch, in the run directory
# Ray Train counts a worker group that cannot start (no free resources within its start timeout)
# as a controller failure and by default retries it without end; bounded, such a run fails.
CONTROLLER_FAILURE_LIMIT = 2


@dataclass(frozen=True)
class TrainResult:
    metrics: dict[str, float]  # the last epoch's report (EPOCH, TRAIN_LOSS, VAL_MIOU, ... + extra metrics)
    history: list[dict[str, float]]  # every epoch's report, in order
    checkpoint_path: str | None  # the latest checkpoint directory or its URI (load a local copy: checkpoint_location)
    run_dir: str  # <storage_path>/<run_name> (a URI on object storage)
    wall_time_s: float  # driver wall time of fit_model, Ray start-up of the workers included
    num_workers: int
    checkpoint_location: Location | None = None  # the same checkpoint; `pipeline.storage.local_copy` reads it


def _format_eta(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def progress_line(metrics: dict[str, float], epochs: int, eta_s: float) -> str:
    return (
        f"epoch {int(metrics[m.EPOCH])}/{epochs}  loss {metrics[m.TRAIN_LOSS]:.4f}  "
        f"mIoU {metrics.get(m.VAL_MIOU, float('nan')):.4f}  {metrics[m.TRAIN_IMAGES_PER_S]:.1f} img/s  "
        f"ETA {_format_eta(eta_s)}"
    )


def _write_history(run_dir: Location, history: list[dict[str, float]]) -> None:
    write_text_atomic(run_dir.join(HISTORY_FILE), "".join(json.dumps(row, sort_keys=True) + "\n" for row in history))


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
    run_dir: Location = config["run_dir"]
    checkpoint = ray.train.get_checkpoint()
    start_epoch, history = resume(trainer, checkpoint, run_dir, trainer.rank == 0)

    def report(metrics: dict[str, float], directory: Path | None, name: str) -> None:
        if directory is None:
            ray.train.report(metrics)
        else:
            ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(directory), checkpoint_dir_name=name)

    train_epochs(trainer, train, run_dir, start_epoch, history, report, checkpoint is not None,
                 config["extra_metrics"])


def resume(trainer: Any, checkpoint: Any, run_dir: Path | Location | None,
           warn: bool) -> tuple[int, list[dict[str, float]]]:
    """Restore the newest readable checkpoint of the run, from Ray's latest or the run directory.

    A checkpoint in `run_dir` newer than Ray's latest comes first: a worker lost (its node gone)
    after writing a checkpoint to storage but before Ray Train registered it leaves one that Ray
    does not offer. An unreadable one (truncated by a kill, say) is named in a one-line warning and
    the next newest tried; with none readable the run starts over.
    """
    from pipeline.training._checkpoint import CheckpointError
    from pipeline.training._in_process import CHECKPOINT_PREFIX

    ray_name = Path(checkpoint.path).name if checkpoint is not None else ""
    location = resolve_location(run_dir) if isinstance(run_dir, Path) else run_dir
    stored = sorted((n for n in location.children() if n.startswith(CHECKPOINT_PREFIX) and n != ray_name),
                    reverse=True) if location is not None and location.exists() else []
    order = [*(n for n in stored if n > ray_name), *([ray_name] if ray_name else []),
             *(n for n in stored if n < ray_name)]
    skipped: list[str] = []
    for name in order:
        try:
            with contextlib.ExitStack() as stack:
                directory = Path(stack.enter_context(checkpoint.as_directory() if name == ray_name
                                                     else local_copy(location.join(name))))
                loaded = trainer.load(directory)
        except (CheckpointError, FileNotFoundError) as error:
            skipped.append(name)
            if warn:
                sys.stdout.write(f"warning: {error}; trying an earlier checkpoint\n")
            continue
        if warn and ray_name and ray_name in skipped:
            sys.stdout.write(f"warning: resumed from {location.join(name).uri if location else name} instead\n")
        return loaded
    if warn and skipped:
        sys.stdout.write(f"warning: no readable checkpoint in {location.uri if location else ray_name}; "
                         "training starts over\n")
    return 0, []


SNAPSHOT_FILE = "checkpoint_manager_snapshot.json"  # Ray Train's record of a run's checkpoints


def _named_checkpoints(node: Any) -> list[str]:
    if isinstance(node, dict):
        names = [str(v) for k, v in node.items() if k == "checkpoint_dir_name" and v]
        return names + [n for v in node.values() for n in _named_checkpoints(v)]
    if isinstance(node, list):
        return [n for v in node for n in _named_checkpoints(v)]
    return []


def repair_snapshot(run_dir: Path) -> bool:
    """Set aside Ray's checkpoint snapshot when it names a checkpoint folder that is gone.

    Ray otherwise refuses to continue the run (it asks for the whole run folder to be deleted);
    without the snapshot it starts the run afresh and `resume` picks the newest readable checkpoint
    that is left. Returns whether the snapshot was set aside.
    """
    snapshot = run_dir / SNAPSHOT_FILE
    if not snapshot.is_file():
        return False
    try:
        names = _named_checkpoints(json.loads(snapshot.read_text()))
    except (OSError, ValueError):
        names = ["(unreadable snapshot)"]
    missing = [n for n in names if not (run_dir / n).is_dir()]
    if not missing:
        return False
    os.replace(snapshot, snapshot.with_name(f"{SNAPSHOT_FILE}.stale-{int(time.time())}"))
    print(f"warning: {snapshot}: names missing checkpoint {missing[0]}; set aside, resuming from what is left",
          file=sys.stderr)
    return True


def _as_dataset_spec(dataset: DatasetSpec | dict[str, Any]) -> DatasetSpec:
    return dataset if isinstance(dataset, DatasetSpec) else dataset_spec_from_dict(dataset)


def fit_model(
    model_config: dict[str, Any],
    train: TrainConfig,
    dataset: DatasetSpec | dict[str, Any],
    scaling: ScalingSpec,
    run_name: str,
    storage_path: str | Path | Location,
    callbacks: list | None = None,
    extra_metrics: dict[str, float | str] | None = None,
) -> TrainResult:
    """Train on Ray Train; resumes from `<storage_path>/<run_name>`'s latest checkpoint if it has one.

    `storage_path` is a local directory, an `s3://` URI or a `pipeline.storage.Location`; Ray Train
    writes checkpoints there through the location's filesystem, so workers on any node reach it.
    A `synth` dataset without a root is generated into `<run dir>/data` first (a local cache
    folder when the run dir is remote).
    Needs a running Ray instance (or starts a local one, Ray's default).
    """
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    if train.precision == "fp16" and not scaling.use_gpu:
        raise ConfigError("TrainConfig.precision: fp16 needs CUDA workers (scaling.use_gpu: true); use bf16 or fp32")
    if train.distill is not None:
        teacher = Path(train.distill.teacher_checkpoint) / MODEL_FILE
        if not teacher.is_file():
            raise ConfigError(f"TrainConfig.distill.teacher_checkpoint: no model.pt in {train.distill.teacher_checkpoint}")
        load_file(teacher)  # a crafted or broken teacher is refused here, once, before any worker starts
    storage = storage_path if isinstance(storage_path, Location) else resolve_location(storage_path)
    run_dir = storage.join(run_name)
    if run_dir.is_local:
        repair_snapshot(run_dir.local_path)
    spec = _as_dataset_spec(dataset).with_root(run_dir.scratch_dir())
    prepare_dataset(spec)
    loop_config = {
        "model_config": model_config,
        "train": train_config_to_dict(train),
        "dataset": dataset_spec_to_dict(spec),
        "run_dir": run_dir,
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
            resources_per_worker=scaling.resources_per_worker(),  # GPU share and accelerator model included
            accelerator_type=scaling.accelerator_type,
            placement_strategy=scaling.placement_strategy,
        ),
        run_config=RunConfig(
            name=run_name,
            storage_path=storage.path,
            storage_filesystem=None if storage.is_local else storage.filesystem,
            failure_config=FailureConfig(max_failures=train.max_failures,
                                         controller_failure_limit=CONTROLLER_FAILURE_LIMIT),
            checkpoint_config=CheckpointConfig(num_to_keep=train.keep_checkpoints),
            callbacks=callbacks,
        ),
    )
    started = time.perf_counter()
    try:
        result = trainer.fit()
    except Exception as error:
        diverged = _diverged(error)
        if diverged is None:
            raise
        raise diverged from None
    wall = time.perf_counter() - started
    history: list[dict[str, float]] = []
    checkpoint = None
    if result.checkpoint is not None:
        path = result.checkpoint.path
        checkpoint = Location(storage.filesystem, path, path if storage.is_local else f"s3://{path}")
        with local_copy(checkpoint) as directory:
            state = load_file(directory / TRAINING_FILE)
        history = list(state["history"])
        _write_history(run_dir, history)  # authoritative copy, from the final checkpoint
    metrics = dict(history[-1]) if history else dict(result.metrics or {})
    return TrainResult(metrics, history, checkpoint.uri if checkpoint else None, run_dir.uri, wall,
                       scaling.num_workers, checkpoint)


def _diverged(error: BaseException) -> Exception | None:
    """The `NonFiniteError` of a worker when that is why the run failed, else None: a diverged run is
    the trial's own result (not a fault to retry elsewhere), so it leaves `fit_model` as itself."""
    from pipeline.training._loop import NonFiniteError

    for failure in dict(getattr(error, "worker_failures", None) or {}).values():
        cause = getattr(failure, "cause", failure)  # a worker's exception arrives wrapped by Ray
        if isinstance(cause, NonFiniteError):
            return NonFiniteError(str(cause))
    return None


def replace_train(train: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of `train` with fields changed (validated again)."""
    return dataclasses.replace(train, **changes)
