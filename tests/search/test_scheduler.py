"""Early-stopping schedulers: Pareto rank at each rung, evaluated epochs only, rung records kept across runs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from pipeline import metric_names as m
from pipeline.search import MOHalvingScheduler, build_scheduler, load_search_space, resolve_point
from pipeline.search._scheduler import PointKeyOf, RungASHA
from pipeline.search._searcher import TRIAL_NUMBER_KEY
from pipeline.specs import SpecError, parse_spec
from pipeline.specs._search import SchedulerSpec, SearchSpec

TINY_SPACE = Path(__file__).with_name("tiny_space.yaml")


def result(epoch: int, miou: float, gmacs: float) -> dict:
    return {m.EPOCH: epoch, m.VAL_MIOU: miou, m.COST_GMACS: gmacs}


def trial(name: str) -> SimpleNamespace:
    return SimpleNamespace(trial_id=name, config={})


def test_cheap_low_miou_trial_continues_dominated_one_stops() -> None:
    scheduler = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(1, 2), reduction_factor=2)
    trials = {name: trial(name) for name in "ABCD"}
    decide = lambda name, *r: scheduler.on_trial_result(None, trials[name], result(*r))  # noqa: E731
    assert decide("A", 1, 0.50, 10.0) == TrialScheduler.CONTINUE
    assert decide("B", 1, 0.45, 8.0) == TrialScheduler.CONTINUE
    assert decide("C", 1, 0.20, 1.0) == TrialScheduler.CONTINUE  # lowest mIoU, but nothing is cheaper
    assert decide("D", 1, 0.30, 9.0) == TrialScheduler.STOP  # B is better and cheaper
    assert scheduler.stopped == {"D": 1}
    assert decide("A", 1, 0.50, 10.0) == TrialScheduler.CONTINUE  # a rung is decided once
    assert decide("A", 2, 0.60, 10.0) == TrialScheduler.CONTINUE  # first at rung 2


def test_an_epoch_without_validation_is_never_ranked() -> None:
    scheduler = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(2,), reduction_factor=2)
    scheduler.on_trial_result(None, trial("A"), result(2, 0.5, 1.0))
    unevaluated = {m.EPOCH: 2, m.COST_GMACS: 5.0}  # no mIoU at this epoch: ranking it on cost alone would cut it
    assert scheduler.on_trial_result(None, trial("B"), unevaluated) == TrialScheduler.CONTINUE
    assert "B" not in scheduler.recorded[2]
    assert scheduler.on_trial_result(None, trial("B"), result(3, 0.1, 5.0)) == TrialScheduler.STOP  # first evaluated


def test_rung_records_persist_and_are_restored(tmp_path: Path) -> None:
    state = tmp_path / "scheduler.json"
    first = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(1, 2), reduction_factor=2, state_path=state)
    first.on_trial_result(None, trial("A"), result(1, 0.5, 1.0))
    first.on_trial_result(None, trial("B"), result(1, 0.2, 2.0))
    assert json.loads(state.read_text())["stopped"] == {"B": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["scheduler.json"]  # the temporary file was renamed
    # A resumed run: new Tune trials are ranked against the points of the run before.
    resumed = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(1, 2), reduction_factor=2, state_path=state)
    assert set(resumed.recorded[1]) == {"A", "B"} and resumed.stopped == {"B": 1}
    assert resumed.on_trial_result(None, trial("C"), result(1, 0.1, 3.0)) == TrialScheduler.STOP  # A and B dominate it
    fresh = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(1, 2), reduction_factor=2)
    assert fresh.on_trial_result(None, trial("C"), result(1, 0.1, 3.0)) == TrialScheduler.CONTINUE
    changed = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(2, 4), reduction_factor=2, state_path=state)
    assert changed.recorded == {2: {}, 4: {}}  # records of rungs the spec no longer has rank nothing


def test_asha_rung_records_persist_and_are_restored(tmp_path: Path) -> None:
    state = tmp_path / "scheduler.json"
    first = RungASHA((1, 2), grace_epochs=1, reduction_factor=2, state_path=state)
    for name, miou in (("A", 0.5), ("B", 0.6), ("C", 0.1)):
        first.on_trial_add(None, trial(name))
        decision = first.on_trial_result(None, trial(name), result(1, miou, 1.0))
    assert decision == TrialScheduler.STOP and first.book.stopped == {"C": 1}
    resumed = RungASHA((1, 2), grace_epochs=1, reduction_factor=2, state_path=state)
    resumed.on_trial_add(None, trial("D"))
    assert set(resumed.book.recorded[1]) == {"A", "B", "C"}
    assert resumed.on_trial_result(None, trial("D"), result(1, 0.3, 1.0)) == TrialScheduler.STOP
    assert resumed.on_trial_result(None, trial("D"), {m.EPOCH: 1, m.COST_GMACS: 1.0}) == TrialScheduler.CONTINUE


def test_records_are_keyed_by_point() -> None:
    space = load_search_space(TINY_SPACE)
    point = {"encoder": "mscan", "mscan.strip_kernels": "[7]", "decoder": "mlp_head", "train.lr": 0.01}
    key_of = PointKeyOf(space, 10)
    assert key_of(SimpleNamespace(trial_id="x", config={**point, TRIAL_NUMBER_KEY: 3})) == resolve_point(
        space, point, 10).point_key
    scheduler = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(1,), reduction_factor=2, key_of=key_of)
    scheduler.on_trial_result(None, SimpleNamespace(trial_id="x", config=point), result(1, 0.5, 1.0))
    # The same point re-asked after an interruption is a new Tune trial but the same entry: decided once.
    assert scheduler.on_trial_result(None, SimpleNamespace(trial_id="y", config=point), result(2, 0.1, 9.0)) == "CONTINUE"
    assert list(scheduler.recorded[1]) == [resolve_point(space, point, 10).point_key]


def test_build_scheduler_follows_the_spec() -> None:
    spec = SearchSpec(space_path="x.yaml", num_samples=4, scheduler=SchedulerSpec(type="mo_halving", grace_epochs=1))
    mo = build_scheduler(spec, max_epochs=4)
    assert isinstance(mo, MOHalvingScheduler) and mo.rungs == (1, 2)  # never a rung at the last epoch
    asha = SearchSpec(space_path="x.yaml", num_samples=4, scheduler=SchedulerSpec(type="asha"))
    assert isinstance(build_scheduler(asha, max_epochs=4), RungASHA)
    none = SearchSpec(space_path="x.yaml", num_samples=4, scheduler=SchedulerSpec(type="none"))
    assert type(build_scheduler(none, max_epochs=4)) is FIFOScheduler
    assert type(build_scheduler(spec, max_epochs=1)) is FIFOScheduler  # no rung below one epoch


def _search_spec(every: int, grace: int) -> dict:
    return {
        "name": "t",
        "dataset": {"layout": "synth"},
        "train": {"epochs": 10, "eval": {"every": every}},
        "search": {"space": str(TINY_SPACE), "num_samples": 2, "scheduler": {"grace_epochs": grace}},
    }


def test_rungs_must_fall_on_evaluated_epochs() -> None:
    assert parse_spec(_search_spec(every=3, grace=3), "jobs/x.yaml").search.scheduler.rungs(10) == (3, 6)
    with pytest.raises(SpecError) as error:
        parse_spec(_search_spec(every=2, grace=3), "jobs/x.yaml")
    message = str(error.value)
    assert message.startswith("jobs/x.yaml: search.scheduler: rung epochs [3, 6] include [3]")
    assert "train.eval.every = 2" in message and "\n" not in message
    spec = _search_spec(every=2, grace=3)
    spec["search"]["scheduler"]["type"] = "none"
    assert parse_spec(spec, "jobs/x.yaml").search is not None  # no rungs, nothing to check


def test_nan_in_state_file_round_trips(tmp_path: Path) -> None:
    state = tmp_path / "scheduler.json"
    first = MOHalvingScheduler(m.VAL_MIOU, (m.COST_LATENCY_MS,), rungs=(1,), reduction_factor=2, state_path=state)
    first.on_trial_result(None, trial("A"), {m.EPOCH: 1, m.VAL_MIOU: 0.5})  # no latency reported yet
    restored = MOHalvingScheduler(m.VAL_MIOU, (m.COST_LATENCY_MS,), rungs=(1,), reduction_factor=2, state_path=state)
    assert math.isnan(restored.recorded[1]["A"].costs[0])
