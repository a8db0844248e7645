"""Early stopping: multi-objective successive halving, plain ASHA, or none (the spec chooses).

`MOHalvingScheduler` is asynchronous successive halving whose cut at each rung is the Pareto rule
of `_pareto.promoted` on (mIoU at that rung, cost), not mIoU alone: a trial reaching a rung is
ranked against every trial recorded there so far and continues if it is on their non-dominated
front or among the best ceil(n / rf) by (front, crowding). Cost metrics are in every per-epoch
result (the trial reports them as `extra_metrics`), so the rule sees them at every rung.
`RungASHA` is Ray's ASHA (one bracket) with the same bookkeeping.

Both record a trial at a rung from its first *evaluated* result at or past the rung (an epoch
without validation carries no mIoU and is never ranked; the spec also rejects such rungs), keyed
by the trial's point key, so a point re-asked after an interruption is the same entry. The
records (`RungBook`) are written atomically to `<experiment dir>/scheduler.json` after every
decision and read back when a search resumes, so trials of a resumed run are cut against every
point the search has ranked at that rung, not only this run's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ray.tune.schedulers import AsyncHyperBandScheduler, FIFOScheduler, TrialScheduler

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.search._pareto import RungResult, promoted
from pipeline.search._points import resolve_point
from pipeline.search._searcher import TRIAL_NUMBER_KEY
from pipeline.search._space import SearchSpace
from pipeline.specs._search import SearchSpec
from pipeline.storage import Location, read_text, resolve_location, write_text_atomic

SCHEDULER_STATE_FILE = "scheduler.json"
STATE_VERSION = 1


@dataclass(frozen=True)
class PointKeyOf:
    """A Tune trial's identity for rung records: the point key of its config (Tune's id if it does not decode)."""

    space: SearchSpace
    num_classes: int

    def __call__(self, trial: Any) -> str:
        params = {k: v for k, v in trial.config.items() if k != TRIAL_NUMBER_KEY}
        try:
            return resolve_point(self.space, params, self.num_classes).point_key
        except (ConfigError, KeyError):  # not a point of the space: the trial fails with the error in its row
            return str(trial.trial_id)


def _trial_id(trial: Any) -> str:
    return str(trial.trial_id)


class RungBook:
    """Who reached which rung with which values, and who was stopped where; optionally kept in a file."""

    def __init__(self, rungs: tuple[int, ...], path: Path | Location | None = None) -> None:
        self.rungs = rungs
        self.path = path if path is None or isinstance(path, Location) else resolve_location(path)
        self.recorded: dict[int, dict[str, RungResult]] = {rung: {} for rung in rungs}
        self.stopped: dict[str, int] = {}  # point key → rung it was stopped at
        if self.path is not None and self.path.is_file():
            self._load(self.path)

    def _load(self, path: Location) -> None:
        state = json.loads(read_text(path))
        if state.get("version") != STATE_VERSION:
            raise ConfigError(f"{path.uri}: scheduler state version {state.get('version')!r}, expected {STATE_VERSION}")
        # Records of rungs the spec no longer has are dropped: they rank nothing now.
        for rung_text, entries in state["recorded"].items():
            rung = int(rung_text)
            if rung in self.recorded:
                self.recorded[rung] = {k: RungResult(k, float(q), tuple(float(c) for c in costs))
                                       for k, (q, costs) in entries.items()}
        self.stopped = {k: int(r) for k, r in state["stopped"].items() if int(r) in self.recorded}

    def save(self) -> None:
        if self.path is None:
            return
        state = {
            "version": STATE_VERSION,
            "recorded": {str(rung): {k: [r.quality, list(r.costs)] for k, r in entries.items()}
                         for rung, entries in self.recorded.items()},
            "stopped": self.stopped,
        }
        write_text_atomic(self.path, json.dumps(state, sort_keys=True))  # NaN stays NaN: json writes and reads it


class _KeyedTrials:
    """Point key of each Tune trial, decoded once."""

    def __init__(self, key_of: Callable[[Any], str]) -> None:
        self.key_of = key_of
        self.keys: dict[str, str] = {}

    def __call__(self, trial: Any) -> str:
        if trial.trial_id not in self.keys:
            self.keys[trial.trial_id] = self.key_of(trial)
        return self.keys[trial.trial_id]


class MOHalvingScheduler(FIFOScheduler):
    def __init__(
        self,
        quality_metric: str,
        cost_metrics: tuple[str, ...],
        rungs: tuple[int, ...],
        reduction_factor: float,
        time_attr: str = m.EPOCH,
        key_of: Callable[[Any], str] = _trial_id,
        state_path: Path | Location | None = None,
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
        self.book = RungBook(self.rungs, state_path)
        self._key = _KeyedTrials(key_of)

    @property
    def recorded(self) -> dict[int, dict[str, RungResult]]:
        return self.book.recorded

    @property
    def stopped(self) -> dict[str, int]:
        return self.book.stopped

    def set_search_properties(self, metric: str | None, mode: str | None, **spec: object) -> bool:
        return True  # metric and cost metrics are fixed at construction; Tune's own metric is not used

    def on_trial_result(self, tune_controller: object, trial: object, result: dict) -> str:
        progress = result.get(self.time_attr)
        quality = float(result.get(self._metric, math.nan))
        if progress is None or math.isnan(quality):
            return TrialScheduler.CONTINUE  # not evaluated this epoch: nothing to rank it by
        key = self._key(trial)
        for rung in reversed(self.rungs):
            if progress < rung:
                continue
            if key in self.recorded[rung]:
                return TrialScheduler.CONTINUE  # decided when it reached this rung
            costs = tuple(float(result.get(c, math.nan)) for c in self.cost_metrics)
            self.recorded[rung][key] = RungResult(key, quality, costs)
            decision = TrialScheduler.CONTINUE
            if key not in promoted(list(self.recorded[rung].values()), self.reduction_factor):
                self.stopped[key] = rung
                decision = TrialScheduler.STOP
            self.book.save()
            return decision
        return TrialScheduler.CONTINUE

    def debug_string(self) -> str:
        counts = ", ".join(f"epoch {r}: {len(self.recorded[r])}" for r in self.rungs)
        return f"MOHalvingScheduler(rungs: {counts}; stopped {len(self.stopped)})"


class RungASHA(AsyncHyperBandScheduler):
    """Ray's ASHA on mIoU (one bracket), its rung records keyed by point and kept in a `RungBook`."""

    def __init__(self, rungs: tuple[int, ...], grace_epochs: int, reduction_factor: float,
                 key_of: Callable[[Any], str] = _trial_id, state_path: Path | Location | None = None) -> None:
        # max_t at the last rung and stop_last_trials=False: ASHA never cuts a trial at its final
        # epoch, so every trial that gets there finishes its ISR and latency evaluation.
        super().__init__(time_attr=m.EPOCH, metric=m.VAL_MIOU, mode="max", max_t=rungs[-1],
                         grace_period=grace_epochs, reduction_factor=reduction_factor, brackets=1,
                         stop_last_trials=False)
        bracket = self._brackets[0]
        self.book = RungBook(tuple(int(round(milestone)) for milestone, _ in bracket._rungs), state_path)
        # The bracket's own per-rung dicts become views filled from (and saved to) the book.
        self._milestones = [(milestone, int(round(milestone))) for milestone, _ in bracket._rungs]
        bracket._rungs = [(milestone, {k: r.quality for k, r in self.book.recorded[rung].items()})
                          for milestone, rung in self._milestones]
        self._key = _KeyedTrials(key_of)

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        quality = float(result.get(m.VAL_MIOU, math.nan))
        if m.EPOCH not in result or math.isnan(quality):
            return TrialScheduler.CONTINUE
        key = self._key(trial)
        bracket = self._brackets[0]
        before = [len(recorded) for _, recorded in bracket._rungs]
        decision = bracket.on_result(SimpleNamespace(trial_id=key), result[m.EPOCH], quality)
        if before != [len(recorded) for _, recorded in bracket._rungs]:
            for (_, recorded), (_, rung) in zip(bracket._rungs, self._milestones):
                if key in recorded and key not in self.book.recorded[rung]:
                    self.book.recorded[rung][key] = RungResult(key, recorded[key], ())
                    if decision == TrialScheduler.STOP:
                        self.book.stopped[key] = rung
            self.book.save()
        if decision == TrialScheduler.STOP:
            self._num_stopped += 1
        return decision

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict) -> None:
        self._trial_info.pop(trial.trial_id, None)  # a completed trial is past every rung: nothing to record

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self._trial_info.pop(trial.trial_id, None)


def build_scheduler(spec: SearchSpec, max_epochs: int, state_path: Path | Location | None = None,
                    key_of: Callable[[Any], str] = _trial_id) -> TrialScheduler:
    """The spec's early-stopping rule for trials of `max_epochs` epochs (FIFO when no rung fits).

    With `state_path` the rung records are restored from that file (if present) and kept in it.
    """
    choice = spec.scheduler
    rungs = choice.rungs(max_epochs)
    if choice.type == "none" or not rungs:
        return FIFOScheduler()
    if choice.type == "asha":
        return RungASHA(rungs, choice.grace_epochs, choice.reduction_factor, key_of, state_path)
    costs = spec.cost_objectives or (m.COST_GMACS,)
    return MOHalvingScheduler(m.VAL_MIOU, costs, rungs, choice.reduction_factor, key_of=key_of, state_path=state_path)
