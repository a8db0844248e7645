"""The multi-objective successive-halving scheduler decides by Pareto rank at each rung."""

from __future__ import annotations

from types import SimpleNamespace

from ray.tune.schedulers import AsyncHyperBandScheduler, FIFOScheduler, TrialScheduler

from pipeline import metric_names as m
from pipeline.search import MOHalvingScheduler, build_scheduler
from pipeline.specs._search import SchedulerSpec, SearchSpec


def result(epoch: int, miou: float, gmacs: float) -> dict:
    return {m.EPOCH: epoch, m.VAL_MIOU: miou, m.COST_GMACS: gmacs}


def test_cheap_low_miou_trial_continues_dominated_one_stops() -> None:
    scheduler = MOHalvingScheduler(m.VAL_MIOU, (m.COST_GMACS,), rungs=(1, 2), reduction_factor=2)
    trials = {name: SimpleNamespace(trial_id=name) for name in "ABCD"}
    decide = lambda name, *r: scheduler.on_trial_result(None, trials[name], result(*r))  # noqa: E731
    assert decide("A", 1, 0.50, 10.0) == TrialScheduler.CONTINUE
    assert decide("B", 1, 0.45, 8.0) == TrialScheduler.CONTINUE
    assert decide("C", 1, 0.20, 1.0) == TrialScheduler.CONTINUE  # lowest mIoU, but nothing is cheaper
    assert decide("D", 1, 0.30, 9.0) == TrialScheduler.STOP  # B is better and cheaper
    assert scheduler.stopped == {"D": 1}
    assert decide("A", 1, 0.50, 10.0) == TrialScheduler.CONTINUE  # a rung is decided once
    assert decide("A", 2, 0.60, 10.0) == TrialScheduler.CONTINUE  # first at rung 2


def test_build_scheduler_follows_the_spec() -> None:
    spec = SearchSpec(space_path="x.yaml", num_samples=4, scheduler=SchedulerSpec(type="mo_halving", grace_epochs=1))
    mo = build_scheduler(spec, max_epochs=4)
    assert isinstance(mo, MOHalvingScheduler) and mo.rungs == (1, 2)  # never a rung at the last epoch
    asha = SearchSpec(space_path="x.yaml", num_samples=4, scheduler=SchedulerSpec(type="asha"))
    assert isinstance(build_scheduler(asha, max_epochs=4), AsyncHyperBandScheduler)
    none = SearchSpec(space_path="x.yaml", num_samples=4, scheduler=SchedulerSpec(type="none"))
    assert type(build_scheduler(none, max_epochs=4)) is FIFOScheduler
    assert type(build_scheduler(spec, max_epochs=1)) is FIFOScheduler  # no rung below one epoch
