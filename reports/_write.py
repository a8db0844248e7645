"""`write_report`: experiments in, `pareto.parquet` and `report.html` out (both written atomically)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from reports._atomic import write_parquet_atomic, write_text_atomic
from reports._compare import Comparison
from reports._html import render_html
from reports._load import load_experiments
from reports._pareto_file import PARETO_FILE
from reports._report_data import gather_report

REPORT_FILE = "report.html"


class ReportPaths(NamedTuple):
    pareto: Path
    html: Path
    comparisons: tuple[Comparison, ...]  # each later experiment against the first; empty for one experiment


def write_report(experiment_dirs: Sequence[Path], out_dir: Path | None = None) -> ReportPaths:
    """Rank and report one or more experiments; the first is the baseline of every comparison.

    Each entry is an experiment directory holding `results.parquet` (or a path to such a file).
    `out_dir` defaults to the first experiment's directory. Raises `SchemaError` on a malformed file.
    """
    experiments = load_experiments([Path(p) for p in experiment_dirs])
    data, table = gather_report(experiments)
    out = Path(out_dir) if out_dir is not None else experiments[0].results_path.parent
    pareto, html = out / PARETO_FILE, out / REPORT_FILE
    write_parquet_atomic(table, pareto)
    write_text_atomic(render_html(data), html)
    return ReportPaths(pareto, html, tuple(data.comparisons))
