"""`fit_in_process`: the single-worker path of a search trial, without Ray — reports, checkpoints, recovery, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pipeline import metric_names as m
from pipeline.training import (
    TrainConfig,
    TrainResult,
    fit_in_process,
    latest_checkpoint,
    load_checkpoint_model,
    replace_train,
)
from tests.training.tiny import tiny_dataset, tiny_model_config

TRAIN = TrainConfig(epochs=4, batch_size=2, lr=5e-3, head_lr_mult=1.0, warmup_iters=2, checkpoint_every=1,
                    keep_checkpoints=2, max_failures=0, seed=1)


def _fit(train: TrainConfig, storage: Path, name: str, reports: list[dict] | None = None) -> TrainResult:
    sink = reports if reports is not None else []
    return fit_in_process(tiny_model_config(), train, tiny_dataset(num_train=8, num_val=4), name, str(storage),
                          report=sink.append, extra_metrics={m.COST_GMACS: 0.5})


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("in_process")


@pytest.fixture(scope="module")
def reference(storage: Path) -> tuple[TrainResult, list[dict]]:
    reports: list[dict] = []
    return _fit(TRAIN, storage, "reference", reports), reports


def test_every_epoch_is_reported_and_the_newest_checkpoints_kept(reference: tuple[TrainResult, list[dict]]) -> None:
    result, reports = reference
    assert [r[m.EPOCH] for r in reports] == [1, 2, 3, 4] and reports == result.history
    assert all(r[m.COST_GMACS] == 0.5 and r[m.TRAIN_EPOCH_S] > 0 and m.VAL_MIOU in r for r in reports)
    kept = sorted(p.name for p in Path(result.run_dir).iterdir() if p.name.startswith("checkpoint"))
    assert kept == ["checkpoint_epoch_0003", "checkpoint_epoch_0004"]  # no staging folder left either
    assert result.checkpoint_path == str(latest_checkpoint(Path(result.run_dir)))
    model, _ = load_checkpoint_model(result.checkpoint_path)
    assert model.config.num_classes == 10


def test_a_failure_restarts_from_the_newest_checkpoint_and_reproduces_the_weights(
    reference: tuple[TrainResult, list[dict]], storage: Path
) -> None:
    expected, _ = reference
    resumed = _fit(replace_train(TRAIN, fail_after_epoch=2, max_failures=1), storage, "failure")
    assert [row[m.EPOCH] for row in resumed.history] == [1, 2, 3, 4]
    a, _ = load_checkpoint_model(str(expected.checkpoint_path))
    b, _ = load_checkpoint_model(str(resumed.checkpoint_path))
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    with pytest.raises(RuntimeError, match="injected failure after epoch 2"):
        _fit(replace_train(TRAIN, fail_after_epoch=2, max_failures=0), storage, "no_retry")


def test_a_run_of_the_same_name_resumes_where_it_stopped(storage: Path) -> None:
    _fit(replace_train(TRAIN, epochs=2), storage, "interrupted")  # as if the trial had been cut after epoch 2
    reports: list[dict] = []
    result = _fit(TRAIN, storage, "interrupted", reports)
    assert [r[m.EPOCH] for r in reports] == [3, 4]  # epochs 1-2 came from the checkpoint
    assert [row[m.EPOCH] for row in result.history] == [1, 2, 3, 4]


def test_a_diverged_run_is_not_restarted(storage: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.training import NonFiniteError, _loop

    starts: list[int] = []
    real_init = _loop.Trainer.__init__

    def counting_init(self: object, *args: object, **kwargs: object) -> None:
        starts.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(_loop.Trainer, "__init__", counting_init)
    with pytest.raises(NonFiniteError, match="above TrainConfig.loss_limit"):
        _fit(replace_train(TRAIN, loss_limit=1e-9, max_failures=3), storage, "diverged")
    assert len(starts) == 1  # the restored checkpoint and RNG states would diverge the same way again
