"""Deduplication in the Optuna searcher: an evaluated point is told its stored values, never trained again."""

from __future__ import annotations

from pathlib import Path

import optuna

from pipeline import metric_names as m
from pipeline.search import SegnasOptunaSearch, load_search_space, resolve_point
from pipeline.search._searcher import CONSTRAINT_KEY, STATUS_KEY, TRIAL_NUMBER_KEY

SPACE_TEXT = """
name: two_points
encoders:
  mscan:
    fixed: {widths: [8, 16, 32, 64], depths: [1, 1, 1, 1], mlp_ratios: [2, 2, 2, 2]}
    dimensions:
      square_kernel: {type: categorical, choices: [3, 5]}
decoders:
  mlp_head: {fixed: {channels: 16}}
"""
OBJECTIVES = ((m.VAL_MIOU, "max"), (m.COST_GMACS, "min"))


def make_searcher(tmp_path: Path) -> SegnasOptunaSearch:
    path = tmp_path / "space.yaml"
    path.write_text(SPACE_TEXT)
    space = load_search_space(path)
    return SegnasOptunaSearch(space, 10, OBJECTIVES, optuna.samplers.RandomSampler(seed=0), None, "t")


def params(config: dict) -> dict:
    return {k: v for k, v in config.items() if k != TRIAL_NUMBER_KEY}


def test_duplicates_are_told_stored_values_and_space_exhausts(tmp_path: Path) -> None:
    searcher = make_searcher(tmp_path)
    first = searcher.suggest("a")
    searcher.on_trial_complete("a", {m.VAL_MIOU: 0.4, m.COST_GMACS: 0.01, STATUS_KEY: "finished"})
    second = searcher.suggest("b")
    assert params(second) != params(first)  # the first point is not handed out again
    searcher.on_trial_complete("b", {m.VAL_MIOU: 0.3, m.COST_GMACS: 0.02, STATUS_KEY: "finished"})
    assert searcher.suggest("c") == "FINISHED"  # both points evaluated: nothing new to train
    study = searcher.study
    duplicates = [t for t in study.trials if t.user_attrs.get("duplicate")]
    assert duplicates and searcher.duplicates == len(duplicates)
    by_kernel = {t.params["mscan.square_kernel"]: t.values for t in study.trials if not t.user_attrs.get("duplicate")}
    for t in duplicates:  # told exactly the stored values of the same point
        assert t.values == by_kernel[t.params["mscan.square_kernel"]]


def test_point_in_flight_is_parked_then_told(tmp_path: Path) -> None:
    searcher = make_searcher(tmp_path)
    first = searcher.suggest("a")
    second = searcher.suggest("b")
    third = searcher.suggest("c")  # both points are running: every ask is a parked duplicate
    assert third is None and params(first) != params(second)
    searcher.on_trial_complete("a", {m.VAL_MIOU: 0.4, m.COST_GMACS: 0.01, STATUS_KEY: "finished"})
    searcher.on_trial_complete("b", {m.VAL_MIOU: 0.0, m.COST_GMACS: 9.0, STATUS_KEY: "infeasible", CONSTRAINT_KEY: 0.5})
    states = {t.state for t in searcher.study.trials}
    assert states == {optuna.trial.TrialState.COMPLETE}  # parked asks were told when their twin ended
    infeasible = [t for t in searcher.study.trials if t.values == [0.0, 9.0]]
    assert infeasible and all(t.system_attrs.get("constraints:budget") == 0.5 for t in infeasible)
    assert all(t.system_attrs.get("constraints:budget") == 0.0 for t in searcher.study.trials if t not in infeasible)


def test_evaluated_table_from_a_previous_run_prevents_retraining(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(SPACE_TEXT)
    space = load_search_space(path)
    keys = {resolve_point(space, {"mscan.square_kernel": k}, 10).point_key for k in (3, 5)}
    evaluated = {key: {m.VAL_MIOU: 0.1, m.COST_GMACS: 0.1, CONSTRAINT_KEY: 0.0} for key in keys}
    searcher = SegnasOptunaSearch(space, 10, OBJECTIVES, optuna.samplers.RandomSampler(seed=0), None, "t", evaluated)
    assert searcher.suggest("a") == "FINISHED"
