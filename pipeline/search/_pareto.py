"""Non-dominated ranking and crowding on (quality, cost): the rule the multi-objective scheduler
promotes by. Pure functions over plain numbers, so the rule is tested on hand-made rung results.

Every objective is turned into "smaller is better" before comparing (quality is negated).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple


class RungResult(NamedTuple):
    """One trial's standing at a rung: its quality (maximised) and its costs (minimised)."""

    trial_id: str
    quality: float
    costs: tuple[float, ...]

    def minimised(self) -> tuple[float, ...]:
        quality = -self.quality if not math.isnan(self.quality) else math.inf
        return (quality, *(c if not math.isnan(c) else math.inf for c in self.costs))


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """a is no worse than b in every objective and better in one (all minimised)."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def non_dominated_ranks(points: Sequence[Sequence[float]]) -> list[int]:
    """Front index of each point: 0 for the Pareto front, 1 for the front once 0 is removed, ..."""
    n = len(points)
    dominated_by = [0] * n
    dominating: list[list[int]] = [[] for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j and dominates(points[i], points[j]):
                dominating[i].append(j)
                dominated_by[j] += 1
    ranks = [0] * n
    front = [i for i in range(n) if dominated_by[i] == 0]
    rank = 0
    while front:
        following = []
        for i in front:
            ranks[i] = rank
            for j in dominating[i]:
                dominated_by[j] -= 1
                if dominated_by[j] == 0:
                    following.append(j)
        front, rank = following, rank + 1
    return ranks


def crowding_distances(points: Sequence[Sequence[float]]) -> list[float]:
    """NSGA-II crowding distance within one front: larger = more isolated; the extremes get inf."""
    n = len(points)
    if n <= 2:
        return [math.inf] * n
    distances = [0.0] * n
    for k in range(len(points[0])):
        order = sorted(range(n), key=lambda i: points[i][k])
        low, high = points[order[0]][k], points[order[-1]][k]
        distances[order[0]] = distances[order[-1]] = math.inf
        span = high - low
        if span <= 0 or math.isinf(span):
            continue
        for before, here, after in zip(order, order[1:], order[2:]):
            distances[here] += (points[after][k] - points[before][k]) / span
    return distances


def rank_rung(results: Sequence[RungResult]) -> list[str]:
    """Trial ids from best to worst: by front, then by crowding distance (wider spread first), then id."""
    points = [r.minimised() for r in results]
    ranks = non_dominated_ranks(points)
    crowding = [0.0] * len(results)
    for rank in set(ranks):
        members = [i for i, r in enumerate(ranks) if r == rank]
        for i, distance in zip(members, crowding_distances([points[i] for i in members])):
            crowding[i] = distance
    order = sorted(range(len(results)), key=lambda i: (ranks[i], -crowding[i], results[i].trial_id))
    return [results[i].trial_id for i in order]


def promoted(results: Sequence[RungResult], reduction_factor: float) -> set[str]:
    """Trials that continue past the rung: the Pareto front always, then the best ceil(n / rf) by rank.

    Keeping the whole front means a cheap model with a lower mIoU survives as long as nothing is
    both cheaper and better, which a quality-only cut (plain ASHA) would not guarantee.
    """
    if not results:
        return set()
    points = [r.minimised() for r in results]
    front = {results[i].trial_id for i, rank in enumerate(non_dominated_ranks(points)) if rank == 0}
    keep = max(1, math.ceil(len(results) / reduction_factor))
    return front | set(rank_rung(results)[:keep])
