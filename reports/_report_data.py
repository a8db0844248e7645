"""Gather what the HTML report shows — plain dataclasses, testable without a browser.

`gather_report(experiments)` ranks every experiment, fixes one reference point per objective set
for all of them, and collects points, fronts, learning curves, hypervolume history, cost summary
and comparisons (each later experiment against the first). `_html` draws it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline import metric_names as m
from pipeline.results_schema import (
    CONFIG_PREFIX,
    KIND_ISR,
    KIND_TRIAL,
    STATUS_FAILED,
    STATUS_FINISHED,
    STATUS_INFEASIBLE,
    STATUS_STOPPED,
)
from reports._compare import Comparison, compare, experiment_hypervolume
from reports._fronts import OBJECTIVE_SETS, OBJECTIVES, REFERENCE_RULE, objectives_of, reference_point, set_eligible
from reports._hypervolume import hypervolume
from reports._load import Experiment
from reports._pareto_file import pareto_table


@dataclass(frozen=True)
class CostSummary:
    experiment: str
    trials: int  # trial rows: every sampled configuration, trained or not
    finished: int
    stopped: int
    infeasible: int
    failed: int
    isr_rows: int
    device_hours: float  # all rows, ISR evaluations included
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
    config: dict[str, str]  # config/<name> columns and hyperparameters, shown on hover
    error: str  # why an infeasible or failed row has no metrics


@dataclass(frozen=True)
class PlotSpec:
    set_name: str
    x: str  # objective names (keys of OBJECTIVES)
    y: str
    x_label: str
    y_label: str
    x_maximize: bool
    y_maximize: bool


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
    hypervolume: float


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
    curves: list[Curve]
    history: dict[str, dict[str, list[HistoryStep]]]  # experiment → objective set → steps
    comparisons: list[Comparison]

    def to_json(self) -> str:
        """JSON with NaN → null and ±inf → "inf"/"-inf" (JSON has neither)."""
        return json.dumps(_json_safe(asdict(self)), separators=(",", ":"), allow_nan=False)


# y against x, as the issue names them: "mIoU vs GMACs" puts mIoU on the vertical axis.
PLOT_AXES: tuple[tuple[str, str, str], ...] = (
    ("miou_gmacs", "gmacs", "miou"),
    ("miou_fps", "fps", "miou"),
    ("gmacs_fps", "fps", "gmacs"),
)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


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
        device_hours=float(np.nansum(rows["device_hours"].to_numpy(dtype=np.float64))),
        wall_hours=float(np.nansum(rows["wall_time_s"].to_numpy(dtype=np.float64)) / 3600.0),
    )


def _config_of(row: pd.Series, config_columns: Sequence[str]) -> dict[str, str]:
    config = {c[len(CONFIG_PREFIX):]: str(row[c]) for c in config_columns if not _missing(row[c])}
    if row["hparams"]:
        try:
            for key, value in json.loads(row["hparams"]).items():
                config.setdefault(key, json.dumps(value) if not isinstance(value, str) else value)
        except (json.JSONDecodeError, AttributeError):
            config["hparams"] = row["hparams"]
    return config


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _points(ranked: pd.DataFrame) -> list[Point]:
    config_columns = [c for c in ranked.columns if c.startswith(CONFIG_PREFIX)]
    trial_rows = ranked[ranked["kind"] == KIND_TRIAL]
    row_of_trial = dict(zip(trial_rows["trial_id"], trial_rows["row_id"]))
    points = []
    for _, row in ranked.iterrows():
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
                config=_config_of(row, config_columns),
                error=row["error"],
            )
        )
    return points


def _history(ranked: pd.DataFrame, set_name: str, reference: tuple[float, ...]) -> list[HistoryStep]:
    """Hypervolume of the eligible rows written so far, after each eligible row in `finished_at` order."""
    mask = set_eligible(ranked, set_name)
    rows = ranked[mask].sort_values("finished_at", kind="stable")
    values = rows[[o.column for o in objectives_of(set_name)]].to_numpy(dtype=np.float64)
    maximize = [o.maximize for o in objectives_of(set_name)]
    return [
        HistoryStep(float(t), hypervolume(values[: i + 1], reference, maximize))
        for i, t in enumerate(rows["finished_at"])
    ]


def _table_set(ranked_all: pd.DataFrame) -> str:
    """The full objective set when any row has a latency; otherwise mIoU–GMACs (FPS never measured)."""
    return "miou_gmacs_fps" if ranked_all["on_front/miou_gmacs_fps"].any() else "miou_gmacs"


def gather_report(experiments: Sequence[Experiment]) -> tuple[ReportData, pd.DataFrame]:
    """Report data and the pareto table it was gathered from (written as pareto.parquet)."""
    table = pareto_table(experiments)
    labels = [e.label for e in experiments]
    per_experiment = {label: table[table["experiment"] == label] for label in labels}
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
        points=[p for label in labels for p in _points(per_experiment[label])],
        plots=[
            PlotSpec(s, x, y, OBJECTIVES[x].label, OBJECTIVES[y].label, OBJECTIVES[x].maximize, OBJECTIVES[y].maximize)
            for s, x, y in PLOT_AXES
        ],
        table_set=_table_set(table),
        curves=curves,
        history={
            label: {s: _history(rows, s, references[s]) for s in OBJECTIVE_SETS}
            for label, rows in per_experiment.items()
        },
        comparisons=comparisons,
    )
    return data, table
