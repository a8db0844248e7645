"""The promotion rule of the multi-objective scheduler, on hand-made rung results."""

from __future__ import annotations

import math

from pipeline.search import RungResult, promoted, rank_rung

# mIoU at the rung, GMACs. C is cheap and weak: ASHA (top half by mIoU) would stop it.
A = RungResult("A", 0.50, (10.0,))
B = RungResult("B", 0.45, (8.0,))
C = RungResult("C", 0.20, (1.0,))
D = RungResult("D", 0.30, (9.0,))  # dominated by B (better and cheaper)
E = RungResult("E", 0.10, (12.0,))  # dominated by everything


def asha_keep(results: list[RungResult], rf: float) -> set[str]:
    keep = max(1, math.ceil(len(results) / rf))
    return {r.trial_id for r in sorted(results, key=lambda r: -r.quality)[:keep]}


def test_cheap_weak_model_kept_where_asha_stops_it() -> None:
    rung = [A, B, C, D, E]
    assert "C" not in asha_keep(rung, 2)
    kept = promoted(rung, reduction_factor=2)
    assert kept == {"A", "B", "C"}  # the front; D and E are dominated and ceil(5/2) = 3 are already kept


def test_rank_order_front_first_then_crowding() -> None:
    order = rank_rung([E, D, C, B, A])
    assert set(order[:3]) == {"A", "B", "C"} and order[3:] == ["D", "E"]
    assert order.index("B") == 2  # inside the front, the extremes (infinite crowding) come first


def test_quota_fills_beyond_the_front_by_rank() -> None:
    # Front is {A} alone; with rf = 1.5 ceil(4/1.5) = 3 go on: A, then the best of the next fronts.
    rung = [RungResult("A", 0.9, (1.0,)), RungResult("B", 0.5, (2.0,)), RungResult("C", 0.4, (3.0,)), RungResult("D", 0.3, (4.0,))]
    assert promoted(rung, reduction_factor=1.5) == {"A", "B", "C"}


def test_first_trial_at_a_rung_always_continues() -> None:
    assert promoted([E], 2) == {"E"}


def test_nan_quality_counts_as_worst() -> None:
    # A trial that reported no mIoU at the rung cannot push a measured one off the front.
    missing = RungResult("N", math.nan, (11.0,))
    assert promoted([A, missing, B], reduction_factor=3) == {"A", "B"}
