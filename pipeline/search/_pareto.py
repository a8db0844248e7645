"""Non-dominated ranking and crowding on (quality, cost): the rule the multi-objective scheduler
promotes by. Pure functions over plain numbers, so the rule is tested on hand-made rung results.

Every objective is turned into "smaller is better" before comparing (quality is negated). The
sorting is the reporting stage's (`reports`), so a rung and a report rank points the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from reports import crowding_distance, non_dominated_ranks


class RungResult(NamedTuple):
    """One trial's standing at a rung: its quality (maximised) and its costs (minimised)."""

    trial_id: str
    quality: float
    costs: tuple[float, ...]

    def minimised(self) -> tuple[float, ...]:
        quality = -self.quality if not math.isnan(self.quality) else math.inf
        return (quality, *(c if not math.isnan(c) else math.inf for c in self.costs))


def _ranks_and_crowding(results: Sequence[RungResult]) -> tuple[list[int], list[float]]:
    """Front index (1 = non-dominated) and NSGA-II crowding distance of each result."""
    points = np.array([r.minimised() for r in results], dtype=np.float64)
    ranks = non_dominated_ranks(points, [False] * points.shape[1])
    return ranks.tolist(), crowding_distance(points, ranks).tolist()


def rank_rung(results: Sequence[RungResult]) -> list[str]:
    """Trial ids from best to worst: by front, then by crowding distance (wider spread first), then id."""
    if not results:
        return []
    ranks, crowding = _ranks_and_crowding(results)
    order = sorted(range(len(results)), key=lambda i: (ranks[i], -crowding[i], results[i].trial_id))
    return [results[i].trial_id for i in order]


def promoted(results: Sequence[RungResult], reduction_factor: float) -> set[str]:
    """Trials that continue past the rung: the Pareto front always, then the best ceil(n / rf) by rank.

    Keeping the whole front means a cheap model with a lower mIoU survives as long as nothing is
    both cheaper and better, which a quality-only cut (plain ASHA) would not guarantee.
    """
    if not results:
        return set()
    ranks, _ = _ranks_and_crowding(results)
    front = {r.trial_id for r, rank in zip(results, ranks) if rank == 1}
    keep = max(1, math.ceil(len(results) / reduction_factor))
    return front | set(rank_rung(results)[:keep])
