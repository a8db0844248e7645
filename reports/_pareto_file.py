"""`pareto.parquet`: every row of every experiment with its front membership, ranks and provenance.

Schema: `reports/SCHEMA.md` (kept in step with `PARETO_COLUMNS` by tests/reports/test_pareto_file.py).
One row per results row (stopped, infeasible and failed rows included, with no rank), so the file
answers both "what is on the front" and "why is this row not on it".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline import metric_names as m
from pipeline.results_schema import COLUMNS as RESULT_COLUMNS
from pipeline.results_schema import CONFIG_PREFIX, Column
from reports._fronts import OBJECTIVE_SETS, rank_rows
from reports._load import Experiment

PARETO_FILE = "pareto.parquet"


_RESULT_COLUMNS = {column.name: column for column in RESULT_COLUMNS}


def _as_in_results(*names: str) -> tuple[Column, ...]:
    """Columns carried over from results.parquet unchanged: their dtype and meaning are the results schema's."""
    return tuple(_RESULT_COLUMNS[name] for name in names)


# Fixed columns in file order; `config/<name>` columns follow `isr`, the per-set columns follow `eligible`.
PARETO_COLUMNS: tuple[Column, ...] = (
    Column("experiment", "string", "label of the experiment in the report (its directory name)"),
    Column("experiment_name", "string", "experiment name from the job spec"),
    Column("source", "string", "path of the results.parquet the row was read from"),
    *_as_in_results("row_id", "trial_id", "arch_id", "kind", "status", "parent_trial_id", "isr_encoder", "isr_decoder"),
    Column("isr", "string", "'<encoder>/<decoder>' ISR setting; empty for rows without ISR"),
    *_as_in_results(
        "model_config",
        "hparams",
        m.VAL_MIOU,
        m.VAL_PIXEL_ACC,
        m.COST_PARAMS,
        m.COST_GMACS,
        m.COST_LATENCY_MS,
        m.COST_LATENCY_P10_MS,
        m.COST_LATENCY_P90_MS,
        m.COST_FPS,
        m.COST_ORT_LATENCY_MS,
        m.COST_ORT_LATENCY_P10_MS,
        m.COST_ORT_LATENCY_P90_MS,
        "epochs",
        "max_epochs",
    ),
    Column("fidelity", "float64", "epochs / max_epochs (1.0 = full schedule); NaN when max_epochs is 0"),
    Column("eligible", "bool", "passes the front membership rule (reports._fronts)"),
    *_as_in_results(
        "code_version", "library_versions", "device", "benchmark", "seed", "wall_time_s", "device_hours",
        "finished_at", "error"
    ),
    *_as_in_results("checkpoint_uri", "predictions"),
)

# Per objective set S (names in reports.OBJECTIVE_SETS), after `eligible`.
PER_SET_COLUMNS: tuple[Column, ...] = (
    Column("rank/{set}", "Int64", "non-dominated rank within the experiment (1 = front); null when not eligible"),
    Column("on_front/{set}", "bool", "rank == 1"),
    Column("crowding/{set}", "float64", "NSGA-II crowding distance within the rank; NaN when not eligible"),
)


def isr_label(encoder: str, decoder: str) -> str:
    return f"{encoder}/{decoder}" if encoder or decoder else ""


def pareto_table(experiments: Sequence[Experiment]) -> pd.DataFrame:
    """All rows of all experiments, ranked per experiment, in the column order of the schema."""
    frames = []
    for experiment in experiments:
        ranked = rank_rows(experiment.rows)
        ranked["experiment_name"] = ranked["experiment"]
        ranked["experiment"] = experiment.label
        ranked["source"] = str(experiment.results_path)
        ranked["isr"] = [isr_label(e, d) for e, d in zip(ranked["isr_encoder"], ranked["isr_decoder"])]
        max_epochs = ranked["max_epochs"].to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ranked["fidelity"] = np.where(max_epochs > 0, ranked["epochs"].to_numpy(dtype=np.float64) / max_epochs, np.nan)
        frames.append(ranked)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    config_columns = sorted({c for frame in frames for c in frame.columns if c.startswith(CONFIG_PREFIX)})
    fixed = [c.name for c in PARETO_COLUMNS]
    at_isr = fixed.index("isr") + 1
    at_eligible = fixed.index("eligible") + 1
    per_set = [c.name.format(set=s) for s in OBJECTIVE_SETS for c in PER_SET_COLUMNS]
    order = fixed[:at_isr] + config_columns + fixed[at_isr:at_eligible] + per_set + fixed[at_eligible:]
    return table[order]
