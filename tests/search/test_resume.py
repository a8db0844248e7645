"""Resume helpers: trials a previous run left running are failed and asked again first."""

from __future__ import annotations

from pathlib import Path

import optuna

from pipeline.search._driver import _requeue_interrupted


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
