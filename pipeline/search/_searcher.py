"""Optuna behind Ray Tune: a seeded multi-objective sampler, deduplication, and infeasible points.

`SegnasOptunaSearch` is Ray's `OptunaSearch` (define-by-run over the space, several objectives,
study in `<experiment dir>/study.db`) with three additions:

- **Duplicates are not trained twice.** Each suggestion is decoded into its point key (arch id +
  training values). A point already evaluated is told to Optuna with the stored values at once
  and another point is asked; a point being trained right now is parked and told the same values
  when the running trial completes. After `MAX_ASKS` duplicates in a row the space counts as
  exhausted (no running trial left) or the searcher waits (`None`) for running ones.
- **Infeasible points.** The trial reports worst-case quality (mIoU 0) with its measured costs,
  and a positive constraint value (relative excess over the budget); it is set on the Optuna trial
  with `Trial.set_constraint("budget", v)` before `tell`, and NSGA-II / TPE / GP rank every
  infeasible point after every feasible one (constrained domination). The random sampler ignores
  constraints; the worst-case values still put the point at the back of every front.
- **Status in the study.** Each Optuna trial carries `status` (finished / stopped / infeasible),
  `arch_id` and `trial_id` user attributes, so the study alone tells stopped from finished.
"""

from __future__ import annotations

from typing import Any

import optuna
from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from pipeline.model_configs import ConfigError
from pipeline.search._cost import objective_values
from pipeline.search._points import SpaceSampler, resolve_point
from pipeline.search._space import SearchSpace
from pipeline.specs._search import SearchSpec

MAX_ASKS = 50  # duplicates in a row before the space is declared exhausted
TRIAL_NUMBER_KEY = "_optuna_number"  # added to each trial's config: names the trial deterministically

# Keys of the result dict a trial reports at its end (besides the metrics).
STATUS_KEY = "search/status"
CONSTRAINT_KEY = "search/constraint"  # > 0: by how much (relative) the point exceeds its budget


CONSTRAINT_NAME = "budget"  # Optuna constraint key: <= 0 feasible


def evaluated_values(result: dict[str, Any], objectives: tuple[tuple[str, str], ...]) -> dict[str, float]:
    """What Optuna is told for a result: the objective values (worst case where unmeasured) and the constraint."""
    values = dict(zip((metric for metric, _ in objectives), objective_values(result, objectives)))
    return values | {CONSTRAINT_KEY: float(result.get(CONSTRAINT_KEY, 0.0))}


def build_sampler(spec: SearchSpec) -> optuna.samplers.BaseSampler:
    if spec.sampler == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=spec.population_size, seed=spec.seed)
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=spec.seed)
    if spec.sampler == "gp":
        return optuna.samplers.GPSampler(seed=spec.seed)
    return optuna.samplers.RandomSampler(seed=spec.seed)


class SegnasOptunaSearch(OptunaSearch):
    def __init__(
        self,
        space: SearchSpace,
        num_classes: int,
        objectives: tuple[tuple[str, str], ...],
        sampler: optuna.samplers.BaseSampler,
        storage: optuna.storages.BaseStorage | None,
        study_name: str,
        evaluated: dict[str, dict[str, float]] | None = None,
    ) -> None:
        super().__init__(
            space=SpaceSampler(space),
            metric=[metric for metric, _ in objectives],
            mode=[mode for _, mode in objectives],
            sampler=sampler,
            storage=storage,
            study_name=study_name,
        )
        self._space_decl = space
        self._num_classes = num_classes
        self._objectives = objectives
        self._evaluated: dict[str, dict[str, float]] = dict(evaluated or {})  # point key → objective values
        self._running: dict[str, str] = {}  # point key → Tune trial id training it
        self._keys: dict[str, str] = {}  # Tune trial id → point key
        self._parked: dict[str, list[str]] = {}  # point key → asks waiting for the running trial's values
        self.duplicates = 0

    @property
    def study(self) -> optuna.Study:
        return self._ot_study

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        for attempt in range(MAX_ASKS):
            # Asks get their own ids: a parked duplicate keeps its id while the accepted ask
            # is renamed to the Tune trial's id.
            ask_id = f"{trial_id}~{attempt}"
            config = super().suggest(ask_id)
            if not isinstance(config, dict):
                return config
            ot_trial = self._ot_trials[ask_id]
            try:
                point = resolve_point(self._space_decl, config, self._num_classes)
            except ConfigError:
                # Only a space too large for an exhaustive build check gets here; the trial
                # fails with the config error in its row, which is where a user looks.
                return {**config, TRIAL_NUMBER_KEY: ot_trial.number}
            key = point.point_key
            if key in self._evaluated:
                self.duplicates += 1
                ot_trial.set_user_attr("duplicate", True)
                ot_trial.set_constraint(CONSTRAINT_NAME, self._evaluated[key][CONSTRAINT_KEY])
                super().on_trial_complete(ask_id, result=self._evaluated[key])
                continue
            if key in self._running:
                self.duplicates += 1
                ot_trial.set_user_attr("duplicate", True)
                self._parked.setdefault(key, []).append(ask_id)
                continue
            self._ot_trials[trial_id] = self._ot_trials.pop(ask_id)
            self._running[key] = trial_id
            self._keys[trial_id] = key
            ot_trial.set_user_attr("arch_id", point.arch_id)
            return {**config, TRIAL_NUMBER_KEY: ot_trial.number}
        return None if self._running else Searcher.FINISHED

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        key = self._keys.pop(trial_id, None)
        if key is not None:
            self._running.pop(key, None)
        values = None
        if result and not error:
            values = evaluated_values(result, self._objectives)
            ot_trial = self._ot_trials.get(trial_id)
            if ot_trial is not None:
                ot_trial.set_user_attr("status", str(result.get(STATUS_KEY, "stopped")))
                ot_trial.set_constraint(CONSTRAINT_NAME, values[CONSTRAINT_KEY])
        super().on_trial_complete(trial_id, result=values, error=error)
        if key is None:
            return
        if values is not None:
            self._evaluated[key] = values
        for ask_id in self._parked.pop(key, []):
            if values is not None:
                self._ot_trials[ask_id].set_constraint(CONSTRAINT_NAME, values[CONSTRAINT_KEY])
            super().on_trial_complete(ask_id, result=values, error=values is None)
