"""The searched configuration of a row, as people read it: integers as integers, tuples as tuples.

The search writes each sampled dimension as a `config/<name>` column: numbers (a column holding NaN
where a dimension is inactive comes back as float, so `128` reads `128.0`) and per-stage tuples as
JSON lists (`"[2, 1, 1]"`). Training hyperparameters are also in the `hparams` JSON; a key that a
`config/train.<key>` column already holds is shown once, under the column's name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.results_schema import CONFIG_PREFIX

TRAIN_PREFIX = "train."


def is_missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _number(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _decoded(value: Any) -> Any:
    """JSON lists written by the search → tuples; anything else unchanged."""
    if isinstance(value, str) and value.startswith("["):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return value
        return _as_tuple(decoded) if isinstance(decoded, list) else value
    if isinstance(value, list):
        return _as_tuple(value)
    return value


def _as_tuple(values: list[Any]) -> tuple[Any, ...]:
    return tuple(_as_tuple(v) if isinstance(v, list) else v for v in values)


def format_value(value: Any) -> str:
    """One cell of the table or the hover text; empty for a missing value."""
    value = _decoded(value)
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, tuple):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return str(value)


def searched_columns(rows: pd.DataFrame) -> list[str]:
    """`config/<name>` columns with at least one value, sorted by name."""
    return sorted(c for c in rows.columns if c.startswith(CONFIG_PREFIX) and not rows[c].map(is_missing).all())


def dimension_name(column: str) -> str:
    return column[len(CONFIG_PREFIX):]


def row_config(row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, str]:
    """Searched dimensions (formatted) plus the hyperparameters no `config/train.<key>` column holds."""
    config = {dimension_name(c): format_value(row[c]) for c in columns if not is_missing(row[c])}
    try:
        hparams = json.loads(row["hparams"]) if row["hparams"] else {}
    except json.JSONDecodeError:
        return {**config, "hparams": str(row["hparams"])}
    if not isinstance(hparams, dict):
        return {**config, "hparams": str(row["hparams"])}
    shown = {dimension_name(c) for c in columns}
    for key, value in hparams.items():
        if key not in shown and TRAIN_PREFIX + key not in shown:
            config[TRAIN_PREFIX + key] = format_value(value)
    return config


def category_of(value: Any) -> str:
    """A value as a category label for grouping (importance, parallel coordinates); missing → 'n/a'."""
    text = format_value(value)
    return text if text else "n/a"
