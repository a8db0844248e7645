"""A non-finite or diverged loss fails training with the epoch and step; a non-finite result fails the trial."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from pipeline import metric_names as m
from pipeline.search._trial import check_finite
from pipeline.training import NonFiniteError, TrainConfig, Trainer, prepare_dataset
from tests.training.tiny import tiny_dataset, tiny_model_config

FAST = TrainConfig(epochs=2, batch_size=4, lr=5e-3, head_lr_mult=1.0, warmup_iters=0, seed=1)


def _trainer(tmp_path: Path, train: TrainConfig = FAST) -> Trainer:
    spec = tiny_dataset(num_train=8, num_val=4).with_root(tmp_path)
    prepare_dataset(spec)
    return Trainer(tiny_model_config(), train, spec)


def test_nan_loss_names_epoch_and_step_and_leaves_weights_untouched(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = _trainer(tmp_path)
    trainer.train_epoch(0)
    factors = iter([1.0, math.nan])
    real_loss = trainer._loss
    monkeypatch.setattr(trainer, "_loss", lambda images, labels: real_loss(images, labels) * next(factors))
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    with pytest.raises(NonFiniteError, match=r"^non-finite loss at epoch 2, step 2$"):
        trainer.train_epoch(1)
    after = trainer.model.state_dict()
    changed_before_nan = any(not torch.equal(before[k], after[k]) for k in before)
    assert changed_before_nan  # the finite first step was taken ...
    assert all(torch.isfinite(v).all() for v in after.values() if v.is_floating_point())  # ... the NaN never applied


def test_a_loss_past_the_limit_is_divergence(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, TrainConfig(**{**FAST.__dict__, "loss_limit": 1e-3}))
    with pytest.raises(NonFiniteError, match=r"above TrainConfig.loss_limit 0.001 at epoch 1, step 1 \(diverged\)"):
        trainer.train_epoch(0)


def test_non_finite_results_fail_the_trial() -> None:
    check_finite({m.VAL_MIOU: 0.3, m.COST_GMACS: 1.0}, (m.VAL_MIOU, m.COST_GMACS))
    for name in (m.VAL_MIOU, m.COST_GMACS, m.COST_LATENCY_MS):
        metrics = {m.VAL_MIOU: 0.3, m.COST_GMACS: 1.0, m.COST_LATENCY_MS: 2.0, name: math.inf}
        with pytest.raises(NonFiniteError, match=f"non-finite {name}"):
            check_finite(metrics, (m.VAL_MIOU, m.COST_GMACS, m.COST_LATENCY_MS))
    with pytest.raises(NonFiniteError, match="non-finite cost/latency_ms"):
        check_finite({m.VAL_MIOU: 0.3}, (m.COST_LATENCY_MS,))  # missing counts as non-finite


def test_a_worker_that_diverged_fails_the_run_as_non_finite_not_as_a_worker_fault() -> None:
    from ray.train.v2.api.exceptions import WorkerGroupError

    from pipeline.training._ray import _diverged

    class Wrapped(RuntimeError):  # how Ray hands over a worker's exception: its `cause` is the original
        def __init__(self, cause: Exception) -> None:
            super().__init__(f"worker raised {cause!r}")
            self.cause = cause

    reason = "non-finite loss at epoch 3, step 7"
    diverged = _diverged(WorkerGroupError("...", {0: RuntimeError("peer gone"), 1: Wrapped(NonFiniteError(reason))}))
    assert isinstance(diverged, NonFiniteError) and str(diverged) == reason
    assert _diverged(WorkerGroupError("...", {0: RuntimeError("peer gone")})) is None
    assert _diverged(ValueError("not a worker group error")) is None
