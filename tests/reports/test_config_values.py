"""The searched configuration as people read it: integers as integers, tuples as tuples, one lr."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from reports._config_values import category_of, format_value, row_config, searched_columns


@pytest.mark.parametrize(
    "value, shown",
    [(128.0, "128"), (3, "3"), (0.0022422398645092177, "0.002242"), ("[2, 1, 1]", "(2, 1, 1)"), ("[7]", "(7,)"),
     ([[1, 2], [3]], "((1, 2), (3,))"), ("mscan", "mscan"), (math.nan, ""), (None, ""), (True, "true"),
     ("[not json", "[not json"), (1e20, "1e+20")],
)
def test_format_value(value: object, shown: str) -> None:
    assert format_value(value) == shown


def test_row_config_shows_each_hyperparameter_once() -> None:
    row = pd.Series({"config/train.lr": 0.003, "config/eft.widths[3]": 128.0, "config/mscan.depths": math.nan,
                     "hparams": json.dumps({"lr": 0.003, "weight_decay": 0.01})})
    columns = ["config/eft.widths[3]", "config/mscan.depths", "config/train.lr"]
    assert row_config(row, columns) == {"eft.widths[3]": "128", "train.lr": "0.003", "train.weight_decay": "0.01"}


def test_row_config_keeps_unreadable_hparams_as_text() -> None:
    row = pd.Series({"config/a": 1.0, "hparams": "{broken"})
    assert row_config(row, ["config/a"]) == {"a": "1", "hparams": "{broken"}


def test_searched_columns_skip_columns_without_a_value() -> None:
    rows = pd.DataFrame({"config/b": [1.0, math.nan], "config/a": ["x", None], "config/none": [math.nan, math.nan],
                         "other": [1, 2]})
    assert searched_columns(rows) == ["config/a", "config/b"]
    assert [category_of(v) for v in rows["config/b"]] == ["1", "n/a"]
