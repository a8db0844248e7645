"""One small search on the shared local Ray: rows of every status, ISR rows, and resume without retraining.

The study is created beforehand with four enqueued points, so the trials are known in advance and
run one at a time (max_concurrent 1): a small ISR-capable model that finishes, a wide one over the
parameter budget, and a deeper one with a vanishing learning rate that the multi-objective
scheduler cuts at the epoch-1 rung (dominated: more costly and no better than the first), and the
first point again with a loss limit its first step exceeds, whose trial fails without a retry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import optuna
import pandas as pd
import pytest

from pipeline import metric_names as m
from pipeline.results_schema import COLUMN_NAMES, RESULTS_FILE
from pipeline.search import run_search
from pipeline.specs import load_spec


def _assert_all_cpus_free(timeout_s: float = 60.0) -> None:
    """Every trial's placement group is released (the stopped one's by Ray Train's cleaner)."""
    import time

    import ray

    deadline = time.monotonic() + timeout_s
    while ray.available_resources().get("CPU", 0.0) < ray.cluster_resources()["CPU"]:
        assert time.monotonic() < deadline, f"CPUs still held: {ray.available_resources()}"
        time.sleep(1.0)

SPACE = """
name: ray_test
encoders:
  eft:
    fixed: {widths: [8, 16, 32, 64], heads: [1, 2, 2, 4], mlp_ratios: [2, 2, 2, 2], drop_path: 0.0}
    dimensions:
      depths: {type: categorical, choices: [[1, 1, 1, 1], [1, 1, 2, 1]]}
      widths[3]: {type: categorical, choices: [64, 256]}
decoders:
  eda_decoder:
    fixed: {depths: [1, 1, 1], heads: [2, 2, 2], mlp_ratio: 1.0, fuse_channels: 16, drop_path: 0.0}
train:
  lr: {type: categorical, choices: [0.01, 1.0e-7]}
  loss_limit: {type: categorical, choices: [10000.0, 1.0e-6]}
"""

SPEC = """
name: ray_test
dataset:
  layout: synth
  synth: {seed: 0, num_train: 8, num_val: 4, size: [64, 64], num_classes: 10}
  transform: {crop_size: [64, 64], ratio_range: [1.0, 1.0]}
model: {config: {encoder: {name: eft}, decoder: {name: mlp_head}}}
train: {epochs: 2, batch_size: 4, lr: 0.01, head_lr_mult: 1.0, warmup_iters: 0, checkpoint_every: 1, keep_checkpoints: 1}
scaling: {num_workers: 1, cpus_per_worker: 1}
storage: {path: STORAGE}
search:
  space: SPACE
  num_samples: 4
  objectives: {val/miou: max, cost/params: min}
  sampler: random
  input_size: [64, 64]
  budget: {max_params: 200000}
  scheduler: {type: mo_halving, grace_epochs: 1, reduction_factor: 2}
  isr: ["2,2,1,1/2,2,2"]
  latency: {repeats: 2, warmup: 1}
  max_concurrent: 1
"""

POINTS = [
    {"eft.depths": "[1,1,1,1]", "eft.widths[3]": 64, "train.lr": 0.01, "train.loss_limit": 1e4},  # finishes
    {"eft.depths": "[1,1,1,1]", "eft.widths[3]": 256, "train.lr": 0.01, "train.loss_limit": 1e4},  # over budget
    {"eft.depths": "[1,1,2,1]", "eft.widths[3]": 64, "train.lr": 1e-7, "train.loss_limit": 1e4},  # stopped at epoch 1
    {"eft.depths": "[1,1,1,1]", "eft.widths[3]": 64, "train.lr": 0.01, "train.loss_limit": 1e-6},  # diverged: failed
]


