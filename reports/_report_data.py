"""Gather what the HTML report shows — plain dataclasses and NamedTuples, testable without a browser.

`gather_report(experiments)` ranks every experiment, fixes one reference point per objective set
for all of them, and collects points, fronts, learning curves, hypervolume history (against
wall-clock time and device-hours), cost summary, comparisons (each later experiment against the
first), parameter importance, parallel coordinates, the per-encoder/decoder breakdown and the
prediction gallery. `_figures`, `_figures_search` and `_html` draw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import metric_names as m
from pipeline.results_schema import (
    KIND_ISR,
    KIND_TRIAL,
    STATUS_FAILED,
    STATUS_FINISHED,
    STATUS_INFEASIBLE,
    STATUS_STOPPED,
)
from reports._compare import Comparison, compare, experiment_hypervolume
from reports._config_values import dimension_name, row_config, searched_columns
from reports._dominance import to_minimization
from reports._fronts import OBJECTIVE_SETS, OBJECTIVES, REFERENCE_RULE, objectives_of, reference_point, set_eligible
from reports._gallery import PREDICTIONS_COLUMN, Gallery, gallery
from reports._hypervolume import hypervolume
from reports._importance import IMPORTANCE_METHOD, Importance, importance
from reports._load import Experiment
from reports._pareto_file import pareto_table
from reports._search_views import BreakdownRow, ParallelData, breakdown, model_parts, parallel_data

CHECKPOINT_COLUMN = "checkpoint_uri"
OPTIONAL_COLUMNS = (PREDICTIONS_COLUMN, CHECKPOINT_COLUMN)  # string columns not every results file has


@dataclass(frozen=True)
class CostSummary:
    experiment: str
    trials: int  # trial rows: every sampled configuration, trained or not
    finished: int
    stopped: int
    infeasible: int
    failed: int
    isr_rows: int
    device_hours: float  # trial rows only: an ISR row repeats the device-hours of the trial it evaluates
    wall_hours: float


@dataclass(frozen=True)
class Point:
    experiment: str
    row_id: str
    trial_id: str
    arch_id: str
    kind: str
    status: str
    isr: str
    parent_row_id: str  # for ISR rows: row id of the trial whose weights are evaluated; else empty
    encoder: str
    decoder: str
    miou: float
    gmacs: float
    fps: float
    latency_ms: float
    params: int
    epochs: int
    max_epochs: int
    eligible: bool
    on_front: dict[str, bool]  # objective set → on its front
    rank: dict[str, int | None]
    crowding: dict[str, float]
    config: dict[str, str]  # searched dimensions and other hyperparameters, formatted for reading
    model_config: str  # JSON of the resolved model config
    checkpoint_uri: str  # empty when the results carry none
    error: str  # why an infeasible or failed row has no metrics


@dataclass(frozen=True)
class PlotSpec:
    set_name: str
    x: str  # objective names (keys of OBJECTIVES)
    y: str


@dataclass(frozen=True)
class Curve:
    experiment: str
    trial_id: str
    arch_id: str
    status: str
    values: list[float]  # validation mIoU after each evaluated epoch


@dataclass(frozen=True)
class HistoryStep:
    finished_at: float
    minutes: float  # since the search started: the earliest (finished_at − wall time) of its rows
    device_hours: float  # spent by the trial rows written so far
    hypervolume: float  # of the eligible rows written so far


@dataclass(frozen=True)
class ReportData:
    experiments: list[str]
    sources: list[str]
    reference_rule: str
    references: dict[str, list[float]]  # objective set → reference point
    objective_sets: dict[str, list[str]]
    objective_labels: dict[str, str]
    hypervolumes: dict[str, dict[str, float]]  # experiment → objective set → final hypervolume
    costs: list[CostSummary]
    points: list[Point]
    plots: list[PlotSpec]
    table_set: str  # objective set whose front the table lists
    searched: list[str]  # names of the searched dimensions (config/<name> columns), table columns
    curves: list[Curve]
    history: dict[str, dict[str, list[HistoryStep]]]  # experiment → objective set → one step per row
    comparisons: list[Comparison]
    importances: list[Importance]
    importance_method: str
    parallel: ParallelData
    breakdown: list[BreakdownRow]
    gallery: Gallery


# y against x, as the issue names them: "mIoU vs GMACs" puts mIoU on the vertical axis.
PLOT_AXES: tuple[tuple[str, str, str], ...] = (
    ("miou_gmacs", "gmacs", "miou"),
    ("miou_fps", "fps", "miou"),
    ("gmacs_fps", "fps", "gmacs"),
)


def cost_summary(label: str, rows: pd.DataFrame) -> CostSummary:
    trials = rows[rows["kind"] == KIND_TRIAL]
    count = trials["status"].value_counts()
    return CostSummary(
        experiment=label,
        trials=len(trials),
        finished=int(count.get(STATUS_FINISHED, 0)),
        stopped=int(count.get(STATUS_STOPPED, 0)),
        infeasible=int(count.get(STATUS_INFEASIBLE, 0)),
        failed=int(count.get(STATUS_FAILED, 0)),
        isr_rows=int((rows["kind"] == KIND_ISR).sum()),
        device_hours=float(np.nansum(trials["device_hours"].to_numpy(dtype=np.float64))),
        wall_hours=float(np.nansum(trials["wall_time_s"].to_numpy(dtype=np.float64)) / 3600.0),
    )


def _points(ranked: pd.DataFrame, columns: Sequence[str]) -> list[Point]:
    trial_rows = ranked[ranked["kind"] == KIND_TRIAL]
    row_of_trial = dict(zip(trial_rows["trial_id"], trial_rows["row_id"]))
    points = []
    for _, row in ranked.iterrows():
        encoder, decoder = model_parts(row["model_config"])
        points.append(
            Point(
                experiment=row["experiment"],
                row_id=row["row_id"],
                trial_id=row["trial_id"],
                arch_id=row["arch_id"],
                kind=row["kind"],
                status=row["status"],
                isr=row["isr"],
                parent_row_id=row_of_trial.get(row["parent_trial_id"], "") if row["kind"] == KIND_ISR else "",
                encoder=encoder,
                decoder=decoder,
                miou=float(row[m.VAL_MIOU]),
                gmacs=float(row[m.COST_GMACS]),
                fps=float(row[m.COST_FPS]),
                latency_ms=float(row[m.COST_LATENCY_MS]),
                params=int(row[m.COST_PARAMS]),
                epochs=int(row["epochs"]),
                max_epochs=int(row["max_epochs"]),
                eligible=bool(row["eligible"]),
                on_front={s: bool(row[f"on_front/{s}"]) for s in OBJECTIVE_SETS},
                rank={s: None if pd.isna(row[f"rank/{s}"]) else int(row[f"rank/{s}"]) for s in OBJECTIVE_SETS},
                crowding={s: float(row[f"crowding/{s}"]) for s in OBJECTIVE_SETS},
                config=row_config(row, columns),
                model_config=row["model_config"],
                checkpoint_uri=row[CHECKPOINT_COLUMN],
                error=row["error"],
            )
        )
    return points


def _history(ranked: pd.DataFrame, set_name: str, reference: tuple[float, ...]) -> list[HistoryStep]:
    """After each row in `finished_at` order: time and device-hours spent, hypervolume of the eligible rows.

    Only the running front is kept: a new row changes the hypervolume only when nothing on the front
    weakly dominates it, so most rows cost one comparison instead of a hypervolume.
    """
    order = np.argsort(ranked["finished_at"].to_numpy(dtype=np.float64), kind="stable")
    rows = ranked.iloc[order]
    mask = set_eligible(rows, set_name)
    maximize = [o.maximize for o in objectives_of(set_name)]
    values = rows[[o.column for o in objectives_of(set_name)]].to_numpy(dtype=np.float64)
    costs = np.full_like(values, np.nan)  # minimization form; only eligible rows (all finite) are read
    if mask.any():
        costs[mask] = to_minimization(values[mask], maximize)
    finished_at = rows["finished_at"].to_numpy(dtype=np.float64)
    started = float(np.nanmin(finished_at - rows["wall_time_s"].to_numpy(dtype=np.float64))) if len(rows) else 0.0
    spent = np.where(rows["kind"].to_numpy() == KIND_TRIAL, rows["device_hours"].to_numpy(dtype=np.float64), 0.0)
    spent = np.cumsum(np.nan_to_num(spent))
    minimized_reference = to_minimization(np.asarray([reference], dtype=np.float64), maximize)[0]
    front = np.empty((0, costs.shape[1]))
    steps, volume = [], 0.0
    for i in range(len(rows)):
        if mask[i] and not (front <= costs[i]).all(axis=1).any():
            front = np.vstack([front[~(costs[i] <= front).all(axis=1)], costs[i]])
            volume = hypervolume(front, minimized_reference, [False] * costs.shape[1])
        steps.append(HistoryStep(float(finished_at[i]), (float(finished_at[i]) - started) / 60.0, float(spent[i]),
                                 volume))
    return steps


def _table_set(ranked_all: pd.DataFrame) -> str:
    """The full objective set when any row has a latency; otherwise mIoU–GMACs (FPS never measured)."""
    return "miou_gmacs_fps" if ranked_all["on_front/miou_gmacs_fps"].any() else "miou_gmacs"


def _with_optional_columns(table: pd.DataFrame, experiments: Sequence[Experiment]) -> pd.DataFrame:
    """The pareto table plus the optional string columns of the results files ('' where a file lacks them)."""
    out = table.copy()
    for column in OPTIONAL_COLUMNS:
        lookup = {
            (e.label, row_id): "" if not isinstance(value, str) else value
            for e in experiments if column in e.rows.columns
            for row_id, value in zip(e.rows["row_id"], e.rows[column])
        }
        out[column] = [lookup.get(key, "") for key in zip(out["experiment"], out["row_id"])]
    return out


def _importances(ranked: pd.DataFrame, columns: Sequence[str]) -> list[Importance]:
    trials = ranked[ranked["kind"] == KIND_TRIAL]
    finished = trials[trials["status"] == STATUS_FINISHED]
    return [
        importance(finished, columns, m.VAL_MIOU, OBJECTIVES["miou"].label, "finished trials"),
        importance(trials, columns, m.COST_GMACS, OBJECTIVES["gmacs"].label, "sampled trials"),
        importance(trials, columns, m.COST_LATENCY_MS, "latency (ms)", "trials with a latency"),
    ]


def gather_report(experiments: Sequence[Experiment]) -> tuple[ReportData, pd.DataFrame]:
    """Report data and the pareto table it was gathered from (written as pareto.parquet)."""
    table = pareto_table(experiments)
    ranked = _with_optional_columns(table, experiments)
    labels = [e.label for e in experiments]
    per_experiment = {label: ranked[ranked["experiment"] == label] for label in labels}
    references = {s: reference_point(list(per_experiment.values()), s) for s in OBJECTIVE_SETS}
    comparisons = [
        compare(labels[0], per_experiment[labels[0]], label, per_experiment[label], references)
        for label in labels[1:]
    ]
    curves = [
        Curve(r["experiment"], r["trial_id"], r["arch_id"], r["status"], [float(v) for v in r["learning_curve"]])
        for e in experiments
        for _, r in e.rows.assign(experiment=e.label).iterrows()
        if r["kind"] == KIND_TRIAL and len(r["learning_curve"]) > 0
    ]
    columns = searched_columns(ranked)
    table_set = _table_set(ranked)
    data = ReportData(
        experiments=labels,
        sources=[str(e.results_path) for e in experiments],
        reference_rule=REFERENCE_RULE,
        references={s: list(r) for s, r in references.items()},
        objective_sets={s: list(names) for s, names in OBJECTIVE_SETS.items()},
        objective_labels={name: o.label for name, o in OBJECTIVES.items()},
        hypervolumes={
            label: {s: experiment_hypervolume(rows, s, references[s]) for s in OBJECTIVE_SETS}
            for label, rows in per_experiment.items()
        },
        costs=[cost_summary(e.label, e.rows) for e in experiments],
        points=[p for label in labels for p in _points(per_experiment[label], columns)],
        plots=[PlotSpec(s, x, y) for s, x, y in PLOT_AXES],
        table_set=table_set,
        searched=[dimension_name(c) for c in columns],
        curves=curves,
        history={
            label: {s: _history(rows, s, references[s]) for s in OBJECTIVE_SETS}
            for label, rows in per_experiment.items()
        },
        comparisons=comparisons,
        importances=_importances(ranked, columns),
        importance_method=IMPORTANCE_METHOD,
        parallel=parallel_data(ranked, columns),
        breakdown=breakdown(ranked, table_set),
        gallery=gallery(ranked, table_set),
    )
    return data, table
