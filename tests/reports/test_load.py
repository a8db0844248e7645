"""Reading results.parquet: schema errors name the file, the column and the expected dtype."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from pipeline import metric_names as m
from pipeline.results_schema import RESULTS_FILE
from reports import SchemaError, load_experiments, read_results
from tests.reports.results_factory import demo_rows, frame, write_results


def test_reads_rows_and_keeps_config_columns(tmp_path: Path) -> None:
    directory = write_results(tmp_path / "exp", demo_rows())
    rows = read_results(directory / RESULTS_FILE)
    assert len(rows) == 8
    assert {"config/encoder", "config/depth"} <= set(rows.columns)
    assert rows["learning_curve"].iloc[0] == pytest.approx([0.3, 0.6])
    assert rows[m.VAL_MIOU].dtype == "float64" and rows["epochs"].dtype == "int64"


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / RESULTS_FILE
    frame(demo_rows()).drop(columns=[m.COST_GMACS]).to_parquet(path)
    with pytest.raises(SchemaError) as error:
        read_results(path)
    message = str(error.value)
    assert str(path) in message and "missing column 'cost/gmacs'" in message and "expected float64" in message


def test_mistyped_column_is_named_with_expected_dtype(tmp_path: Path) -> None:
    path = tmp_path / RESULTS_FILE
    df = frame(demo_rows())
    df["epochs"] = df["epochs"].astype(str)
    df.to_parquet(path)
    with pytest.raises(SchemaError) as error:
        read_results(path)
    message = str(error.value)
    assert str(path) in message and "column 'epochs'" in message and "expected int64" in message
    assert "string" in message  # the type found


def test_mistyped_float_and_list_columns(tmp_path: Path) -> None:
    path = tmp_path / RESULTS_FILE
    df = frame(demo_rows())
    df[m.VAL_MIOU] = ["high"] * len(df)
    df.to_parquet(path)
    with pytest.raises(SchemaError, match=r"column 'val/miou' has type .*string.*; expected float64"):
        read_results(path)
    df = frame(demo_rows())
    df["learning_curve"] = ["0.1,0.2"] * len(df)
    df.to_parquet(path)
    with pytest.raises(SchemaError, match=r"column 'learning_curve' .*expected list<float64>"):
        read_results(path)


def test_unknown_status_and_unreadable_file(tmp_path: Path) -> None:
    rows = demo_rows()
    rows[0]["status"] = "done"
    write_results(tmp_path / "exp", rows)
    with pytest.raises(SchemaError, match=r"column 'status' has value\(s\) \['done'\]"):
        read_results(tmp_path / "exp" / RESULTS_FILE)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / RESULTS_FILE).write_text("not parquet")
    with pytest.raises(SchemaError, match="not a readable Parquet file"):
        load_experiments([tmp_path / "bad"])
    with pytest.raises(SchemaError, match="no such results file"):
        load_experiments([tmp_path / "absent"])


def test_integer_gmacs_column_is_accepted(tmp_path: Path) -> None:
    df = frame(demo_rows())
    df[m.COST_GMACS] = df[m.COST_GMACS].astype("int64")
    df.to_parquet(tmp_path / RESULTS_FILE)
    assert read_results(tmp_path / RESULTS_FILE)[m.COST_GMACS].dtype == "float64"


def test_labels_are_unique(tmp_path: Path) -> None:
    a = write_results(tmp_path / "one" / "exp", demo_rows())
    b = write_results(tmp_path / "two" / "exp", demo_rows())
    assert [e.label for e in load_experiments([a, b])] == ["exp", "exp#2"]
    assert not math.isnan(pd.read_parquet(a / RESULTS_FILE)[m.VAL_MIOU].iloc[0])


def test_file_written_before_the_onnx_runtime_columns_reads_them_as_empty(tmp_path: Path) -> None:
    from pipeline.search._results import append_rows
    from pipeline.search._results import read_results as search_rows

    added = [m.COST_ORT_LATENCY_MS, m.COST_ORT_LATENCY_P10_MS, m.COST_ORT_LATENCY_P90_MS, "benchmark"]
    frame(demo_rows()).drop(columns=added).to_parquet(tmp_path / RESULTS_FILE)
    rows = read_results(tmp_path / RESULTS_FILE)
    assert rows[m.COST_ORT_LATENCY_MS].dtype == "float64" and rows[m.COST_ORT_LATENCY_MS].isna().all()
    assert (rows["benchmark"] == "").all()
    # The search appends to such a file: the old rows stay NaN / empty, the new one keeps its values.
    new = {**frame(demo_rows()).iloc[0].to_dict(), "row_id": "t9", m.COST_ORT_LATENCY_MS: 1.5, "benchmark": "{}"}
    append_rows(tmp_path, [new])
    appended = search_rows(tmp_path)
    assert appended[m.COST_ORT_LATENCY_MS].tolist()[-1] == 1.5 and appended[m.COST_ORT_LATENCY_MS].isna().sum() == 8
    assert appended["benchmark"].tolist() == [""] * 8 + ["{}"]
