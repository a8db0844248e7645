"""Read and validate experiment `results.parquet` files against `pipeline.results_schema`.

The check runs on the Arrow schema, before pandas converts anything, so an error can name the type
that is really in the file. Extra `config/<name>` columns are kept with whatever type they have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.results_schema import ADDED_COLUMNS, COLUMNS, KINDS, RESULTS_FILE, STATUSES, empty_value


class SchemaError(ValueError):
    """A results file that does not follow `pipeline.results_schema`; the message names file and column."""


class Experiment(NamedTuple):
    label: str  # short name shown in the report: the experiment directory's name, made unique
    results_path: Path
    rows: pd.DataFrame  # validated rows, columns typed as in the schema


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t) or pa.types.is_null(t)


def _is_number(t: pa.DataType) -> bool:
    # An all-integer float column (no NaN yet) is still a valid float column.
    return pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_null(t)


def _is_number_list(t: pa.DataType) -> bool:
    if pa.types.is_null(t):  # a column with no rows, or no curve yet, carries no element type
        return True
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return False
    return _is_number(t.value_type)


# Schema dtype → which Arrow types satisfy it.
_ACCEPTS: dict[str, Callable[[pa.DataType], bool]] = {
    "string": _is_string,
    "int64": pa.types.is_integer,
    "float64": _is_number,
    "bool": pa.types.is_boolean,
    "list<float64>": _is_number_list,
}


def check_schema(schema: pa.Schema, source: str) -> None:
    """Raise `SchemaError` naming `source`, the column and the expected dtype on the first problem."""
    names = set(schema.names)
    missing = [c for c in COLUMNS if c.name not in names and c.name not in ADDED_COLUMNS]
    if missing:
        listed = ", ".join(f"{c.name!r} (expected {c.dtype}: {c.description})" for c in missing)
        raise SchemaError(f"{source}: missing column{'s' if len(missing) > 1 else ''} {listed}")
    for column in COLUMNS:
        if column.name not in names:
            continue
        actual = schema.field(column.name).type
        if not _ACCEPTS[column.dtype](actual):
            raise SchemaError(
                f"{source}: column {column.name!r} has type {actual}; expected {column.dtype} ({column.description})"
            )


def _coerce(rows: pd.DataFrame) -> pd.DataFrame:
    """Give every schema column its schema dtype (all-null columns come back as object)."""
    out = rows.copy()
    for column in COLUMNS:
        if column.name in ADDED_COLUMNS and column.name not in out.columns:
            out[column.name] = empty_value(column)
    for column in COLUMNS:
        values = out[column.name]
        if column.dtype == "string":
            out[column.name] = values.astype(object).where(values.notna(), "").astype(str)
        elif column.dtype == "float64":
            out[column.name] = pd.to_numeric(values, errors="raise").astype("float64")
        elif column.dtype == "int64":
            out[column.name] = values.astype("int64")
        elif column.dtype == "list<float64>":
            out[column.name] = [
                [] if v is None else [float(x) for x in v] for v in values.astype(object)
            ]
    return out


def read_results(path: Path) -> pd.DataFrame:
    """Read one results file, validate its columns and values; rows keep the file's order."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: no such results file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise SchemaError(f"{path}: not a readable Parquet file ({error})") from error
    check_schema(table.schema, str(path))
    try:
        rows = _coerce(table.to_pandas())
    except (ValueError, TypeError) as error:  # e.g. a null in an int64 column
        raise SchemaError(f"{path}: {error}") from error
    for column, allowed in (("kind", KINDS), ("status", STATUSES)):
        bad = sorted(set(rows[column]) - set(allowed))
        if bad:
            raise SchemaError(f"{path}: column {column!r} has value(s) {bad}; expected one of {allowed}")
    return rows


def results_path(experiment: Path) -> Path:
    """An experiment directory → its results file; a path to a .parquet file is taken as it is."""
    experiment = Path(experiment)
    return experiment if experiment.suffix == ".parquet" else experiment / RESULTS_FILE


def load_experiments(paths: Sequence[Path]) -> list[Experiment]:
    """Read each experiment; labels are directory names, suffixed with #2, #3… when two are equal."""
    if not paths:
        raise SchemaError("no experiment given")
    experiments: list[Experiment] = []
    seen: dict[str, int] = {}
    for path in paths:
        file = results_path(path)
        name = file.parent.name or str(file.parent)
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}#{seen[name]}"
        experiments.append(Experiment(label, file, read_results(file)))
    return experiments
