"""The cost gate: an over-budget point is reported infeasible with its measured costs and never trained."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

import pipeline.training
from pipeline import metric_names as m
from pipeline.search import CostGate, TrialContext, load_search_space, search_trial_fn
from pipeline.search._searcher import CONSTRAINT_KEY, STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.specs._search import BudgetSpec, LatencySpec
from pipeline.storage import resolve_location
from pipeline.training import ScalingSpec, TrainConfig, train_config_to_dict

TINY_SPACE = Path(__file__).resolve().parent / "tiny_space.yaml"
BIG = {"encoder": "eft", "eft.depths": "[1,1,1,1]", "eft.widths[3]": 256, "decoder": "mlp_head", "train.lr": 0.01}
SMALL = dict(BIG, **{"eft.widths[3]": 64})


def context(tmp_path: Path, budget: BudgetSpec, workers: int = 1) -> TrialContext:
    gate = CostGate((64, 64), budget, LatencySpec(repeats=2, warmup=1))
    return TrialContext("t", resolve_location(tmp_path), load_search_space(TINY_SPACE), 10,
                        train_config_to_dict(TrainConfig(epochs=1)), {}, ScalingSpec(num_workers=workers), gate, (), 1)


def test_budget_violations_are_relative_excess() -> None:
    budget = BudgetSpec(max_params=100, max_gmacs=1.0)
    assert budget.violations({m.COST_PARAMS: 150.0, m.COST_GMACS: 0.5}) == {m.COST_PARAMS: 0.5}
    assert budget.violations({m.COST_PARAMS: 100.0, m.COST_GMACS: 1.0}) == {}


def test_over_budget_point_is_never_trained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ray.tune

    reports: list[dict] = []
    monkeypatch.setattr(ray.tune, "report", reports.append)

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("fit_model must not run for an infeasible point")

    monkeypatch.setattr(pipeline.training, "fit_model", no_training)
    search_trial_fn({**BIG, TRIAL_NUMBER_KEY: 3}, context(tmp_path, BudgetSpec(max_params=200_000)))
    (report,) = reports
    assert report[STATUS_KEY] == "infeasible" and report[m.EPOCH] == 0
    assert report[m.COST_PARAMS] > 200_000 and report[CONSTRAINT_KEY] > 0
    assert math.isnan(report[m.COST_LATENCY_MS])  # an over-budget model is not even timed
    assert "over budget" in report["search/error"]


@pytest.mark.parametrize("workers", [1, 2])
def test_point_within_budget_goes_to_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """One worker trains inside the trial (`fit_in_process`), more through a `TorchTrainer` (`fit_model`)."""
    import ray.tune
    import ray.tune.integration.ray_train

    monkeypatch.setattr(ray.tune, "report", lambda metrics: None)
    calls: list[dict] = []

    class Stop(Exception):
        pass

    def fake_fit(name: str) -> Callable[..., None]:
        def fit(model_config: dict, train: TrainConfig, *args: object, **kwargs: object) -> None:
            calls.append({"fit": name, "model": model_config, "lr": train.lr, "args": args, **kwargs})
            raise Stop

        return fit

    monkeypatch.setattr(pipeline.training, "fit_model", fake_fit("fit_model"))
    monkeypatch.setattr(pipeline.training, "fit_in_process", fake_fit("fit_in_process"))
    monkeypatch.setattr(ray.tune.integration.ray_train, "TuneReportCallback", lambda: "callback")
    with pytest.raises(Stop):
        search_trial_fn({**SMALL, TRIAL_NUMBER_KEY: 4}, context(tmp_path, BudgetSpec(max_params=200_000), workers))
    (call,) = calls
    assert call["lr"] == 0.01 and call["model"]["encoder"]["widths"] == [8, 16, 32, 64]
    if workers == 1:
        assert call["fit"] == "fit_in_process" and call["args"][1].startswith("point-") and call["threads"] == 1
    else:
        assert call["fit"] == "fit_model" and call["run_name"].startswith("point-") and call["callbacks"] == ["callback"]
    costs = call["extra_metrics"]  # cost reaches every epoch's result, for the scheduler and Optuna
    assert costs[m.COST_PARAMS] < 200_000 and not math.isnan(costs[m.COST_LATENCY_MS])
