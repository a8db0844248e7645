"""Early stopping: multi-objective successive halving, plain ASHA, or none (the spec chooses).

`MOHalvingScheduler` is asynchronous successive halving whose cut at each rung is the Pareto rule
of `_pareto.promoted` on (mIoU at that rung, cost), not mIoU alone: a trial reaching a rung is
ranked against every trial recorded there so far and continues if it is on their non-dominated
front or among the best ceil(n / rf) by (front, crowding). Cost metrics are in every per-epoch
result (the trial reports them as `extra_metrics`), so the rule sees them at every rung.
"""

from __future__ import annotations

import math

from ray.tune.schedulers import AsyncHyperBandScheduler, FIFOScheduler, TrialScheduler

from pipeline import metric_names as m
from pipeline.search._pareto import RungResult, promoted
from pipeline.specs._search import SearchSpec


class MOHalvingScheduler(FIFOScheduler):
    def __init__(
        self,
        quality_metric: str,
        cost_metrics: tuple[str, ...],
        rungs: tuple[int, ...],
        reduction_factor: float,
        time_attr: str = m.EPOCH,
    ) -> None:
        super().__init__()
        if not rungs:
            raise ValueError("MOHalvingScheduler: expected at least one rung")
        self._metric = quality_metric
        self._mode = "max"
        self.cost_metrics = cost_metrics
        self.rungs = tuple(sorted(rungs))
        self.reduction_factor = reduction_factor
        self.time_attr = time_attr
        self.recorded: dict[int, dict[str, RungResult]] = {rung: {} for rung in self.rungs}
        self.stopped: dict[str, int] = {}  # trial id → rung it was stopped at

    def set_search_properties(self, metric: str | None, mode: str | None, **spec: object) -> bool:
        return True  # metric and cost metrics are fixed at construction; Tune's own metric is not used

    def on_trial_result(self, tune_controller: object, trial: object, result: dict) -> str:
        progress = result.get(self.time_attr)
        if progress is None:
            return TrialScheduler.CONTINUE
        trial_id = trial.trial_id  # type: ignore[attr-defined]
        for rung in reversed(self.rungs):
            if progress < rung:
                continue
            if trial_id in self.recorded[rung]:
                return TrialScheduler.CONTINUE  # decided when it reached this rung
            costs = tuple(float(result.get(c, math.nan)) for c in self.cost_metrics)
            quality = float(result.get(self._metric, math.nan))
            self.recorded[rung][trial_id] = RungResult(trial_id, quality, costs)
            if trial_id in promoted(list(self.recorded[rung].values()), self.reduction_factor):
                return TrialScheduler.CONTINUE
            self.stopped[trial_id] = rung
            return TrialScheduler.STOP
        return TrialScheduler.CONTINUE

    def debug_string(self) -> str:
        counts = ", ".join(f"epoch {r}: {len(self.recorded[r])}" for r in self.rungs)
        return f"MOHalvingScheduler(rungs: {counts}; stopped {len(self.stopped)})"


def build_scheduler(spec: SearchSpec, max_epochs: int) -> TrialScheduler:
    """The spec's early-stopping rule for trials of `max_epochs` epochs (FIFO when no rung fits)."""
    choice = spec.scheduler
    rungs = choice.rungs(max_epochs)
    if choice.type == "none" or not rungs:
        return FIFOScheduler()
    if choice.type == "asha":
        # max_t at the last rung and stop_last_trials=False: ASHA never cuts a trial at its final
        # epoch, so every trial that gets there finishes its ISR and latency evaluation.
        return AsyncHyperBandScheduler(
            time_attr=m.EPOCH,
            metric=m.VAL_MIOU,
            mode="max",
            max_t=rungs[-1],
            grace_period=choice.grace_epochs,
            reduction_factor=choice.reduction_factor,
            stop_last_trials=False,
        )
    costs = spec.cost_objectives or (m.COST_GMACS,)
    return MOHalvingScheduler(m.VAL_MIOU, costs, rungs, choice.reduction_factor)
