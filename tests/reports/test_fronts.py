"""The front membership rule: finished trials and ISR rows of finished trials only; per-set finite objectives."""

from __future__ import annotations

import math

import pandas as pd

from pipeline import metric_names as m
from reports import front_eligible, rank_rows, reference_point
from tests.reports.results_factory import demo_rows, frame, isr, trial


def ranked(rows: list[dict]) -> pd.DataFrame:
    return rank_rows(frame(rows)).set_index("row_id")


def test_stopped_trial_never_on_a_front_even_when_it_dominates() -> None:
    table = ranked(demo_rows())
    # t4 (stopped) has the best mIoU, fewest GMACs and most FPS of all rows
    assert table.loc["t4", "status"] == "stopped"
    assert not table.loc["t4", "eligible"]
    for set_name in ("miou_gmacs", "miou_fps", "gmacs_fps", "miou_gmacs_fps"):
        assert pd.isna(table.loc["t4", f"rank/{set_name}"])
        assert not table.loc["t4", f"on_front/{set_name}"]


def test_infeasible_and_failed_rows_are_not_ranked() -> None:
    table = ranked(demo_rows())
    for row_id in ("t5", "t6"):
        assert not table.loc[row_id, "eligible"]
        assert pd.isna(table.loc[row_id, "rank/miou_gmacs"])


def test_isr_rows_of_finished_trials_enter_and_of_stopped_trials_do_not() -> None:
    parent = trial("p", "finished", 0.6, 10.0)
    stopped = trial("s", "stopped", 0.6, 10.0)
    rows = [parent, stopped, isr(parent, "2,2,1,1", "", 0.55, 6.0), isr(stopped, "2,2,1,1", "", 0.58, 5.0),
            isr(parent, "4,4,1,1", "", 0.2, 4.0, status="failed")]
    eligible = front_eligible(frame(rows)).tolist()
    assert eligible == [True, False, True, False, False]
    table = ranked(rows)
    assert table.loc["p/isr=2,2,1,1/", "on_front/miou_gmacs"]
    assert table.loc["p", "on_front/miou_gmacs"]


def test_isr_with_missing_parent_is_not_eligible() -> None:
    orphan = isr(trial("gone", "finished", 0.6, 10.0), "2,2,1,1", "", 0.55, 6.0)
    assert not front_eligible(frame([trial("x", "finished", 0.1, 1.0), orphan])).iloc[1]


def test_rows_without_latency_are_ranked_only_on_sets_without_fps() -> None:
    table = ranked(demo_rows())
    row = "t1/isr=4,4,1,1/"  # finished ISR row with no latency
    assert table.loc[row, "eligible"]
    assert table.loc[row, "rank/miou_gmacs"] == 1
    for set_name in ("miou_fps", "gmacs_fps", "miou_gmacs_fps"):
        assert pd.isna(table.loc[row, f"rank/{set_name}"])


def test_duplicates_share_rank_and_front() -> None:
    rows = [trial("a", "finished", 0.5, 5.0), trial("b", "finished", 0.5, 5.0), trial("c", "finished", 0.4, 6.0)]
    table = ranked(rows)
    assert table.loc["a", "rank/miou_gmacs"] == table.loc["b", "rank/miou_gmacs"] == 1
    assert table.loc["c", "rank/miou_gmacs"] == 2


def test_reference_point_rule() -> None:
    a = frame(demo_rows())
    b = frame([trial("big", "finished", 0.9, 20.0, 10.0), trial("huge", "stopped", 0.9, 500.0, 10.0)])
    # the largest GMACs of eligible rows over both experiments (20; the stopped 500 and infeasible 90 do not count)
    assert reference_point([a, b], "miou_gmacs_fps") == (0.0, 22.0, 0.0)
    assert reference_point([a], "gmacs_fps") == (11.0, 0.0)
    nothing = frame([trial("s", "stopped", 0.5, 3.0)])
    assert reference_point([nothing], "miou_gmacs") == (0.0, 1.0)
    assert math.isnan(a[m.COST_FPS].iloc[4])
