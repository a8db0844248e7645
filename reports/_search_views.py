"""Data of the views about the search itself: parallel coordinates of the searched dimensions and
the per-encoder/decoder breakdown. NamedTuples, gathered from the ranked rows; `_figures_search` draws.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline import metric_names as m
from pipeline.results_schema import (
    KIND_TRIAL,
    STATUS_FAILED,
    STATUS_FINISHED,
    STATUS_INFEASIBLE,
    STATUS_STOPPED,
)
from reports._config_values import category_of, dimension_name, is_missing
from reports._importance import MAX_LEVELS


class ParallelDimension(NamedTuple):
    name: str
    values: tuple[float, ...]  # one per row: a number, or the index of the row's category
    tick_values: tuple[float, ...]  # empty for a numeric axis
    tick_labels: tuple[str, ...]


class ParallelData(NamedTuple):
    row_ids: tuple[str, ...]  # finished trials of every experiment
    miou: tuple[float, ...]
    dimensions: tuple[ParallelDimension, ...]


class BreakdownRow(NamedTuple):
    experiment: str
    encoder: str
    decoder: str
    sampled: int  # trial rows: every configuration sampled
    finished: int
    stopped: int
    infeasible: int
    failed: int
    on_front: int  # front rows of the table's objective set, ISR settings included
    best_miou: float  # over finished trials and their ISR rows; NaN when none
    least_gmacs: float  # over the same rows
    best_fps: float


def model_parts(model_config: str) -> tuple[str, str]:
    """(encoder, decoder) names from a row's `model_config` JSON; '?' where it does not say."""
    try:
        config = json.loads(model_config) if model_config else {}
    except json.JSONDecodeError:
        config = {}
    if not isinstance(config, dict):
        config = {}
    names = []
    for part in ("encoder", "decoder"):
        entry = config.get(part)
        names.append(str(entry.get("name", "?")) if isinstance(entry, dict) else "?")
    return names[0], names[1]


def _dimension(name: str, values: pd.Series) -> ParallelDimension:
    numbers = pd.to_numeric(values, errors="coerce")
    missing = values.map(is_missing)
    if bool((numbers.notna() | missing).all()) and numbers.nunique() > MAX_LEVELS and not missing.any():
        return ParallelDimension(name, tuple(float(v) for v in numbers), (), ())
    labels = [category_of(v) for v in values]
    # numbers in numeric order, then other labels alphabetically; "n/a" (inactive) at the bottom
    def order(label: str) -> tuple[int, float, str]:
        if label == "n/a":
            return (0, 0.0, label)
        number = pd.to_numeric(label, errors="coerce")
        return (1, float(number), label) if pd.notna(number) else (2, 0.0, label)

    levels = sorted(set(labels), key=order)
    index = {label: i for i, label in enumerate(levels)}
    return ParallelDimension(name, tuple(float(index[v]) for v in labels), tuple(float(i) for i in range(len(levels))),
                             tuple(levels))


def parallel_data(ranked: pd.DataFrame, columns: Sequence[str]) -> ParallelData:
    rows = ranked[(ranked["kind"] == KIND_TRIAL) & (ranked["status"] == STATUS_FINISHED)]
    rows = rows[np.isfinite(rows[m.VAL_MIOU].to_numpy(dtype=np.float64))]
    dimensions = tuple(_dimension(dimension_name(c), rows[c]) for c in columns) if len(rows) else ()
    return ParallelData(tuple(rows["row_id"]), tuple(float(v) for v in rows[m.VAL_MIOU]), dimensions)


def _best(values: pd.Series, largest: bool) -> float:
    finite = values.to_numpy(dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return float("nan")
    return float(finite.max() if largest else finite.min())


def breakdown(ranked: pd.DataFrame, table_set: str) -> list[BreakdownRow]:
    """One row per experiment × encoder × decoder seen in the rows, most front points first."""
    if ranked.empty:
        return []
    parts = [model_parts(c) for c in ranked["model_config"]]
    rows = ranked.assign(_encoder=[p[0] for p in parts], _decoder=[p[1] for p in parts])
    out = []
    for (experiment, encoder, decoder), group in rows.groupby(["experiment", "_encoder", "_decoder"], sort=True):
        trials = group[group["kind"] == KIND_TRIAL]
        status = trials["status"].value_counts()
        trained = group[group["eligible"]]
        out.append(BreakdownRow(
            experiment=str(experiment), encoder=str(encoder), decoder=str(decoder), sampled=len(trials),
            finished=int(status.get(STATUS_FINISHED, 0)), stopped=int(status.get(STATUS_STOPPED, 0)),
            infeasible=int(status.get(STATUS_INFEASIBLE, 0)), failed=int(status.get(STATUS_FAILED, 0)),
            on_front=int(group[f"on_front/{table_set}"].sum()),
            best_miou=_best(trained[m.VAL_MIOU], largest=True), least_gmacs=_best(trained[m.COST_GMACS], largest=False),
            best_fps=_best(trained[m.COST_FPS], largest=True),
        ))
    out.sort(key=lambda r: (r.experiment, -r.on_front, -np.nan_to_num(r.best_miou, nan=-1.0)))
    return out
