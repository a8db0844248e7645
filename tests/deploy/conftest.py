"""A finished experiment without running a search: a checkpoint, result rows, deployment.json — on disk,
or moved to the test bucket (`s3_experiment`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from pipeline import metric_names as m
from pipeline.deploy import checkpoint_uri, write_experiment_info
from pipeline.model_configs import ModelConfig, model_config_to_dict
from pipeline.models import SegmentationModel, build_model
from pipeline.results_schema import COLUMNS
from pipeline.training._checkpoint import save_model_file
from tests.models.conftest import TINY_DECODERS, TINY_ENCODERS
from tests.s3_server import S3Server

NUM_CLASSES = 5
ISR_ROW = "t0000/isr=2,2,1,1/2,2,2"


@dataclass
class Experiment:
    directory: Path | str  # a local folder, or an s3:// URI (s3_experiment)
    model: SegmentationModel  # the checkpoint's model, training ISR setting


def _row(**values: object) -> dict[str, object]:
    empty = {"string": "", "int64": 0, "float64": math.nan, "list<float64>": []}
    return {c.name: empty.get(c.dtype, "") for c in COLUMNS} | values


@pytest.fixture()
def experiment(tmp_path: Path) -> Experiment:
    from pipeline.search import append_rows

    torch.manual_seed(0)
    config = ModelConfig(TINY_ENCODERS["eft"], TINY_DECODERS["eda_decoder"], NUM_CLASSES)
    model = build_model(config)
    model.train()
    with torch.no_grad():
        model(torch.randn(2, 3, 64, 64))  # BatchNorm statistics unlike a fresh build's
    model.eval()
    exp_dir = tmp_path / "exp"
    checkpoint = exp_dir / "runs" / "point-abc" / "checkpoint_epoch_0002"
    checkpoint.mkdir(parents=True)
    save_model_file(checkpoint, model, json.loads(json.dumps(model_config_to_dict(config))))
    uri = checkpoint_uri(str(checkpoint))
    common = {"experiment": "demo", "trial_id": "t0000", "arch_id": "a1", "epochs": 2, "max_epochs": 2,
              "device": "cpu test", "code_version": "test"}
    append_rows(exp_dir, [
        _row(**common, row_id="t0000", kind="trial", status="finished", checkpoint_uri=uri,
             **{m.VAL_MIOU: 0.61, m.COST_GMACS: 0.01, m.COST_PARAMS: 1000}),
        _row(**common, row_id=ISR_ROW, kind="isr", status="finished", parent_trial_id="t0000",
             isr_encoder="2,2,1,1", isr_decoder="2,2,2", checkpoint_uri=uri, **{m.VAL_MIOU: 0.55}),
        _row(**common | {"trial_id": "t0001", "epochs": 1}, row_id="t0001", kind="trial", status="stopped"),
    ])
    write_experiment_info(exp_dir, {
        "class_names": [f"c{i}" for i in range(NUM_CLASSES)],
        "palette": [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]],
        "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375],
        "inference": "whole", "window": [512, 512], "stride": [384, 384], "input_size": [64, 64],
    })
    return Experiment(exp_dir, model)


@pytest.fixture()
def s3_experiment(experiment: Experiment, s3_env: S3Server) -> Experiment:
    """The same experiment moved to the test bucket: rows, deployment.json and the checkpoint on S3,
    the rows' checkpoint_uri an s3:// URI, and nothing of it left on local disk."""
    import shutil
    import uuid

    import pyarrow as pa

    from pipeline.deploy import EXPERIMENT_INFO_FILE
    from pipeline.results_schema import RESULTS_FILE
    from pipeline.storage import copy_file, read_table, resolve_location, write_table_atomic

    local = experiment.directory
    remote = resolve_location(f"s3://{s3_env.bucket}/deploy-{uuid.uuid4().hex[:8]}/exp")
    checkpoint = local / "runs" / "point-abc" / "checkpoint_epoch_0002"
    remote_checkpoint = remote.join("runs", "point-abc", "checkpoint_epoch_0002")
    for file in checkpoint.iterdir():
        copy_file(file, remote_checkpoint.join(file.name))
    rows = read_table(resolve_location(local / RESULTS_FILE)).to_pandas()
    rows["checkpoint_uri"] = rows["checkpoint_uri"].map(lambda uri: remote_checkpoint.uri if uri else "")
    write_table_atomic(remote.join(RESULTS_FILE), pa.Table.from_pandas(rows, preserve_index=False))
    copy_file(local / EXPERIMENT_INFO_FILE, remote.join(EXPERIMENT_INFO_FILE))
    shutil.rmtree(local)
    return Experiment(remote.uri, experiment.model)
