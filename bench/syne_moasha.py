"""Syne Tune's MO-ASHA behind the Ray Tune scheduler interface that the replay drives (an outside reference).

MO-ASHA (Salinas, Perrone, Archambeau, Cruchant: "A multi-objective perspective on jointly tuning
hardware and hyperparameters", NAS workshop at ICLR 2021) is asynchronous successive halving
whose rank at a rung is Syne Tune's non-dominated sort (fronts, an epsilon-net inside a front)
instead of one metric; a trial continues when its rank is within the best 1/rf of those recorded
at the rung (the first trial at a rung always does). It minimises every metric, so mIoU goes in
negated. Its rungs are grace x rf^k below `max_t`: with grace 1, rf 2 and 10 epochs they are
epochs 1, 2, 4, 8, the same as `MOHalvingScheduler`'s.

As released (0.16), its `Bracket.on_result` takes the non-dominated sort's output, the item
indices best first, for one priority per item, so a newcomer's rank is the index of the worst
recorded item over the count, not its own place: a trial that dominates every other at the rung
can be stopped, a dominated one can go on. It is run as released, not corrected here.

Only the scheduler is Syne Tune's; configurations come from the replay's searcher, so
"random + syne_moasha" sees the same random draws as "random + mo_halving" and differs from it
only in who stops trials. The replay's simulated clock stands in for Syne Tune's simulator
backend (both play tabulated curves back in simulated time).

syne-tune 0.16 declares xgboost (with a 350 MB CUDA NCCL wheel on Linux), scikit-learn and
statsmodels for its other optimisers; MO-ASHA imports only numpy. Install it without them:
`pip install --no-deps "syne-tune==0.16.0"` (see the `bench-syne` extra in pyproject.toml).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ray.tune.schedulers import TrialScheduler

from pipeline import metric_names as m

SYNE_TUNE_VERSION = "0.16.0"  # the release this adapter was written against
NEG_MIOU = "neg_val_miou"  # MO-ASHA minimises: mIoU handed over as its negative


class SyneMOASHA(TrialScheduler):
    """Syne Tune's `MOASHA` on (-mIoU, GMACs), one bracket, answering Ray's `on_trial_result`."""

    def __init__(self, max_epochs: int, grace_epochs: int, reduction_factor: float, seed: int) -> None:
        from syne_tune.backend.trial_status import Trial
        from syne_tune.optimizer.scheduler import SchedulerDecision
        from syne_tune.optimizer.schedulers.multiobjective.moasha import MOASHA

        super().__init__()
        self._trial_type = Trial
        self._stop = SchedulerDecision.STOP
        self.moasha = MOASHA(config_space={}, metrics=[NEG_MIOU, m.COST_GMACS], do_minimize=True, time_attr=m.EPOCH,
                             max_t=max_epochs, grace_period=grace_epochs, reduction_factor=reduction_factor,
                             brackets=1, random_seed=seed)
        self._trials: dict[str, Any] = {}  # Ray trial id → Syne Tune trial

    @property
    def rungs(self) -> tuple[int, ...]:
        """MO-ASHA's rung epochs, ascending."""
        return tuple(sorted(int(round(milestone)) for milestone, _ in self.moasha.brackets[0].rungs))

    def set_search_properties(self, metric: str | None, mode: str | None, **spec: object) -> bool:
        return True  # the objectives are fixed at construction

    def _syne_trial(self, trial: Any) -> Any:
        if trial.trial_id not in self._trials:
            syne_trial = self._trial_type(trial_id=len(self._trials), config=dict(trial.config),
                                          creation_time=datetime.now())
            self.moasha.on_trial_add(syne_trial)
            self._trials[trial.trial_id] = syne_trial
        return self._trials[trial.trial_id]

    @staticmethod
    def _syne_result(result: dict[str, Any]) -> dict[str, Any]:
        return {m.EPOCH: result[m.EPOCH], NEG_MIOU: -float(result[m.VAL_MIOU]), m.COST_GMACS: result[m.COST_GMACS]}

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        decision = self.moasha.on_trial_result(self._syne_trial(trial), self._syne_result(result))
        return TrialScheduler.STOP if decision == self._stop else TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> None:
        self.moasha.on_trial_complete(self._syne_trial(trial), self._syne_result(result))
