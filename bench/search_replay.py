"""Replay of a search against a table of learning curves, on a simulated clock (for search_quality.py).

The project's own searcher (`SegnasOptunaSearch` with the spec's sampler) and scheduler
(`build_scheduler`) decide; the table answers. Each point of the table has, per epoch, its
validation mIoU and its measured epoch time; `concurrency` trials run at once, a trial's epoch k
ends `epoch_s[k]` seconds after its epoch k-1, and every epoch's result goes to the scheduler as a
Tune trial's would (epoch, mIoU, costs). A trial that reaches the last epoch is finished: the
scheduler's `on_trial_complete` sees it and the searcher is told its values; one the scheduler
stops is told as stopped. The scheduler is the project's, or Syne Tune's MO-ASHA behind the same
interface (`syne_moasha.py`). Device time is the
sum over trials of the simulated time they ran (a stopped trial counts the epochs it trained).

Hypervolume is that of the finished trials on (mIoU up, GMACs down) against a fixed reference
point (mIoU 0, the table's largest GMACs x 1.05), divided by the reference box, so 1.0 would be a
single point with mIoU 1 and no cost.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import optuna
import pandas as pd
from ray.tune.schedulers import TrialScheduler
from scipy import stats

from pipeline import metric_names as m
from pipeline.search import load_search_space, resolve_point
from pipeline.search._scheduler import PointKeyOf, build_scheduler
from pipeline.search._searcher import STATUS_KEY, TRIAL_NUMBER_KEY, SegnasOptunaSearch, build_sampler
from pipeline.search._space import SearchSpace
from pipeline.specs._search import SchedulerSpec, SearchSpec
from reports import hypervolume

OBJECTIVES = ((m.VAL_MIOU, "max"), (m.COST_GMACS, "min"))
NUM_CLASSES = 10


SYNE_MOASHA = "syne_moasha"  # Syne Tune's MO-ASHA (syne_moasha.py), the outside reference


@dataclass(frozen=True)
class Method:
    sampler: str  # nsga2 | tpe | gp | random
    scheduler: str  # mo_halving | asha | none | syne_moasha

    @property
    def name(self) -> str:
        return f"{self.sampler} + {self.scheduler}"


@dataclass(frozen=True)
class Table:
    """The tabulated points, by point key, and what the replay needs of them."""

    space_path: Path
    rows: dict[str, dict[str, Any]]  # point key → {miou: [...], epoch_s: [...], gmacs, params}
    epochs: int
    reference_gmacs: float

    @property
    def full_cost_s(self) -> float:
        """Device seconds to train every point of the table to its last epoch."""
        return float(sum(sum(r["epoch_s"]) for r in self.rows.values()))

    def hypervolume(self, values: list[tuple[float, float]]) -> float:
        if not values:
            return 0.0
        volume = hypervolume(np.asarray(values), (0.0, self.reference_gmacs), (True, False))
        return volume / self.reference_gmacs

    def best_hypervolume(self) -> float:
        return self.hypervolume([(r["miou"][-1], r["gmacs"]) for r in self.rows.values()])


def load_table(path: Path, space_path: Path) -> Table:
    """The table, each row keyed by the point key its parameters resolve to now.

    A point key hashes the whole model config, so a config field added later (with a default)
    changes the key of a tabulated point; the row's parameters, not its stored key, say which
    point it is. Rows without parameters keep their stored key.
    """
    frame = pd.read_parquet(path)
    space = load_search_space(space_path)

    def key(row: dict[str, Any]) -> str:
        if not isinstance(row.get("params_json"), str):
            return str(row["point_key"])
        return resolve_point(space, json.loads(row["params_json"]), NUM_CLASSES).point_key

    rows = {
        key(r): {"miou": [float(v) for v in r["miou"]], "epoch_s": [float(v) for v in r["epoch_s"]],
                 "gmacs": float(r["gmacs"]), "params": float(r["params"])}
        for r in frame.to_dict("records")
    }
    if len(rows) != len(frame):
        raise ValueError(f"{path}: {len(frame)} rows but {len(rows)} distinct points")
    epochs = min(len(r["miou"]) for r in rows.values())
    return Table(space_path, rows, epochs, 1.05 * max(r["gmacs"] for r in rows.values()))


def _search_spec(table: Table, method: Method, seed: int, population_size: int) -> SearchSpec:
    # Syne Tune's MO-ASHA takes the grace period and reduction factor of the project's default scheduler.
    scheduler = SchedulerSpec() if method.scheduler == SYNE_MOASHA else SchedulerSpec(type=method.scheduler)
    return SearchSpec(space_path=str(table.space_path), num_samples=len(table.rows), objectives=OBJECTIVES,
                      sampler=method.sampler, seed=seed, population_size=population_size, scheduler=scheduler)


def _scheduler(table: Table, method: Method, spec: SearchSpec, space: SearchSpace, seed: int) -> TrialScheduler:
    if method.scheduler == SYNE_MOASHA:
        from syne_moasha import SyneMOASHA  # needs syne-tune, which only this method uses

        return SyneMOASHA(table.epochs, spec.scheduler.grace_epochs, spec.scheduler.reduction_factor, seed)
    return build_scheduler(spec, table.epochs, None, PointKeyOf(space, NUM_CLASSES))


def replay(table: Table, method: Method, seed: int, budget_s: float, concurrency: int = 2,
           population_size: int = 8) -> list[tuple[float, float]]:
    """(device seconds, hypervolume) after each finished trial, until the budget is spent or the space is."""
    space = load_search_space(table.space_path)
    spec = _search_spec(table, method, seed, population_size)
    searcher = SegnasOptunaSearch(space, NUM_CLASSES, OBJECTIVES, build_sampler(spec), None, f"replay-{seed}")
    scheduler = _scheduler(table, method, spec, space, seed)
    clock, device = 0.0, 0.0
    running: dict[str, dict[str, Any]] = {}
    events: list[tuple[float, int, str]] = []
    finished: list[tuple[float, float]] = []
    curve: list[tuple[float, float]] = [(0.0, 0.0)]
    asked, exhausted = 0, False
    order = itertools.count()  # ties in time break by push order: deterministic

    def fill() -> None:
        nonlocal asked, exhausted
        while not exhausted and len(running) < concurrency:
            trial_id = f"trial{asked}"
            config = searcher.suggest(trial_id)
            if config == "FINISHED":
                exhausted = True
            if not isinstance(config, dict):
                return
            asked += 1
            params = {k: v for k, v in config.items() if k != TRIAL_NUMBER_KEY}
            key = resolve_point(space, params, NUM_CLASSES).point_key
            row = table.rows[key]
            running[trial_id] = {"row": row, "epoch": 0, "trial": SimpleNamespace(trial_id=trial_id, config=config)}
            heapq.heappush(events, (clock + row["epoch_s"][0], next(order), trial_id))

    fill()
    while events:
        time, _, trial_id = heapq.heappop(events)
        if device + (time - clock) * len(running) > budget_s * (1 + 1e-9):
            break  # the budget runs out before this epoch ends
        device += (time - clock) * len(running)
        clock = time
        state = running[trial_id]
        row, epoch = state["row"], state["epoch"] + 1
        state["epoch"] = epoch
        result = {m.EPOCH: epoch, m.VAL_MIOU: row["miou"][epoch - 1], m.COST_GMACS: row["gmacs"],
                  m.COST_PARAMS: row["params"]}
        decision = scheduler.on_trial_result(None, state["trial"], result)
        if epoch == table.epochs:
            del running[trial_id]
            scheduler.on_trial_complete(None, state["trial"], result)
            searcher.on_trial_complete(trial_id, {**result, STATUS_KEY: "finished"})
            finished.append((row["miou"][-1], row["gmacs"]))
            curve.append((device, table.hypervolume(finished)))
        elif decision == TrialScheduler.STOP:
            del running[trial_id]
            searcher.on_trial_complete(trial_id, result)
        else:
            heapq.heappush(events, (clock + row["epoch_s"][epoch], next(order), trial_id))
            continue
        fill()
    return curve


def on_grid(curve: list[tuple[float, float]], grid: np.ndarray) -> np.ndarray:
    """The step function `curve` (hypervolume once a trial finishes, until the next) at each grid time."""
    times = np.array([t for t, _ in curve])
    values = np.array([v for _, v in curve])
    return values[np.searchsorted(times, grid, side="right") - 1]


def summarise(curves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95 % interval (Student t over seeds) of hypervolume curves on one grid."""
    stack = np.vstack(curves)
    mean = stack.mean(axis=0)
    if len(curves) < 2:
        return mean, mean, mean
    t = float(stats.t.ppf(0.975, len(curves) - 1))
    half = t * stack.std(axis=0, ddof=1) / math.sqrt(len(curves))
    return mean, mean - half, mean + half


def time_to_reach(grid: np.ndarray, mean: np.ndarray, target: float) -> float:
    """First grid time at which the mean curve reaches `target` (NaN if it never does)."""
    reached = np.nonzero(mean >= target - 1e-12)[0]
    return float(grid[reached[0]]) if len(reached) else math.nan


def quiet_optuna() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
