"""pareto.parquet: the documented schema, one row per results row, atomic writes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import reports
from reports import OBJECTIVE_SETS, PARETO_COLUMNS, PER_SET_COLUMNS, write_report
from tests.reports.results_factory import demo_rows, write_results

SCHEMA_DOC = Path(reports.__file__).parent / "SCHEMA.md"


def test_columns_follow_the_schema_and_the_doc(tmp_path: Path) -> None:
    paths = write_report([write_results(tmp_path / "exp", demo_rows())])
    assert paths.pareto == tmp_path / "exp" / "pareto.parquet" and paths.html.is_file()
    table = pd.read_parquet(paths.pareto)
    per_set = {c.name.format(set=s) for s in OBJECTIVE_SETS for c in PER_SET_COLUMNS}
    assert set(table.columns) == {c.name for c in PARETO_COLUMNS} | per_set | {"config/encoder", "config/depth"}
    documented = set(re.findall(r"^\| `([^`]+)` \|", SCHEMA_DOC.read_text(encoding="utf-8"), flags=re.M))
    assert {c.name for c in PARETO_COLUMNS} | {c.name for c in PER_SET_COLUMNS} <= documented
    assert len(table) == 8
    assert str(table["rank/miou_gmacs"].dtype) == "Int64" and table["on_front/miou_gmacs"].dtype == bool
    row = table.set_index("row_id").loc["t1/isr=2,2,1,1/2,2,2"]
    assert row["isr"] == "2,2,1,1/2,2,2" and row["parent_trial_id"] == "t1" and row["fidelity"] == 1.0
    assert table.set_index("row_id").loc["t4", "fidelity"] == 0.25  # stopped after 1 of 4 epochs
    assert {"code_version", "library_versions", "device", "seed", "wall_time_s", "device_hours"} <= set(table.columns)


def test_writes_atomically_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    experiment = write_results(tmp_path / "exp", demo_rows())
    write_report([experiment], out)
    first = (out / "pareto.parquet").stat().st_ino
    write_report([experiment], out)
    assert (out / "pareto.parquet").stat().st_ino != first  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in out.iterdir()) == ["pareto.parquet", "report.html"]
