"""The epoch loop shared by Ray Train workers and `fit_in_process`, and `fit_in_process` itself.

`fit_in_process` trains one model in the calling process — a single-worker search trial runs it
inside its own Tune trial, which saves the start-up of a Ray Train run (controller, worker group,
placement group, sync actors: seconds per trial, most of a short demo trial). It keeps what
`fit_model` gives: per-epoch reports (to a callable, e.g. `ray.tune.report`), checkpoints in
`<storage_path>/<run_name>/checkpoint_epoch_NNNN` (the names Ray Train's runs use, written to a
temporary folder and renamed, newest `keep_checkpoints` kept), resume from the newest one when a
run of that name exists (a re-asked interrupted point, a retried trial), and up to
`max_failures` restarts from the newest checkpoint after an exception, as Ray Train restarts its
worker group. A diverged loss (`NonFiniteError`) is not restarted: the checkpoint restores the
weights and every RNG state, so the same steps would diverge again.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.storage import Location, resolve_location
from pipeline.training._checkpoint import TRAINING_FILE, load_file
from pipeline.training._config import TrainConfig
from pipeline.training._specs import DatasetSpec, dataset_spec_from_dict, prepare_dataset

CHECKPOINT_PREFIX = "checkpoint_epoch_"

# (metrics, checkpoint directory or None, checkpoint name); the directory lives only during the call.
ReportFn = Callable[[dict[str, float], Path | None, str], None]


def checkpoint_name(epoch: int) -> str:
    """Folder name of the checkpoint written after `epoch` (counted from 0)."""
    return f"{CHECKPOINT_PREFIX}{epoch + 1:04d}"


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint folder of a run (Ray Train's or `fit_in_process`'s), if any."""
    if not run_dir.is_dir():
        return None
    found = sorted(p for p in run_dir.glob(f"{CHECKPOINT_PREFIX}*") if (p / TRAINING_FILE).is_file())
    return found[-1] if found else None


def ray_node_id() -> str:
    """The Ray node this process runs on; "" outside Ray (and without importing it)."""
    ray = sys.modules.get("ray")
    return ray.get_runtime_context().get_node_id() if ray is not None and ray.is_initialized() else ""


def train_epochs(trainer: Any, train: TrainConfig, run_dir: Location, start_epoch: int, history: list[dict[str, float]],
                 report: ReportFn, resumed: bool, extra_metrics: dict[str, float]) -> None:
    """Epochs `start_epoch`.. of `trainer`: validation every `eval.every` and after the last, a report per epoch."""
    from pipeline.training._ray import _write_history, progress_line

    epoch_seconds: list[float] = []
    node = ray_node_id()
    for epoch in range(start_epoch, train.epochs):
        started = time.perf_counter()
        stats = trainer.train_epoch(epoch)
        last = epoch + 1 == train.epochs
        val = trainer.evaluate() if last or (epoch + 1) % train.eval.every == 0 else {}
        epoch_seconds.append(time.perf_counter() - started)
        metrics = {**trainer.epoch_metrics(epoch, stats, val), m.TRAIN_EPOCH_S: epoch_seconds[-1], m.TRAIN_NODE: node,
                   **extra_metrics}
        history.append(metrics)
        if trainer.rank == 0:
            _write_history(run_dir, history)
            eta = (train.epochs - epoch - 1) * sum(epoch_seconds) / len(epoch_seconds)
            # Not print(): Ray Train patches print to also log the line, which shows it twice on the driver.
            sys.stdout.write(progress_line(metrics, train.epochs, eta) + "\n")
            sys.stdout.flush()
        if last or (epoch + 1) % train.checkpoint_every == 0:
            with tempfile.TemporaryDirectory() as directory:
                trainer.save(Path(directory), epoch, history)
                report(metrics, Path(directory), checkpoint_name(epoch))
        else:
            report(metrics, None, "")
        # Injected only in an attempt that started without a checkpoint, so the retry can succeed.
        if train.fail_after_epoch == epoch + 1 and not resumed and trainer.rank == trainer.world_size - 1:
            raise RuntimeError(f"injected failure after epoch {epoch + 1} (TrainConfig.fail_after_epoch)")


def _keep_in_run_dir(run_dir: Path, keep: int) -> ReportFn:
    """A report step that moves each checkpoint into the run directory (atomically) and prunes old ones."""

    def keep_checkpoint(metrics: dict[str, float], directory: Path | None, name: str) -> None:
        if directory is None:
            return
        staging = run_dir / f".{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(directory, staging)
        target = run_dir / name
        shutil.rmtree(target, ignore_errors=True)  # a retry that got as far again rewrites it
        staging.rename(target)
        for old in sorted(run_dir.glob(f"{CHECKPOINT_PREFIX}*"))[:-keep]:
            shutil.rmtree(old, ignore_errors=True)

    return keep_checkpoint


def fit_in_process(
    model_config: dict[str, Any],
    train: TrainConfig,
    dataset: DatasetSpec | dict[str, Any],
    run_name: str,
    storage_path: str | Path | Location,
    report: Callable[[dict[str, float]], None],
    extra_metrics: dict[str, float] | None = None,
    device: str = "cpu",
    threads: int = 1,
) -> Any:
    """Train in this process on `device`; returns a `TrainResult` like `fit_model`'s (num_workers 1)."""
    from pipeline.training._loop import NonFiniteError, Trainer
    from pipeline.training._ray import TrainResult, _write_history, resume

    storage = storage_path if isinstance(storage_path, Location) else resolve_location(storage_path)
    location = storage.join(run_name)
    run_dir = location.local_path  # local storage only: object storage goes through `fit_model`
    spec = dataset if isinstance(dataset, DatasetSpec) else dataset_spec_from_dict(dataset)
    spec = spec.with_root(run_dir)
    prepare_dataset(spec)
    run_dir.mkdir(parents=True, exist_ok=True)
    keep = _keep_in_run_dir(run_dir, train.keep_checkpoints)

    def report_and_keep(metrics: dict[str, float], directory: Path | None, name: str) -> None:
        keep(metrics, directory, name)
        report(metrics)

    torch.set_num_threads(threads)
    started = time.perf_counter()
    failures = 0
    while True:
        trainer = Trainer(model_config, train, spec, device)
        # The newest readable checkpoint; an unreadable one is named in a warning and skipped.
        start_epoch, history = resume(trainer, None, run_dir, warn=True)
        try:
            train_epochs(trainer, train, location, start_epoch, history, report_and_keep, start_epoch > 0,
                         dict(extra_metrics or {}))
            break
        except (ConfigError, NonFiniteError):
            raise
        except Exception:
            failures += 1
            if failures > train.max_failures:
                raise
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is not None:
        history = list(load_file(checkpoint / TRAINING_FILE)["history"])
        _write_history(location, history)  # authoritative copy, from the final checkpoint
    metrics = dict(history[-1]) if history else {}
    return TrainResult(metrics, history, str(checkpoint) if checkpoint else None, str(run_dir),
                       time.perf_counter() - started, 1,
                       resolve_location(checkpoint) if checkpoint is not None else None)
