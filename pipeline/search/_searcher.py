"""Optuna behind Ray Tune: a seeded multi-objective sampler that sees full-fidelity results only.

`SegnasOptunaSearch` is Ray's `OptunaSearch` (define-by-run over the space, several objectives,
study in `<experiment dir>/study.db`) with these rules:

- **Fidelity.** Only a trial that ran to its last epoch (`finished`) or was rejected by the cost
  gate (`infeasible`: worst-case mIoU, measured costs, a positive `budget` constraint) is told
  COMPLETE. A trial the scheduler stopped is told PRUNED, without values: NSGA-II and GP build
  their populations and fronts from COMPLETE trials only, TPE ranks pruned trials behind complete
  ones, so a stopped point is never a parent and its early mIoU never enters a front. The study's
  `status` user attribute (finished / stopped / infeasible) and `stopped_epoch` say the same for
  people. Infeasible points are ranked behind every feasible one by NSGA-II, TPE and GP
  (constrained domination via `Trial.set_constraint`); the random sampler ignores constraints.
- **One study trial per trained point.** Each proposal is first drawn in a scratch copy of the
  study (in memory, same sampler). A proposal of a known point — finished, infeasible, stopped or
  being trained — is answered there and another is drawn: NSGA-II and random reject it (FAIL, so
  a rejected draw never counts towards a generation); TPE and GP, which would propose it again,
  are told there its stored values (PRUNED for a stopped point; a point in flight stays RUNNING);
  the first new point is enqueued in the real study and asked there, with the sampler's own trial
  attributes (NSGA-II's generation) copied over. So the real study holds exactly one trial per
  point handed to Tune, plus at most one per trial a previous run left running (re-asked on
  resume); known points are never re-told and nothing is parked. After `MAX_ASKS` known points
  in a row the space counts as exhausted (no trial running) or the searcher waits for a running
  trial to end before drawing again.
"""

from __future__ import annotations

import json
import math
from typing import Any

import optuna
from optuna.trial import TrialState
from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.results_schema import KIND_TRIAL, STATUS_FAILED, STATUS_FINISHED, STATUS_INFEASIBLE, STATUS_STOPPED
from pipeline.search._cost import objective_values
from pipeline.search._points import SpaceSampler, point_key_of, resolve_point
from pipeline.search._space import SearchSpace
from pipeline.specs._search import SearchSpec

MAX_ASKS = 50  # known points in a row before the space is declared exhausted
TRIAL_NUMBER_KEY = "_optuna_number"  # added to each trial's config: names the trial deterministically

# Keys of the result dict a trial reports at its end (besides the metrics).
STATUS_KEY = "search/status"
CONSTRAINT_KEY = "search/constraint"  # > 0: by how much (relative) the point exceeds its budget

CONSTRAINT_NAME = "budget"  # Optuna constraint key: <= 0 feasible
FULL_FIDELITY = (STATUS_FINISHED, STATUS_INFEASIBLE)  # outcomes the sampler is told as values
# Samplers whose next draw differs anyway (fresh crossover, mutation, uniform draw): a known point
# they propose is rejected. TPE and GP would propose it again unless told what it scored.
REDRAWING_SAMPLERS = (optuna.samplers.NSGAIISampler, optuna.samplers.RandomSampler)


def evaluated_values(result: dict[str, Any], objectives: tuple[tuple[str, str], ...]) -> dict[str, float]:
    """What Optuna is told for a result: the objective values (worst case where unmeasured) and the constraint."""
    values = dict(zip((metric for metric, _ in objectives), objective_values(result, objectives)))
    return values | {CONSTRAINT_KEY: float(result.get(CONSTRAINT_KEY, 0.0))}


