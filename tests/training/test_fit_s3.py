"""Ray Train on object storage: checkpoints and history go to a real S3 server and a run resumes from
there alone (its local scratch folder deleted first)."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest

from pipeline import metric_names as m
from pipeline.storage import local_copy, read_text, resolve_location
from pipeline.training import HISTORY_FILE, ScalingSpec, TrainConfig, fit_model, load_checkpoint_model
from tests.s3_server import S3Server
from tests.training.tiny import tiny_dataset, tiny_model_config

pytestmark = pytest.mark.slow

TRAIN = TrainConfig(epochs=2, batch_size=4, lr=5e-3, head_lr_mult=1.0, warmup_iters=2, checkpoint_every=1,
                    max_failures=0, seed=5)


def test_training_on_s3_checkpoints_there_and_resumes_from_there(ray_local: None, s3_env: S3Server) -> None:
    storage = resolve_location(f"s3://{s3_env.bucket}/train-{uuid.uuid4().hex[:8]}")
    dataset = tiny_dataset(num_train=16, num_val=8)
    first = fit_model(tiny_model_config(), TRAIN, dataset, ScalingSpec(num_workers=2), "run", storage)
    run = storage.join("run")
    assert first.run_dir == run.uri and first.checkpoint_path == f"s3://{first.checkpoint_location.path}"
    assert "checkpoint_epoch_0002" in first.checkpoint_path
    assert {"checkpoint_epoch_0001", "checkpoint_epoch_0002"} <= set(run.children())
    history = [json.loads(line) for line in read_text(run.join(HISTORY_FILE)).splitlines()]
    assert [row[m.EPOCH] for row in history] == [1, 2]
    with local_copy(first.checkpoint_location) as directory:
        model, _ = load_checkpoint_model(str(directory))
        assert sum(p.numel() for p in model.parameters()) > 0

    shutil.rmtree(run.scratch_dir())  # the generated data and anything else local: S3 alone must suffice
    second = fit_model(tiny_model_config(), TrainConfig(**{**TRAIN.__dict__, "epochs": 3}), dataset,
                       ScalingSpec(num_workers=2), "run", storage)
    # Epochs 1-2 come back from the S3 checkpoint unchanged (throughput included); only epoch 3 ran.
    assert [row[m.EPOCH] for row in second.history] == [1, 2, 3]
    assert second.history[:2] == first.history
    assert "checkpoint_epoch_0003" in second.checkpoint_path
