"""Result rows of a search (`pipeline.results_schema`), built from Tune's trial results and appended
to `<experiment dir>/results.parquet` as trials end.

Status comes from the trial's last result: the trial function marks finished and infeasible
points itself; a trial whose last result carries no mark was cut by the scheduler (stopped); a
trial that raised is failed. Writes are atomic (`pipeline.storage`: rename locally, one object on
S3), so a reader — or an interrupted search — never sees half a file. A write that fails (read-only
or full disk) never ends the search: the rows stay in memory, a warning names the file, and every
later write (and the end of the run) tries again with all rows still pending.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from ray.tune import Callback

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.results_schema import (
    ADDED_COLUMNS,
    COLUMNS,
    CONFIG_PREFIX,
    KIND_ISR,
    KIND_TRIAL,
    RESULTS_FILE,
    STATUS_FAILED,
    STATUS_FINISHED,
    STATUS_INFEASIBLE,
    STATUS_STOPPED,
    empty_value,
)
from pipeline.search._points import canonical_json, resolve_point
from pipeline.search._searcher import STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.search._space import SearchSpace, decode_choice
from pipeline.search._trial import (
    BENCHMARK_KEY,
    CHECKPOINT_KEY,
    CURVE_KEY,
    DEVICE_KEY,
    ERROR_KEY,
    ISR_KEY,
    PREDICTIONS_KEY,
    PRETRAINED_KEY,
    WALL_KEY,
    trial_name,
)
from pipeline.storage import Location, read_table, resolve_location, write_table_atomic


def _location(experiment_dir: str | Path | Location) -> Location:
    return experiment_dir if isinstance(experiment_dir, Location) else resolve_location(experiment_dir)


def read_results(experiment_dir: str | Path | Location) -> pd.DataFrame:
    """The experiment's rows so far (an empty frame with the schema's columns when none)."""
    location = _location(experiment_dir).join(RESULTS_FILE)
    if not location.is_file():
        return pd.DataFrame({c.name: pd.Series(dtype=_pandas_dtype(c.dtype)) for c in COLUMNS})
    return read_table(location).to_pandas()


def _pandas_dtype(dtype: str) -> str:
    return "object" if dtype.startswith("list") else dtype


def append_rows(experiment_dir: str | Path | Location, rows: Sequence[dict[str, Any]]) -> Location:
    """Append rows to results.parquet atomically; columns typed by the schema, config/ columns as given."""
    location = _location(experiment_dir).join(RESULTS_FILE)
    frame = pd.concat([read_results(experiment_dir), pd.DataFrame(list(rows))], ignore_index=True)
    for column in COLUMNS:
        if column.name in ADDED_COLUMNS:
            empty = empty_value(column)
            frame[column.name] = frame[column.name].fillna(empty) if column.name in frame else empty
        if column.dtype.startswith("list"):
            frame[column.name] = frame[column.name].map(lambda v: [float(x) for x in v] if v is not None else [])
        elif column.dtype == "int64":
            frame[column.name] = frame[column.name].fillna(0).astype("int64")
        else:
            frame[column.name] = frame[column.name].astype(column.dtype)
    config_columns = sorted(c for c in frame.columns if c.startswith(CONFIG_PREFIX))
    frame = frame[[c.name for c in COLUMNS] + config_columns]
    write_table_atomic(location, pa.Table.from_pandas(frame, preserve_index=False))
    return location


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class RowContext:
    """What every row of one experiment shares."""

    def __init__(self, experiment: str, space: SearchSpace, num_classes: int, max_epochs: int, seed: int,
                 workers: int, code_version: str, library_versions: dict[str, str]) -> None:
        self.experiment = experiment
        self.space = space
        self.num_classes = num_classes
        self.max_epochs = max_epochs
        self.seed = seed
        self.workers = workers
        self.code_version = code_version
        self.library_versions = json.dumps(library_versions, sort_keys=True)

    def trial_rows(self, config: dict[str, Any], result: dict[str, Any], status: str, curve: list[float],
                   error: str = "") -> list[dict[str, Any]]:
        """The trial's row and, for a finished trial, one row per ISR setting."""
        params = {k: v for k, v in config.items() if k != TRIAL_NUMBER_KEY}
        name = trial_name(int(config[TRIAL_NUMBER_KEY]))
        try:
            point = resolve_point(self.space, params, self.num_classes)
            arch, model_json, hparams = point.arch_id, canonical_json(point.model_config), point.hparams
            encoder, decoder = point.model_config["encoder"]["name"], point.model_config["decoder"]["name"]
        except ConfigError as config_error:
            arch, model_json, hparams, encoder, decoder = "", "", {}, "", ""
            error = error or str(config_error)
        trained = status in (STATUS_FINISHED, STATUS_STOPPED)
        wall = _float(result.get(WALL_KEY, result.get("time_total_s")))
        base = {
            "experiment": self.experiment,
            "arch_id": arch,
            "epochs": int(result.get(m.EPOCH, 0) or 0) if trained else 0,
            "max_epochs": self.max_epochs,
            "model_config": model_json,
            "hparams": canonical_json(hparams),
            "seed": int(hparams.get("seed", self.seed)),
            "wall_time_s": wall,
            "device_hours": self.workers * wall / 3600.0 if trained else 0.0,
            "device": str(result.get(DEVICE_KEY, "")),
            "benchmark": str(result.get(BENCHMARK_KEY, "") or ""),
            "code_version": self.code_version,
            "library_versions": self.library_versions,
            "finished_at": time.time(),
            "pretrained": str(result.get(PRETRAINED_KEY, "") or "") if trained else "",
            CONFIG_PREFIX + "encoder": encoder,
            CONFIG_PREFIX + "decoder": decoder,
            **{CONFIG_PREFIX + k: _config_value(v) for k, v in params.items() if k not in ("encoder", "decoder")},
        }
        costs = {c: _float(result.get(c)) for c in m.COST_METRICS}
        row = {
            **base,
            "row_id": name,
            "trial_id": name,
            "kind": KIND_TRIAL,
            "status": status,
            "parent_trial_id": "",
            "isr_encoder": "",
            "isr_decoder": "",
            m.VAL_MIOU: _float(result.get(m.VAL_MIOU)) if trained else math.nan,
            m.VAL_PIXEL_ACC: _float(result.get(m.VAL_PIXEL_ACC)) if trained else math.nan,
            **costs,
            m.COST_PARAMS: int(_float(result.get(m.COST_PARAMS)) if not math.isnan(costs[m.COST_PARAMS]) else 0),
            "learning_curve": curve if trained else [],
            "error": error or str(result.get(ERROR_KEY, "")),
            "checkpoint_uri": str(result.get(CHECKPOINT_KEY, "")) if status == STATUS_FINISHED else "",
            "predictions": str(result.get(PREDICTIONS_KEY, "")) if status == STATUS_FINISHED else "",
        }
        rows = [row]
        for isr in json.loads(result.get(ISR_KEY, "[]")) if status == STATUS_FINISHED else []:
            rows.append({
                **base,
                "row_id": f"{name}/isr={isr['isr_encoder']}/{isr['isr_decoder']}",
                "trial_id": name,
                "kind": KIND_ISR,
                "status": STATUS_FINISHED,
                "parent_trial_id": name,
                "isr_encoder": isr["isr_encoder"],
                "isr_decoder": isr["isr_decoder"],
                **{k: _float(isr.get(k)) for k in (m.VAL_MIOU, m.VAL_PIXEL_ACC, *m.COST_METRICS)},
                m.COST_PARAMS: int(isr[m.COST_PARAMS]),
                "learning_curve": [],
                "error": "",
                "checkpoint_uri": row["checkpoint_uri"],
                "predictions": str(isr.get(PREDICTIONS_KEY, "")),
            })
        return rows