def known_points_from_rows(rows: Any, search: SearchSpec) -> tuple[dict[str, dict[str, float]], set[str]]:
    """(point key → full-fidelity values, stopped point keys) of a previous run's trial rows.

    Failed rows are left out (their points may be retried); stopped rows never carry values.
    """
    evaluated, stopped = {}, set()
    for row in rows[rows["kind"] == KIND_TRIAL].to_dict("records"):
        if row["status"] == STATUS_FAILED or not row["arch_id"]:
            continue
        key = point_key_of(row["arch_id"], json.loads(row["hparams"]))
        if row["status"] == STATUS_STOPPED:
            stopped.add(key)
            continue
        result = {metric: row[metric] for metric, _ in search.objectives}
        if row["status"] == STATUS_INFEASIBLE:
            result[m.VAL_MIOU] = 0.0
            costs = {c: row[c] for c in (m.COST_PARAMS, m.COST_GMACS, m.COST_LATENCY_MS, m.COST_ORT_LATENCY_MS)
                     if c in row and not math.isnan(float(row[c]))}
            result[CONSTRAINT_KEY] = sum(search.budget.violations(costs).values())
        evaluated[key] = evaluated_values(result, search.objectives)
    return evaluated, stopped


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
        stopped: set[str] | None = None,
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
        self._sampler_ref = sampler
        self._evaluated: dict[str, dict[str, float]] = dict(evaluated or {})  # point key → full-fidelity values
        self._stopped: set[str] = set(stopped or ())  # point keys the scheduler cut
        self._running: dict[str, str] = {}  # point key → Tune trial id training it
        self._keys: dict[str, str] = {}  # Tune trial id → point key
        self._waiting = False  # the last draw found only known points: draw again after a trial ends
        self.duplicates = 0  # proposals of known points (answered in the scratch study only)

    @property
    def study(self) -> optuna.Study:
        return self._ot_study

    def _known(self, key: str) -> bool:
        return key in self._evaluated or key in self._stopped or key in self._running

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        if self._waiting:
            return None
        while self._ot_study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            # Points a previous run left running, enqueued by the driver: asked before anything new.
            config = super().suggest(trial_id)
            accepted = self._accept(trial_id, config)
            if accepted is not None:
                return accepted
        draw = self._draw_new_point()
        if draw is None:
            if self._running:
                self._waiting = True
                return None
            return Searcher.FINISHED
        params, sampler_attrs = draw
        self._ot_study.enqueue_trial(params, skip_if_exists=False)
        config = super().suggest(trial_id)
        ot_trial = self._ot_trials[trial_id]
        for key, value in sampler_attrs.items():
            self._ot_study._storage.set_trial_system_attr(ot_trial._trial_id, key, value)
        accepted = self._accept(trial_id, config)
        if accepted is None:  # cannot happen: the draw was checked against the same tables
            raise RuntimeError(f"searcher: drew a known point for trial {trial_id}")
        return accepted

    def _accept(self, trial_id: str, config: dict[str, Any]) -> dict[str, Any] | None:
        """Hand the asked trial to Tune, or — a re-asked point that became known meanwhile — close it."""
        ot_trial = self._ot_trials[trial_id]
        try:
            point = resolve_point(self._space_decl, config, self._num_classes)
        except ConfigError:
            # Only a space too large for an exhaustive build check gets here; the trial
            # fails with the config error in its row, which is where a user looks.
            return {**config, TRIAL_NUMBER_KEY: ot_trial.number}
        if self._known(point.point_key):
            self.duplicates += 1
            ot_trial.set_user_attr("duplicate", True)
            super().on_trial_complete(trial_id, result=None, error=True)  # FAIL: no sampler reads it
            del self._ot_trials[trial_id]
            self._completed_trials.discard(trial_id)
            return None
        self._running[point.point_key] = trial_id
        self._keys[trial_id] = point.point_key
        ot_trial.set_user_attr("arch_id", point.arch_id)
        return {**config, TRIAL_NUMBER_KEY: ot_trial.number}

    def _draw_new_point(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(params, the sampler's trial system attributes) of the first new point drawn in a scratch study.

        The study's own system attributes (NSGA-II's parent cache, keyed by trial ids of the real
        storage) are not copied: the scratch sampler selects parents from the current population.
        """
        real = self._ot_study
        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # scratch studies and their tells are not news
        try:
            return self._draw_in_scratch(real)
        finally:
            optuna.logging.set_verbosity(verbosity)

    def _draw_in_scratch(self, real: optuna.Study) -> tuple[dict[str, Any], dict[str, Any]] | None:
        scratch = optuna.create_study(storage=optuna.storages.InMemoryStorage(), sampler=self._sampler_ref,
                                      directions=real.directions)
        scratch.add_trials([t for t in real.get_trials(deepcopy=False) if t.state != TrialState.WAITING])
        for _ in range(MAX_ASKS):
            trial = scratch.ask()
            self._space(trial)
            params = dict(trial.params)
            try:
                key = resolve_point(self._space_decl, params, self._num_classes).point_key
            except ConfigError:
                key = None
            if key is None or not self._known(key):
                attrs = scratch._storage.get_trial_system_attrs(trial._trial_id)
                return params, {k: v for k, v in attrs.items() if k != "fixed_params"}
            self.duplicates += 1
            if isinstance(self._sampler_ref, REDRAWING_SAMPLERS):
                scratch.tell(trial, state=TrialState.FAIL)  # rejected: the sampler draws again
            elif key in self._evaluated:
                values = self._evaluated[key]
                trial.set_constraint(CONSTRAINT_NAME, values[CONSTRAINT_KEY])
                scratch.tell(trial, [values[metric] for metric, _ in self._objectives])
            elif key in self._stopped:
                scratch.tell(trial, state=TrialState.PRUNED)
            # A point being trained stays RUNNING in the scratch study, as its twin does in the real one.
        return None

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        self._waiting = False
        key = self._keys.pop(trial_id, None)
        if key is not None:
            self._running.pop(key, None)
        ot_trial = self._ot_trials.get(trial_id)
        status = str((result or {}).get(STATUS_KEY, STATUS_STOPPED))
        if error or not result or status == STATUS_FAILED:  # failed: a diverged run or a non-finite result
            if ot_trial is not None and status == STATUS_FAILED:
                ot_trial.set_user_attr("status", STATUS_FAILED)
            super().on_trial_complete(trial_id, result=None, error=True)
            return
        if status not in FULL_FIDELITY:
            if ot_trial is not None:
                ot_trial.set_user_attr("status", STATUS_STOPPED)
                if m.EPOCH in result:
                    ot_trial.set_user_attr("stopped_epoch", int(result[m.EPOCH]))
            super().on_trial_complete(trial_id, result=None, error=False)  # no values: PRUNED
            if key is not None:
                self._stopped.add(key)
            return
        values = evaluated_values(result, self._objectives)
        if ot_trial is not None:
            ot_trial.set_user_attr("status", status)
            ot_trial.set_constraint(CONSTRAINT_NAME, values[CONSTRAINT_KEY])
        super().on_trial_complete(trial_id, result=values, error=False)
        if key is not None:
            self._evaluated[key] = values
