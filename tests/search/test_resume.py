"""Resume helpers: finished rows become the duplicate table; trials left running are asked again."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd

from pipeline import metric_names as m
from pipeline.search import point_key_of
from pipeline.search._driver import _requeue_interrupted, evaluated_from_rows
from pipeline.search._searcher import CONSTRAINT_KEY
from pipeline.specs._search import BudgetSpec, SearchSpec


def test_rows_become_the_duplicate_table_and_failed_rows_may_retry() -> None:
    spec = SearchSpec(space_path="x.yaml", num_samples=3, budget=BudgetSpec(max_params=100))
    rows = pd.DataFrame([
        {"kind": "trial", "status": "finished", "arch_id": "a", "hparams": json.dumps({"lr": 0.1}),
         m.VAL_MIOU: 0.5, m.COST_GMACS: 1.0, m.COST_PARAMS: 50, m.COST_LATENCY_MS: 2.0},
        {"kind": "trial", "status": "infeasible", "arch_id": "b", "hparams": "{}",
         m.VAL_MIOU: float("nan"), m.COST_GMACS: 3.0, m.COST_PARAMS: 150, m.COST_LATENCY_MS: float("nan")},
        {"kind": "trial", "status": "failed", "arch_id": "c", "hparams": "{}",
         m.VAL_MIOU: float("nan"), m.COST_GMACS: 1.0, m.COST_PARAMS: 50, m.COST_LATENCY_MS: float("nan")},
        {"kind": "isr", "status": "finished", "arch_id": "a", "hparams": json.dumps({"lr": 0.1}),
         m.VAL_MIOU: 0.4, m.COST_GMACS: 0.5, m.COST_PARAMS: 50, m.COST_LATENCY_MS: 1.0},
    ])
    table = evaluated_from_rows(rows, spec)
    assert set(table) == {point_key_of("a", {"lr": 0.1}), point_key_of("b", {})}
    assert table[point_key_of("a", {"lr": 0.1})] == {m.VAL_MIOU: 0.5, m.COST_GMACS: 1.0, CONSTRAINT_KEY: 0.0}
    infeasible = table[point_key_of("b", {})]
    assert infeasible[m.VAL_MIOU] == 0.0 and infeasible[CONSTRAINT_KEY] == 0.5  # 150 params vs 100: 50 % over


def test_trials_left_running_are_failed_and_enqueued(tmp_path: Path) -> None:
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    study = optuna.create_study(storage=storage, study_name="s", directions=["maximize", "minimize"])
    done = study.ask()
    done.suggest_int("x", 0, 9)
    study.tell(done, [0.5, 1.0])
    interrupted = study.ask()
    interrupted.suggest_int("x", 0, 9)
    assert _requeue_interrupted(storage, "s") == 1
    states = [t.state for t in study.get_trials()]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL, optuna.trial.TrialState.WAITING]
    assert study.get_trials()[2].system_attrs["fixed_params"] == interrupted.params
    assert _requeue_interrupted(storage, "missing") == 0
