"""Reporting stage: Pareto fronts of experiment results, `pareto.parquet` and a self-contained `report.html`.

Reads the Parquet files the search writes (`pipeline.results_schema`); imports neither torch nor
Ray, so a report can be made on a laptop. Gathering the data (`gather_report` → `ReportData`) is
separate from drawing it: `build_figures` turns it into plotly figures, `render_html` into the page
(plotly.js inlined once, so the file opens offline).
"""

from reports._compare import Comparison, SetComparison, compare, format_comparison, front_key
from reports._dominance import crowding_distance, domination_matrix, non_dominated_ranks, to_minimization
from reports._figures_search import build_figures
from reports._fronts import (
    GMACS_REFERENCE_FACTOR,
    OBJECTIVE_SETS,
    OBJECTIVES,
    REFERENCE_RULE,
    Objective,
    front_eligible,
    rank_rows,
    reference_point,
    set_eligible,
)
from reports._gallery import Gallery, GalleryItem, Sample
from reports._html import embed_json, render_html
from reports._hypervolume import hypervolume
from reports._importance import IMPORTANCE_METHOD, Importance, epsilon_squared
from reports._load import Experiment, SchemaError, check_schema, load_experiments, read_results, results_path
from reports._pareto_file import PARETO_COLUMNS, PARETO_FILE, PER_SET_COLUMNS, pareto_table
from reports._report_data import (
    CostSummary,
    Curve,
    HistoryStep,
    PlotSpec,
    Point,
    ReportData,
    cost_summary,
    gather_report,
)
from reports._search_views import BreakdownRow, ParallelData, ParallelDimension
from reports._write import REPORT_FILE, ReportPaths, write_report

__all__ = [
    "GMACS_REFERENCE_FACTOR",
    "IMPORTANCE_METHOD",
    "OBJECTIVES",
    "OBJECTIVE_SETS",
    "PARETO_COLUMNS",
    "PARETO_FILE",
    "PER_SET_COLUMNS",
    "REFERENCE_RULE",
    "REPORT_FILE",
    "BreakdownRow",
    "Comparison",
    "CostSummary",
    "Curve",
    "Experiment",
    "Gallery",
    "GalleryItem",
    "HistoryStep",
    "Importance",
    "Objective",
    "ParallelData",
    "ParallelDimension",
    "Point",
    "PlotSpec",
    "ReportData",
    "ReportPaths",
    "Sample",
    "SchemaError",
    "SetComparison",
    "build_figures",
    "check_schema",
    "compare",
    "cost_summary",
    "crowding_distance",
    "domination_matrix",
    "embed_json",
    "epsilon_squared",
    "format_comparison",
    "front_eligible",
    "front_key",
    "gather_report",
    "hypervolume",
    "load_experiments",
    "non_dominated_ranks",
    "pareto_table",
    "rank_rows",
    "read_results",
    "reference_point",
    "render_html",
    "results_path",
    "set_eligible",
    "to_minimization",
    "write_report",
]
