"""Front scatter figures: one trace per status, legend entries only for what is drawn, axes with units
and never below zero, hover with the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports import ReportData, gather_report, load_experiments
from reports._figures_fronts import front_figure
from tests.reports.results_factory import demo_rows, trial, write_results


@pytest.fixture
def data(tmp_path: Path) -> ReportData:
    return gather_report(load_experiments([write_results(tmp_path / "exp", demo_rows())]))[0]


def _points(figure) -> dict[str, list[str]]:
    return {t.meta["category"]: list(t.customdata) for t in figure.data if t.meta["role"] == "points"}


def test_each_status_has_its_own_trace(data: ReportData) -> None:
    figure = front_figure(data, data.plots[0])  # mIoU vs GMACs
    assert _points(figure) == {"finished": ["t3"], "front": ["t1", "t2"], "isr-front": ["t1/isr=2,2,1,1/2,2,2",
                               "t1/isr=4,4,1,1/"], "stopped": ["t4"], "infeasible": ["t5"], "failed": ["t6"]}
    strip = [t for t in figure.data if t.yaxis == "y2"]
    assert {t.meta["category"] for t in strip} == {"infeasible", "failed"} and all(t.y == (0.0,) for t in strip)
    symbols = {t.meta["category"]: t.marker.symbol for t in figure.data if t.meta["role"] == "points"}
    assert len(set(symbols.values()) - {"circle", "diamond"}) == 3  # stopped, infeasible, failed: own symbols
    assert {t.meta["category"]: t.marker.line.color for t in figure.data if t.meta["role"] == "points"}["front"] == "#000"


def test_legend_entries_are_what_is_drawn(data: ReportData) -> None:
    for spec in data.plots:
        figure = front_figure(data, spec)
        for trace in figure.data:
            assert trace.showlegend is not False and len([x for x in trace.x if x is not None]) > 0
        names = [t.name for t in figure.data]
        assert len(names) == len(set(names))
    fps = front_figure(data, data.plots[1])  # mIoU vs FPS: the infeasible and failed rows have no FPS
    assert "infeasible" not in _points(fps) and "yaxis2" not in fps.layout.to_plotly_json()  # no strip


def test_axes_have_units_and_physical_bounds(data: ReportData) -> None:
    figure = front_figure(data, data.plots[1])
    assert figure.layout.xaxis.title.text == "throughput (FPS, images/s)"
    assert figure.layout.xaxis.autorangeoptions.minallowed == 0
    assert figure.layout.yaxis.title.text.startswith("mIoU")
    assert figure.layout.yaxis.autorangeoptions.minallowed == 0
    assert front_figure(data, data.plots[0]).layout.xaxis.title.text == "GMACs per image"


def test_front_line_is_a_staircase_best_first(data: ReportData) -> None:
    line = next(t for t in front_figure(data, data.plots[0]).data if t.meta["role"] == "front-line")
    assert line.line.shape == "hv" and list(line.x) == [4.0, 5.0, 6.0, 10.0]  # GMACs: least first
    line = next(t for t in front_figure(data, data.plots[1]).data if t.meta["role"] == "front-line")
    assert list(line.x) == [80.0, 70.0, 50.0]  # FPS: most first


def test_hover_holds_the_configuration_escaped(data: ReportData) -> None:
    traces = {t.meta["category"]: t for t in front_figure(data, data.plots[0]).data if t.meta["role"] == "points"}
    t1 = traces["front"].text[0]
    assert "<b>t1</b>" in t1 and "encoder = eft" in t1 and "depth = 2" in t1 and "epochs 4/4" in t1
    assert "&lt;/script&gt;" in traces["failed"].text[0]


def test_an_empty_plot_says_why(tmp_path: Path) -> None:
    data, _ = gather_report(load_experiments([write_results(tmp_path / "e", [trial("a", "finished", 0.5, 1.0)])]))
    figure = front_figure(data, data.plots[1])
    assert figure.data == () and figure.layout.annotations[0].text == "No row has both FPS and mIoU."
