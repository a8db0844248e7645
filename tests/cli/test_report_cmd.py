"""`segnas report`: one experiment, a comparison printed to the terminal, a schema error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from tests.reports.results_factory import demo_rows, frame, write_results
from tests.s3_server import S3Server


def test_one_experiment_writes_into_its_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    experiment = write_results(tmp_path / "exp", demo_rows())
    assert main(["report", str(experiment)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {experiment / 'pareto.parquet'}" in out and "comparison" not in out
    assert pd.read_parquet(experiment / "pareto.parquet")["on_front/miou_gmacs"].sum() == 4
    assert (experiment / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_comparison_prints_hypervolume_change_and_front_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_results(tmp_path / "a", demo_rows("a"))
    rows = demo_rows("b", 0.05)
    rows[1]["arch_id"] = "arch-new"  # t2 is a different architecture in B
    b = write_results(tmp_path / "b", rows)
    out_dir = tmp_path / "out"
    assert main(["report", str(a), str(b), "-o", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "comparison: a (A) → b (B)" in out
    assert "miou_gmacs " in out and "+7.8%" in out  # (4.17 − 3.87) / 3.87 at reference (0, 11)
    assert "+ arch-new" in out and "- arch-t2" in out
    assert (out_dir / "report.html").is_file() and not (a / "report.html").exists()


def test_schema_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "exp").mkdir()
    frame(demo_rows()).drop(columns=["status"]).to_parquet(tmp_path / "exp" / "results.parquet")
    assert main(["report", str(tmp_path / "exp")]) == 2
    assert "missing column 'status'" in capsys.readouterr().err


def test_report_reads_and_writes_an_s3_experiment(s3_env: S3Server, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.storage import copy_file, read_bytes, resolve_location, staged

    local = write_results(tmp_path / "exp", demo_rows())
    remote = resolve_location(f"s3://{s3_env.bucket}/reports/exp")
    copy_file(local / "results.parquet", remote.join("results.parquet"))
    assert main(["report", remote.uri]) == 0
    out = capsys.readouterr().out
    assert f"wrote {remote.uri}/pareto.parquet" in out and f"wrote {remote.uri}/report.html" in out
    assert read_bytes(remote.join("report.html")).startswith(b"<!DOCTYPE html>")
    with staged(remote, inputs=["pareto.parquet"], outputs=[]) as copy:
        assert pd.read_parquet(copy / "pareto.parquet")["on_front/miou_gmacs"].sum() == 4
    assert main(["report", f"s3://{s3_env.bucket}/reports/missing"]) == 2
    assert "no such results file" in capsys.readouterr().err
