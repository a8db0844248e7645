"""Figures about the search: curves, hypervolume against time and device-hours, parallel coordinates,
importance, breakdown; every figure of the page is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports import ReportData, build_figures, gather_report, load_experiments
from reports._figures_search import breakdown_figure, curves_figure, history_figure, importance_figure, parallel_figure
from tests.reports.results_factory import demo_rows, trial, write_results


@pytest.fixture
def data(tmp_path: Path) -> ReportData:
    return gather_report(load_experiments([write_results(tmp_path / "exp", demo_rows())]))[0]


def test_every_figure_is_built_with_titled_axes(data: ReportData) -> None:
    figures = build_figures(data)
    assert list(figures) == ["plot-miou_gmacs", "plot-miou_fps", "plot-gmacs_fps", "breakdown-plot",
                             "learning-curves", "history-time", "history-cost", "parallel", "importance"]
    for name, figure in figures.items():
        layout = figure.layout.to_plotly_json()
        axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis")) and "ticktext" not in v]  # not strips
        if name not in ("parallel", "breakdown-plot", "importance"):  # categorical axes there name themselves
            assert axes and all(a.get("title", {}).get("text") for a in axes), name


def test_learning_curves_name_each_trial_and_dash_the_stopped(data: ReportData) -> None:
    figure = curves_figure(data)
    assert [t.name for t in figure.data] == ["t1", "t2", "t3", "t4 (stopped)"]
    assert [t.line.dash for t in figure.data] == ["solid", "solid", "solid", "dash"]
    assert list(figure.data[0].x) == [1, 2] and figure.layout.xaxis.autorangeoptions.minallowed == 0


def test_hypervolume_against_device_hours_ends_at_the_search_cost(data: ReportData) -> None:
    figure = history_figure(data, "device_hours")
    assert len(figure.data) == 4 and {t.meta["set"] for t in figure.data} == set(data.objective_sets)
    trace = next(t for t in figure.data if t.meta["set"] == "miou_gmacs")
    assert trace.x[-1] == pytest.approx(data.costs[0].device_hours)
    assert trace.y[-1] == pytest.approx(data.hypervolumes["exp"]["miou_gmacs"])
    assert figure.layout.xaxis.title.text.startswith("device-hours")
    assert figure.layout.yaxis.title.text == "hypervolume (mIoU × GMACs)"
    time = history_figure(data, "minutes")
    assert time.layout.xaxis.title.text == "minutes since the search started"


def test_parallel_coordinates_colour_by_miou(data: ReportData) -> None:
    (trace,) = parallel_figure(data).data
    assert [d.label for d in trace.dimensions] == ["depth", "encoder", "mIoU"]
    assert list(trace.line.color) == [0.6, 0.5, 0.4] and list(trace.dimensions[1].ticktext) == ["eft", "mscan"]


def test_importance_bars_skip_what_cannot_be_measured(data: ReportData) -> None:
    # 3 finished trials over 3 depth values: n == k, not measurable; encoder has 2 values on 3 rows
    figure = importance_figure(data)
    names = [t.name for t in figure.data]
    assert names[0].startswith("mIoU (3 finished trials)") and figure.layout.xaxis.autorangeoptions.maxallowed == 1
    assert list(figure.data[0].y) == ["encoder"]


def test_breakdown_stacks_statuses(data: ReportData) -> None:
    figure = breakdown_figure(data)
    bars = {t.name: list(t.y) for t in figure.data if t.type == "bar"}
    assert bars == {"finished": [3], "stopped": [1], "infeasible": [1], "failed": [1]}  # model_config {} → "? + ?"


def test_no_finished_trial_gives_explained_empty_figures(tmp_path: Path) -> None:
    rows = [trial("a", "stopped", 0.5, 3.0), trial("b", "infeasible", float("nan"), 30.0)]
    data, _ = gather_report(load_experiments([write_results(tmp_path / "e", rows)]))
    assert parallel_figure(data).layout.annotations[0].text == "No finished trial with searched dimensions."
    assert importance_figure(data).layout.annotations[0].text == "Too few trials to measure importance."
