"""The Optuna searcher: full-fidelity results only, stopped points told as pruned, one study trial per point."""

from __future__ import annotations

import json
import random
from pathlib import Path

import optuna
import pandas as pd
from optuna.trial import TrialState

from pipeline import metric_names as m
from pipeline.search import SegnasOptunaSearch, load_search_space, point_key_of, resolve_point
from pipeline.search._searcher import CONSTRAINT_KEY, STATUS_KEY, TRIAL_NUMBER_KEY, known_points_from_rows
from pipeline.specs._search import BudgetSpec, SearchSpec

TINY_SPACE = Path(__file__).with_name("tiny_space.yaml")
TWO_POINTS = """
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
FINISHED = {STATUS_KEY: "finished"}


def two_point_searcher(tmp_path: Path, **known: object) -> SegnasOptunaSearch:
    path = tmp_path / "space.yaml"
    path.write_text(TWO_POINTS)
    sampler = optuna.samplers.RandomSampler(seed=0)
    return SegnasOptunaSearch(load_search_space(path), 10, OBJECTIVES, sampler, None, "t", **known)


def params(config: dict) -> dict:
    return {k: v for k, v in config.items() if k != TRIAL_NUMBER_KEY}


def test_stopped_point_is_pruned_and_never_told_again(tmp_path: Path) -> None:
    searcher = two_point_searcher(tmp_path)
    first, second = searcher.suggest("a"), searcher.suggest("b")
    assert params(first) != params(second)
    searcher.on_trial_complete("a", {m.VAL_MIOU: 0.4, m.COST_GMACS: 0.01, **FINISHED})
    searcher.on_trial_complete("b", {m.EPOCH: 3, m.VAL_MIOU: 0.9, m.COST_GMACS: 0.001})  # cut by the scheduler
    assert searcher.suggest("c") == "FINISHED"  # both points known; the stopped one is not retrained
    finished, stopped = searcher.study.trials
    assert finished.state == TrialState.COMPLETE and finished.values == [0.4, 0.01]
    assert stopped.state == TrialState.PRUNED and stopped.values is None  # its early mIoU is never a value
    assert stopped.user_attrs["status"] == "stopped" and stopped.user_attrs["stopped_epoch"] == 3
    assert len(searcher.study.trials) == 2 and searcher.duplicates > 0  # re-proposals stayed in the scratch study


def test_a_point_that_failed_on_its_own_is_told_as_failed_without_values(tmp_path: Path) -> None:
    searcher = two_point_searcher(tmp_path)
    searcher.suggest("a")
    searcher.on_trial_complete("a", {STATUS_KEY: "failed", m.EPOCH: 0, m.VAL_MIOU: float("nan"),
                                     m.COST_GMACS: 0.01, "search/error": "NonFiniteError: non-finite loss"})
    (failed,) = searcher.study.trials
    assert failed.state == TrialState.FAIL and failed.values is None
    assert failed.user_attrs["status"] == "failed"

def test_point_in_flight_is_not_parked(tmp_path: Path) -> None:
    searcher = two_point_searcher(tmp_path)
    searcher.suggest("a")
    searcher.suggest("b")
    assert [searcher.suggest(t) for t in "cdef"] == [None] * 4  # both points running: wait, ask nothing
    assert len(searcher.study.trials) == 2
    searcher.on_trial_complete("a", {m.VAL_MIOU: 0.4, m.COST_GMACS: 0.01, **FINISHED})
    assert searcher.suggest("g") is None and len(searcher.study.trials) == 2
    searcher.on_trial_complete("b", {m.VAL_MIOU: 0.0, m.COST_GMACS: 9.0, STATUS_KEY: "infeasible", CONSTRAINT_KEY: 0.5})
    assert searcher.suggest("h") == "FINISHED"
    trials = searcher.study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    assert [t.system_attrs.get("constraints:budget") for t in trials] == [0.0, 0.5]


def test_study_holds_one_trial_per_trained_point(tmp_path: Path) -> None:
    """A search of three concurrent trials on a 36-point space, NSGA-II: no extra study trials, no early values."""
    space = load_search_space(TINY_SPACE)
    sampler = optuna.samplers.NSGAIISampler(population_size=4, seed=0)
    searcher = SegnasOptunaSearch(space, 10, OBJECTIVES, sampler, None, "t")
    rng = random.Random(0)
    running: list[str] = []
    handed_out, outcome = 0, {}
    for step in range(60):
        config = searcher.suggest(f"tune{step}")
        if isinstance(config, dict):
            running.append(f"tune{step}")
            handed_out += 1
        if config == "FINISHED":
            break
        if len(running) == 3 or not isinstance(config, dict):
            done = running.pop(rng.randrange(len(running)))
            status = rng.choice(["finished", "stopped", "infeasible"])
            result = {m.VAL_MIOU: rng.random(), m.COST_GMACS: rng.random(), m.EPOCH: 2}
            if status != "stopped":
                result[STATUS_KEY] = status
            outcome[searcher._ot_trials[done].number] = status
            searcher.on_trial_complete(done, result)
    trials = searcher.study.trials
    assert handed_out >= 20 and len(trials) == handed_out
    for trial in trials:
        if trial.number in outcome:
            expected = TrialState.PRUNED if outcome[trial.number] == "stopped" else TrialState.COMPLETE
            assert trial.state == expected
    keys = [resolve_point(space, t.params, 10).point_key for t in trials]
    assert len(set(keys)) == len(keys)  # no point asked twice
    parents = sampler.select_parent(searcher.study, 1)
    assert parents and all(outcome[p.number] != "stopped" for p in parents)


def test_rows_of_a_previous_run_become_known_points(tmp_path: Path) -> None:
    search = SearchSpec(space_path="x.yaml", num_samples=3, budget=BudgetSpec(max_params=100))
    rows = pd.DataFrame([
        {"kind": "trial", "status": "finished", "arch_id": "a", "hparams": json.dumps({"lr": 0.1}),
         m.VAL_MIOU: 0.5, m.COST_GMACS: 1.0, m.COST_PARAMS: 50, m.COST_LATENCY_MS: 2.0},
        {"kind": "trial", "status": "infeasible", "arch_id": "b", "hparams": "{}",
         m.VAL_MIOU: float("nan"), m.COST_GMACS: 3.0, m.COST_PARAMS: 150, m.COST_LATENCY_MS: float("nan")},
        {"kind": "trial", "status": "failed", "arch_id": "c", "hparams": "{}",
         m.VAL_MIOU: float("nan"), m.COST_GMACS: 1.0, m.COST_PARAMS: 50, m.COST_LATENCY_MS: float("nan")},
        {"kind": "trial", "status": "stopped", "arch_id": "d", "hparams": "{}",
         m.VAL_MIOU: 0.7, m.COST_GMACS: 1.0, m.COST_PARAMS: 50, m.COST_LATENCY_MS: float("nan")},
        {"kind": "isr", "status": "finished", "arch_id": "a", "hparams": json.dumps({"lr": 0.1}),
         m.VAL_MIOU: 0.4, m.COST_GMACS: 0.5, m.COST_PARAMS: 50, m.COST_LATENCY_MS: 1.0},
    ])
    evaluated, stopped = known_points_from_rows(rows, search)
    assert set(evaluated) == {point_key_of("a", {"lr": 0.1}), point_key_of("b", {})}
    assert evaluated[point_key_of("a", {"lr": 0.1})] == {m.VAL_MIOU: 0.5, m.COST_GMACS: 1.0, CONSTRAINT_KEY: 0.0}
    infeasible = evaluated[point_key_of("b", {})]
    assert infeasible[m.VAL_MIOU] == 0.0 and infeasible[CONSTRAINT_KEY] == 0.5  # 150 params vs 100: 50 % over
    assert stopped == {point_key_of("d", {})}  # the stopped point's mIoU 0.7 is told to nobody


def test_known_points_of_a_previous_run_are_never_retrained_or_retold(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(TWO_POINTS)
    space = load_search_space(path)
    k3, k5 = (resolve_point(space, {"mscan.square_kernel": k}, 10).point_key for k in (3, 5))
    evaluated = {k3: {m.VAL_MIOU: 0.1, m.COST_GMACS: 0.1, CONSTRAINT_KEY: 0.0}}
    searcher = two_point_searcher(tmp_path, evaluated=evaluated, stopped={k5})
    searcher.study.enqueue_trial({"mscan.square_kernel": 5})  # as the driver re-asks an interrupted point
    assert searcher.suggest("a") == "FINISHED"
    (reasked,) = searcher.study.trials  # the re-asked point is known meanwhile: closed as FAIL, nothing told
    assert reasked.state == TrialState.FAIL and reasked.user_attrs["duplicate"]
