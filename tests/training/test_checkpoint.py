"""Checkpoints: plain data only (a crafted pickle never runs), RNG state round trip, atomic files,
resume from the newest readable checkpoint (one Ray never registered included), and Ray's snapshot set aside when it names a missing one."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.storage import resolve_location
from pipeline.training import DistillConfig, TrainConfig, Trainer, fit_model, load_checkpoint_model, prepare_dataset
from pipeline.training._checkpoint import (
    MODEL_FILE,
    TRAINING_FILE,
    CheckpointError,
    load_file,
    rng_state,
    set_rng_state,
)
from pipeline.training._ray import SNAPSHOT_FILE, repair_snapshot, resume
from tests.training.tiny import NUM_CLASSES, tiny_dataset, tiny_model_config

FAST = TrainConfig(epochs=1, batch_size=4, lr=5e-3, head_lr_mult=1.0, warmup_iters=0, seed=1)


class _Payload:
    """Unpickling this calls os.system: what a crafted checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _crafted(path: Path, marker: Path) -> Path:
    # torch.save pickles the object as is; weights_only=False would run os.system on load.
    torch.save({"model_config": {}, "state_dict": _Payload(marker)}, path)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Trainer, Path]:
    root = tmp_path_factory.mktemp("ckpt")
    spec = tiny_dataset(num_train=8, num_val=4).with_root(root)
    assert prepare_dataset(spec) == NUM_CLASSES
    trainer = Trainer(tiny_model_config(), FAST, spec)
    trainer.train_epoch(0)
    return trainer, root


def test_every_file_of_a_checkpoint_loads_with_weights_only(trained: tuple[Trainer, Path]) -> None:
    trainer, root = trained
    directory = root / "run" / "checkpoint_epoch_0001"
    trainer.save(directory, 0, [{"epoch": 1.0}])
    for name in (MODEL_FILE, TRAINING_FILE, "rng_rank0.pt"):
        torch.load(directory / name, weights_only=True)  # raises on anything but plain data
    assert not list(directory.glob(".*.tmp"))  # written under a temporary name, renamed complete
    assert trainer.load(directory) == (1, [{"epoch": 1.0}])


def test_rng_state_round_trips_as_plain_data() -> None:
    state = rng_state()
    expected = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    set_rng_state(torch.load(_saved(state), weights_only=True))
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == expected


def _saved(obj: object) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "rng.pt"
    torch.save(obj, path)
    return path


def test_crafted_run_checkpoint_is_refused_without_running(trained: tuple[Trainer, Path], tmp_path: Path) -> None:
    trainer, _ = trained
    marker = tmp_path / "ran"
    directory = tmp_path / "checkpoint_epoch_0001"
    trainer.save(directory, 0, [])
    _crafted(directory / MODEL_FILE, marker)
    with pytest.raises(CheckpointError, match=str(directory / MODEL_FILE)):
        trainer.load(directory)
    with pytest.raises(CheckpointError, match="refused without running it"):
        load_checkpoint_model(directory)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # the same file would be refused by torch itself
        torch.load(directory / MODEL_FILE, weights_only=True)
    assert not marker.exists()


def test_crafted_teacher_is_refused_before_any_worker_starts(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    _crafted(teacher / MODEL_FILE, marker)
    train = TrainConfig(**{**FAST.__dict__, "distill": DistillConfig(teacher_checkpoint=str(teacher), stages=(1,))})
    from pipeline.training import ScalingSpec

    with pytest.raises(CheckpointError, match=str(teacher / MODEL_FILE)):
        fit_model(tiny_model_config(), train, tiny_dataset(8, 4), ScalingSpec(), "r", str(tmp_path / "runs"))
    assert not marker.exists()


def test_resume_skips_a_truncated_latest_checkpoint(trained: tuple[Trainer, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    trainer, _ = trained
    run_dir = tmp_path / "run"
    trainer.save(run_dir / "checkpoint_epoch_0001", 0, [{"epoch": 1.0}])
    trainer.save(run_dir / "checkpoint_epoch_0002", 1, [{"epoch": 1.0}, {"epoch": 2.0}])
    latest = run_dir / "checkpoint_epoch_0002" / TRAINING_FILE
    latest.write_bytes(latest.read_bytes()[:100])  # a kill mid-write of a non-atomic writer
    assert resume(trainer, None, run_dir, warn=True) == (1, [{"epoch": 1.0}])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and str(latest) in out and "unreadable checkpoint file" in out
    with pytest.raises(CheckpointError, match=str(latest)):
        load_file(latest)


class _RayCheckpoint:
    """What `ray.train.get_checkpoint()` hands a worker: a path and a local view of it."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    @contextlib.contextmanager
    def as_directory(self) -> Iterator[str]:
        yield self.path


def test_resume_prefers_a_newer_checkpoint_on_storage_to_rays_latest(trained: tuple[Trainer, Path],
                                                                     tmp_path: Path) -> None:
    trainer, _ = trained
    run_dir = tmp_path / "run"
    trainer.save(run_dir / "checkpoint_epoch_0002", 1, [{"epoch": 1.0}, {"epoch": 2.0}])
    trainer.save(run_dir / "checkpoint_epoch_0004", 3, [{"epoch": float(e)} for e in range(1, 5)])
    (run_dir / "checkpoint_epoch_0006").mkdir()  # an upload cut short with its node: nothing readable in it
    registered = _RayCheckpoint(run_dir / "checkpoint_epoch_0002")  # the worker died before reporting epoch 4
    assert resume(trainer, registered, resolve_location(run_dir), warn=False)[0] == 4
    assert resume(trainer, registered, None, warn=False)[0] == 2  # without the run directory: Ray's only


def test_resume_with_nothing_readable_starts_over(trained: tuple[Trainer, Path], tmp_path: Path) -> None:
    trainer, _ = trained
    (tmp_path / "run" / "checkpoint_epoch_0001").mkdir(parents=True)
    assert resume(trainer, None, tmp_path / "run", warn=False) == (0, [])


def test_snapshot_naming_a_missing_checkpoint_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "checkpoint_epoch_0001").mkdir()
    snapshot = tmp_path / SNAPSHOT_FILE
    snapshot.write_text(json.dumps({"checkpoint_results": [{"checkpoint_dir_name": "checkpoint_epoch_0001"}]}))
    assert not repair_snapshot(tmp_path) and snapshot.is_file()
    snapshot.write_text(json.dumps({"latest_checkpoint_result": {"checkpoint_dir_name": "checkpoint_epoch_0002"}}))
    assert repair_snapshot(tmp_path) and not snapshot.exists()
    assert len(list(tmp_path.glob(f"{SNAPSHOT_FILE}.stale-*"))) == 1
