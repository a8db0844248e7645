"""Gathering the report data: costs, comparisons, hypervolume history, small experiments, safe embedded JSON."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from reports import embed_json, gather_report, hypervolume, load_experiments, render_html, write_report
from reports._fronts import objectives_of, set_eligible
from tests.reports.results_factory import demo_rows, isr, trial, write_results


def test_cost_summary_and_hypervolume(tmp_path: Path) -> None:
    data, _ = gather_report(load_experiments([write_results(tmp_path / "exp", demo_rows())]))
    cost = data.costs[0]
    assert (cost.trials, cost.finished, cost.stopped, cost.infeasible, cost.failed, cost.isr_rows) == (6, 3, 1, 1, 1, 2)
    # trial rows only: an ISR row repeats the device-hours of the trial whose weights it evaluates
    assert cost.device_hours == pytest.approx(6 * 2 * 60 / 3600)
    assert data.references["miou_gmacs"] == [0.0, 11.0]
    # front of mIoU–GMACs: t1 (0.6, 10), t1-ISR (0.58, 6), t2 (0.5, 5), t1-ISR2 (0.45, 4); t3 is dominated
    expected = hypervolume([[0.6, 10], [0.58, 6], [0.5, 5], [0.45, 4], [0.4, 8]], [0, 11], [True, False])
    assert data.hypervolumes["exp"]["miou_gmacs"] == pytest.approx(expected)
    assert data.table_set == "miou_gmacs_fps"
    isr_point = next(p for p in data.points if p.row_id == "t1/isr=2,2,1,1/2,2,2")
    assert isr_point.parent_row_id == "t1" and isr_point.on_front["miou_gmacs"]
    t1 = next(p for p in data.points if p.row_id == "t1")
    assert t1.config == {"depth": "2", "encoder": "eft", "train.lr": "0.001"}  # hparams' lr under the train. name
    assert (t1.encoder, t1.decoder, t1.checkpoint_uri) == ("?", "?", "")  # the fixture's model_config is {}
    assert data.searched == ["depth", "encoder"]


def test_history_is_ordered_by_finished_at_and_never_decreases(tmp_path: Path) -> None:
    data, _ = gather_report(load_experiments([write_results(tmp_path / "exp", demo_rows())]))
    steps = data.history["exp"]["miou_gmacs"]
    assert [s.finished_at for s in steps] == [50, 60, 100, 150, 200, 300, 400, 410]  # every row
    values = [s.hypervolume for s in steps]
    assert values == sorted(values) and values[-1] == pytest.approx(data.hypervolumes["exp"]["miou_gmacs"])
    assert values[:2] == [0.0, 0.0]  # infeasible and failed rows add nothing
    assert values[2] == pytest.approx(0.6 * (11 - 10))
    # device-hours: 2 workers × 60 s per trial row; the two ISR rows at the end cost nothing more
    assert [s.device_hours for s in steps] == pytest.approx([n * 2 * 60 / 3600 for n in (1, 2, 3, 4, 5, 6, 6, 6)])
    # the search started at the earliest finished_at − wall time: 50 − 60 s
    assert steps[0].minutes == pytest.approx(1.0) and steps[-1].minutes == pytest.approx((410 + 10) / 60)


def test_comparison_common_reference_gained_and_lost(tmp_path: Path) -> None:
    a = write_results(tmp_path / "a", [trial("x", "finished", 0.5, 4.0), trial("y", "finished", 0.6, 8.0)])
    better = trial("z", "finished", 0.7, 4.0)
    parent = trial("y", "finished", 0.6, 8.0)
    b = write_results(tmp_path / "b", [parent, better, isr(parent, "2,2,1,1", "", 0.65, 3.0)])
    data, _ = gather_report(load_experiments([a, b]))
    (comparison,) = data.comparisons
    s = next(s for s in comparison.sets if s.set_name == "miou_gmacs")
    assert s.reference == (0.0, 8.8)  # 1.1 × the largest GMACs over both experiments
    assert s.hv_base == pytest.approx(hypervolume([[0.5, 4], [0.6, 8]], [0, 8.8], [True, False]))
    assert s.hv_other == pytest.approx(hypervolume([[0.7, 4], [0.65, 3], [0.6, 8]], [0, 8.8], [True, False]))
    assert s.hv_other > s.hv_base
    assert s.gained == ("arch-y isr=2,2,1,1/", "arch-z")
    assert s.lost == ("arch-x", "arch-y")  # y is dominated by z in B


@pytest.mark.parametrize(
    "rows",
    [
        [trial("only", "finished", 0.5, 3.0)],
        [trial("a", "finished", 0.5, 3.0), trial("b", "finished", 0.6, 4.0)],
        [trial("a", "stopped", 0.5, 3.0), trial("b", "stopped", 0.6, 4.0)],
        [trial("a", "infeasible", float("nan"), 30.0), trial("b", "failed", float("nan"), 3.0, curve=[])],
        [],
    ],
    ids=["one-finished", "two-finished", "all-stopped", "none-trained", "empty"],
)
def test_small_experiments_render(tmp_path: Path, rows: list[dict]) -> None:
    directory = write_results(tmp_path / "exp", rows) if rows else _empty(tmp_path / "exp")
    data, table = gather_report(load_experiments([directory]))
    assert len(table) == len(rows)
    assert data.table_set == "miou_gmacs"  # no latency anywhere
    html = render_html(data)
    assert 'id="report-figures"' in html
    assert ('id="gallery"' in html) is False


def _empty(directory: Path) -> Path:
    from tests.reports.results_factory import frame

    directory.mkdir(parents=True)
    frame([trial("x", "finished", 0.5, 1.0)]).iloc[:0].to_parquet(directory / "results.parquet")
    return directory


def test_embedded_json_cannot_close_the_script_tag(tmp_path: Path) -> None:
    data, _ = gather_report(load_experiments([write_results(tmp_path / "exp", demo_rows())]))
    html = render_html(data)
    marker = '<script type="application/json" id="report-figures">'
    start = html.index(marker) + len(marker)
    embedded = html[start:html.index("</script>", start)]
    assert "<" not in embedded
    failed = next(t for t in json.loads(embedded)["plot-miou_gmacs"]["data"] if t.get("meta", {}).get("category") == "failed")
    # the hover text shows the error escaped, so plotly prints it rather than reading tags
    assert "RuntimeError: boom &lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in failed["text"][0]
    assert embed_json('{"a":"</script>"}') == '{"a":"\\u003c/script>"}'


def test_plotly_is_inlined_once_and_files_are_group_readable(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        paths = write_report([write_results(tmp_path / "exp", demo_rows())])
    finally:
        os.umask(previous)
    html = paths.html.read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1 and "<script src=" not in html and "cdn.plot.ly" not in html.split(
        "</head>")[1]
    assert stat.S_IMODE(paths.html.stat().st_mode) == 0o644 and stat.S_IMODE(paths.pareto.stat().st_mode) == 0o644


def test_running_front_history_matches_recomputing_every_step(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = [trial(f"t{i}", "finished" if i % 5 else "stopped", float(rng.uniform(0.1, 0.9)), float(rng.uniform(1, 9)),
                  float(rng.uniform(10, 90)), finished_at=float(rng.permutation(60)[i])) for i in range(60)]
    data, table = gather_report(load_experiments([write_results(tmp_path / "exp", rows)]))
    ordered = table.iloc[np.argsort(table["finished_at"].to_numpy(), kind="stable")]
    for set_name in data.objective_sets:
        objectives = objectives_of(set_name)
        mask = set_eligible(ordered, set_name)
        values = ordered[[o.column for o in objectives]].to_numpy()
        expected = [hypervolume(values[: i + 1][mask[: i + 1]], data.references[set_name], [o.maximize for o in objectives])
                    for i in range(len(ordered))]
        assert [s.hypervolume for s in data.history["exp"][set_name]] == pytest.approx(expected, rel=1e-12)