@pytest.mark.slow
def test_search_writes_every_status_and_resumes_without_retraining(tmp_path: Path, ray_local: None,
                                                                  other_ray_instance: int) -> None:
    """Also the deadlock case: a second Ray instance runs on the host while a trial is stopped early;
    its workers must be freed (Ray Train's cleaner addresses our instance explicitly)."""
    (tmp_path / "space.yaml").write_text(SPACE)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC.replace("STORAGE", str(tmp_path / "runs")).replace("SPACE", str(tmp_path / "space.yaml")))
    spec = load_spec(spec_path)
    exp_dir = spec.experiment_dir
    exp_dir.mkdir(parents=True)
    study = optuna.create_study(storage=f"sqlite:///{exp_dir / 'study.db'}", study_name=spec.name,
                                directions=["maximize", "minimize"])
    for point in POINTS:
        study.enqueue_trial(point)

    first = run_search(spec, spec_path)
    assert first.complete and first.stop_reason is None and first.failed == 1
    _assert_all_cpus_free()
    rows = pd.read_parquet(exp_dir / RESULTS_FILE)
    assert list(rows.columns[: len(COLUMN_NAMES)]) == list(COLUMN_NAMES)
    trials = rows[rows["kind"] == "trial"].set_index("trial_id")
    assert first.trials_run == 4 and len(trials) == 4
    assert trials["status"].to_dict() == {"t0000": "finished", "t0001": "infeasible", "t0002": "stopped",
                                          "t0003": "failed"}
    assert trials["epochs"].to_dict() == {"t0000": 2, "t0001": 0, "t0002": 1, "t0003": 0}
    assert trials.loc["t0003", "error"].startswith("NonFiniteError: ") and math.isnan(trials.loc["t0003", m.VAL_MIOU])
    assert not list((exp_dir / "tune").rglob("error.txt"))  # the divergence was reported, not raised: no retry
    assert len(trials.loc["t0000", "learning_curve"]) == 2 and not math.isnan(trials.loc["t0000", m.COST_LATENCY_MS])
    assert math.isnan(trials.loc["t0001", m.VAL_MIOU]) and trials.loc["t0001", m.COST_PARAMS] > 200_000
    assert "over budget" in trials.loc["t0001", "error"]
    trained = sorted(p.name for p in (exp_dir / "runs").iterdir() if p.name.startswith("point-"))
    assert len(trained) == 3  # the infeasible point never reached training
    isr = rows[rows["kind"] == "isr"]
    assert len(isr) == 1 and isr.iloc[0]["parent_trial_id"] == "t0000" and isr.iloc[0]["status"] == "finished"
    assert isr.iloc[0]["isr_encoder"] == "2,2,1,1" and isr.iloc[0]["isr_decoder"] == "2,2,2"
    assert isr.iloc[0][m.COST_GMACS] < trials.loc["t0000", m.COST_GMACS]  # pooling harder costs less
    assert json.loads(trials.loc["t0002", "hparams"]) == {"lr": 1e-7, "loss_limit": 1e4}
    _check_deployment_columns(trials, isr.iloc[0], exp_dir, tmp_path)
    study_trials = optuna.load_study(study_name=spec.name, storage=f"sqlite:///{exp_dir / 'study.db'}").trials
    assert {t.number: t.user_attrs.get("status") for t in study_trials} == {0: "finished", 1: "infeasible", 2: "stopped",
                                                                            3: "failed"}
    assert [t.state.name for t in study_trials] == ["COMPLETE", "COMPLETE", "PRUNED", "FAIL"]  # no values told
    rungs = json.loads((exp_dir / "scheduler.json").read_text())
    assert list(rungs["stopped"].values()) == [1] and len(rungs["recorded"]["1"]) == 2  # kept for a resumed run

    # The same command again: the search is complete, nothing is trained, no row is added.
    stamps = {p.name: p.stat().st_mtime_ns for p in (exp_dir / "runs").iterdir()}
    second = run_search(spec, spec_path)
    assert second.trials_before == 4 and second.trials_run == 0
    assert len(pd.read_parquet(exp_dir / RESULTS_FILE)) == len(rows)
    assert {p.name: p.stat().st_mtime_ns for p in (exp_dir / "runs").iterdir()} == stamps


def _check_deployment_columns(trials: pd.DataFrame, isr: pd.Series, exp_dir: Path, tmp_path: Path) -> None:
    """Finished rows name their checkpoint and carry thumbnails; their bundles rebuild the evaluated model."""
    import torch

    from pipeline.deploy import bundle_from_row, local_checkpoint
    from pipeline.models import load_bundle
    from pipeline.training import load_checkpoint_model

    finished = trials.loc["t0000"]
    assert finished["checkpoint_uri"].startswith("file://") and isr["checkpoint_uri"] == finished["checkpoint_uri"]
    assert trials.loc["t0001", "checkpoint_uri"] == "" and trials.loc["t0002", "checkpoint_uri"] == ""
    assert trials.loc["t0001", "predictions"] == "" and trials.loc["t0002", "predictions"] == ""
    for row in (finished, isr):
        gallery = json.loads(row["predictions"])
        assert len(gallery) == 4 and all(set(e) == {"image", "truth", "pred"} for e in gallery)
    images = torch.randn(1, 3, 64, 64)
    with local_checkpoint(finished["checkpoint_uri"]) as directory:
        model, _ = load_checkpoint_model(directory)
    for row_id, isr_setting in (("t0000", None), (isr["row_id"], ((2, 2, 1, 1), (2, 2, 2)))):
        bundle = load_bundle(bundle_from_row(exp_dir, row_id, tmp_path / row_id.replace("/", "_")))
        assert bundle.info.metrics[m.VAL_MIOU] == pytest.approx(float(trials.loc["t0000", m.VAL_MIOU]) if
                                                               isr_setting is None else float(isr[m.VAL_MIOU]))
        assert len(bundle.info.class_names) == 10
        model.set_isr(encoder=(1, 1, 1, 1), decoder=(1, 1, 1))
        if isr_setting is not None:
            model.set_isr(encoder=isr_setting[0], decoder=isr_setting[1])
        with torch.no_grad():
            assert torch.equal(bundle.model(images), model(images))
