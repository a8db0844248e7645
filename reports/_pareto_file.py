"""`pareto.parquet`: every row of every experiment with its front membership, ranks and provenance.

Schema: `reports/SCHEMA.md` (kept in step with `PARETO_COLUMNS` by tests/reports/test_pareto_file.py).
One row per results row (stopped, infeasible and failed rows included, with no rank), so the file
answers both "what is on the front" and "why is this row not on it".
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import metric_names as m
from pipeline.results_schema import CONFIG_PREFIX
from reports._fronts import OBJECTIVE_SETS, rank_rows
from reports._load import Experiment

PARETO_FILE = "pareto.parquet"


class ParetoColumn(NamedTuple):
    name: str
    dtype: str
    description: str


# Fixed columns in file order; `config/<name>` columns follow `isr`, the per-set columns follow `eligible`.
PARETO_COLUMNS: tuple[ParetoColumn, ...] = (
    ParetoColumn("experiment", "string", "label of the experiment in the report (its directory name)"),
    ParetoColumn("experiment_name", "string", "experiment name from the job spec"),
    ParetoColumn("source", "string", "path of the results.parquet the row was read from"),
    ParetoColumn("row_id", "string", "unique id of the row within its experiment"),
    ParetoColumn("trial_id", "string", "trial the row belongs to"),
    ParetoColumn("arch_id", "string", "stable hash of the resolved model config"),
    ParetoColumn("kind", "string", "trial or isr"),
    ParetoColumn("status", "string", "finished, stopped, infeasible or failed"),
    ParetoColumn("parent_trial_id", "string", "for ISR rows the trial whose weights are evaluated; empty otherwise"),
    ParetoColumn("isr_encoder", "string", "ISR factors of the encoder; empty when none"),
    ParetoColumn("isr_decoder", "string", "ISR factors of the decoder; empty when none"),
    ParetoColumn("isr", "string", "'<encoder>/<decoder>' ISR setting; empty for rows without ISR"),
    ParetoColumn("model_config", "string", "JSON of the resolved model config"),
    ParetoColumn("hparams", "string", "JSON of the training hyperparameters"),
    ParetoColumn(m.VAL_MIOU, "float64", "validation mIoU; NaN when never trained"),
    ParetoColumn(m.VAL_PIXEL_ACC, "float64", "validation pixel accuracy; NaN when never trained"),
    ParetoColumn(m.COST_PARAMS, "int64", "parameters of the inference graph"),
    ParetoColumn(m.COST_GMACS, "float64", "GMACs per image"),
    ParetoColumn(m.COST_LATENCY_MS, "float64", "median latency, ms; NaN when not measured"),
    ParetoColumn(m.COST_LATENCY_P10_MS, "float64", "p10 latency, ms"),
    ParetoColumn(m.COST_LATENCY_P90_MS, "float64", "p90 latency, ms"),
    ParetoColumn(m.COST_FPS, "float64", "images per second; NaN when not measured"),
    ParetoColumn("epochs", "int64", "epochs the weights were trained for"),
    ParetoColumn("max_epochs", "int64", "epochs the schedule asked for"),
    ParetoColumn("fidelity", "float64", "epochs / max_epochs (1.0 = full schedule); NaN when max_epochs is 0"),
    ParetoColumn("eligible", "bool", "passes the front membership rule (reports._fronts)"),
    ParetoColumn("code_version", "string", "git commit or package version of segnas"),
    ParetoColumn("library_versions", "string", "JSON: torch, ray, optuna versions"),
    ParetoColumn("device", "string", "fingerprint of the device the costs were measured on"),
    ParetoColumn("seed", "int64", "seed of the trial"),
    ParetoColumn("wall_time_s", "float64", "wall time of the trial, seconds"),
    ParetoColumn("device_hours", "float64", "workers × wall time / 3600"),
    ParetoColumn("finished_at", "float64", "UNIX time the row was written"),
    ParetoColumn("error", "string", "why a row failed or was infeasible; empty otherwise"),
)

# Per objective set S (names in reports.OBJECTIVE_SETS), after `eligible`.
PER_SET_COLUMNS: tuple[ParetoColumn, ...] = (
    ParetoColumn("rank/{set}", "Int64", "non-dominated rank within the experiment (1 = front); null when not eligible"),
    ParetoColumn("on_front/{set}", "bool", "rank == 1"),
    ParetoColumn("crowding/{set}", "float64", "NSGA-II crowding distance within the rank; NaN when not eligible"),
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


def write_parquet_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write next to the target, then rename over it: a reader never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(text: str, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