def _config_value(value: Any) -> Any:
    """Scalars stay scalars (numeric columns in reports); per-stage tuples stay readable JSON."""
    decoded = decode_choice(value)
    return json.dumps(decoded) if isinstance(decoded, tuple) else decoded


def trial_status(result: dict[str, Any]) -> str:
    """finished / infeasible / failed as the trial marked itself; no mark means the scheduler cut it."""
    status = result.get(STATUS_KEY)
    return status if status in (STATUS_FINISHED, STATUS_INFEASIBLE, STATUS_FAILED) else STATUS_STOPPED


class ResultsCallback(Callback):
    """Appends each ended trial's rows to results.parquet, in the driver, as trials end."""

    def __init__(self, experiment_dir: str | Path | Location, rows: RowContext) -> None:
        self.experiment_dir = _location(experiment_dir)
        self.rows = rows
        self.curves: dict[str, list[float]] = {}
        self.written: list[str] = []  # trial names, in the order their rows were written
        self.pending: list[dict[str, Any]] = []  # rows whose write failed; written with the next ones
        self.warn = lambda text: print(text, file=sys.stderr, flush=True)

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        if STATUS_KEY not in result and m.VAL_MIOU in result:
            self.curves.setdefault(trial.trial_id, []).append(float(result[m.VAL_MIOU]))

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        result = dict(trial.last_result or {})
        status = trial_status(result)
        curve = json.loads(result[CURVE_KEY]) if CURVE_KEY in result else self.curves.get(trial.trial_id, [])
        self._write(self.rows.trial_rows(trial.config, result, status, curve))

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        from pipeline.search._monitor import error_reason

        try:
            reason = error_reason(str(trial.get_error() or ""))
        except Exception as read_error:  # the error file may be on remote storage that is gone
            reason = f"(error text unavailable: {read_error})"
        result = dict(trial.last_result or {})
        rows = self.rows.trial_rows(trial.config, result, STATUS_FAILED, self.curves.get(trial.trial_id, []), reason)
        self._write(rows)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        self.written.append(rows[0]["trial_id"])
        self.pending.extend(rows)
        self.flush()

    def flush(self) -> bool:
        """Write the pending rows; False (and a warning naming the file) when the write failed."""
        if not self.pending:
            return True
        try:
            append_rows(self.experiment_dir, self.pending)
        except OSError as error:
            self.warn(f"warning: {self.experiment_dir.join(RESULTS_FILE).uri}: could not write "
                      f"{len(self.pending)} row(s) ({error.strerror or error}); kept in memory, retried at the next write")
            return False
        self.pending = []
        return True
