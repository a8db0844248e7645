"""Objectives, the rule for which rows may enter a front, ranks per objective set, reference points.

Front membership rule (tested in tests/reports/test_fronts.py):
- a `trial` row enters a front only when its status is `finished`: `stopped` trials were ended
  early by the scheduler, their metrics come from fewer epochs, so they are shown but never ranked;
  `infeasible` (never trained) and `failed` rows have no mIoU;
- an `isr` row enters when it is `finished` and its parent trial is a `finished` trial of the same
  experiment (the ISR setting is then an evaluation of fully trained weights);
- for one objective set a row also needs a finite value of every objective of the set (a row
  without a latency measurement is ranked on mIoU–GMACs but not on any set involving FPS).
Ranks are computed within one experiment; rows outside the rule have no rank and are not on a front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import metric_names as m
from pipeline.results_schema import KIND_ISR, KIND_TRIAL, STATUS_FINISHED
from reports._dominance import crowding_distance, non_dominated_ranks


@dataclass(frozen=True)
class Objective:
    column: str  # results column the values come from
    label: str  # axis and table label
    maximize: bool

    def __post_init__(self) -> None:
        if not self.column or not self.label:
            raise ValueError(f"Objective needs a column and a label, got {self.column!r}, {self.label!r}")


OBJECTIVES: dict[str, Objective] = {
    "miou": Objective(m.VAL_MIOU, "mIoU", maximize=True),
    "gmacs": Objective(m.COST_GMACS, "GMACs", maximize=False),
    "fps": Objective(m.COST_FPS, "FPS", maximize=True),
}

# Objective set name → objective names; the three pairs plotted, and all three together.
OBJECTIVE_SETS: dict[str, tuple[str, ...]] = {
    "miou_gmacs": ("miou", "gmacs"),
    "miou_fps": ("miou", "fps"),
    "gmacs_fps": ("gmacs", "fps"),
    "miou_gmacs_fps": ("miou", "gmacs", "fps"),
}

# Reference point: the worst value an objective can take, where one exists (mIoU and FPS: 0);
# for GMACs, which has no worst value, this factor times the largest GMACs of any eligible row in
# the report, so every eligible point strictly dominates the reference and adds volume.
GMACS_REFERENCE_FACTOR = 1.1
REFERENCE_RULE = (
    f"reference point: mIoU 0, FPS 0, GMACs {GMACS_REFERENCE_FACTOR} × the largest GMACs of any "
    "front-eligible row of the experiments in the report (the same point for every experiment compared)"
)


def objectives_of(set_name: str) -> tuple[Objective, ...]:
    if set_name not in OBJECTIVE_SETS:
        raise KeyError(f"unknown objective set {set_name!r}; known: {', '.join(OBJECTIVE_SETS)}")
    return tuple(OBJECTIVES[name] for name in OBJECTIVE_SETS[set_name])


def front_eligible(rows: pd.DataFrame) -> pd.Series:
    """Bool per row: may it enter a front (before the per-set finite-value check)? Rows of one experiment."""
    finished = rows["status"] == STATUS_FINISHED
    trial = (rows["kind"] == KIND_TRIAL) & finished
    finished_trials = set(rows.loc[trial, "trial_id"])
    isr = (rows["kind"] == KIND_ISR) & finished & rows["parent_trial_id"].isin(finished_trials)
    return trial | isr


def set_values(rows: pd.DataFrame, set_name: str) -> np.ndarray:
    """(N, M) objective values of the rows for one objective set (NaN where not measured)."""
    return rows[[o.column for o in objectives_of(set_name)]].to_numpy(dtype=np.float64)


def set_eligible(rows: pd.DataFrame, set_name: str) -> np.ndarray:
    """Bool per row: eligible and every objective of the set finite."""
    return front_eligible(rows).to_numpy() & np.isfinite(set_values(rows, set_name)).all(axis=1)


def rank_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of one experiment + `eligible`, `rank/<set>`, `on_front/<set>`, `crowding/<set>` per objective set."""
    out = rows.copy()
    out["eligible"] = front_eligible(rows).to_numpy()
    for set_name in OBJECTIVE_SETS:
        objectives = objectives_of(set_name)
        mask = set_eligible(rows, set_name)
        ranks = pd.array([pd.NA] * len(rows), dtype="Int64")
        crowding = np.full(len(rows), np.nan)
        if mask.any():
            values = set_values(rows, set_name)[mask]
            set_ranks = non_dominated_ranks(values, [o.maximize for o in objectives])
            ranks[np.flatnonzero(mask)] = set_ranks
            crowding[mask] = crowding_distance(values, set_ranks)
        out[f"rank/{set_name}"] = ranks
        out[f"on_front/{set_name}"] = (ranks == 1).fillna(False).to_numpy(dtype=bool)
        out[f"crowding/{set_name}"] = crowding
    return out


def reference_point(experiments_rows: Sequence[pd.DataFrame], set_name: str) -> tuple[float, ...]:
    """The common reference point of one objective set for all the given experiments (see REFERENCE_RULE)."""
    largest = 0.0
    for rows in experiments_rows:
        gmacs = rows.loc[front_eligible(rows).to_numpy(), OBJECTIVES["gmacs"].column].to_numpy(dtype=np.float64)
        gmacs = gmacs[np.isfinite(gmacs)]
        if gmacs.size:
            largest = max(largest, float(gmacs.max()))
    worst = {"miou": 0.0, "fps": 0.0, "gmacs": GMACS_REFERENCE_FACTOR * largest if largest > 0 else 1.0}
    return tuple(worst[name] for name in OBJECTIVE_SETS[set_name])
