"""Non-dominated sorting and crowding distance over any objectives and directions.

Definitions (Deb et al., "A fast and elitist multiobjective genetic algorithm: NSGA-II", 2002):
a point *dominates* another when it is at least as good in every objective and strictly better in
at least one. Rank 1 is the set of points no point dominates; rank k+1 is the set no point outside
ranks 1..k dominates. Duplicates (equal in every objective) never dominate each other, so they
share a rank — and a duplicate of a front point is on the front too. Ties in some objectives are
handled by the same rule: equal is "at least as good".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def to_minimization(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """(N, M) values → (N, M) values where smaller is better in every column (maximized ones negated)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(maximize):
        raise ValueError(f"values of shape {values.shape} do not match {len(maximize)} objective directions")
    if np.isnan(values).any():
        raise ValueError("objective values must not be NaN (finite or ±inf); drop rows with NaN before sorting")
    signs = np.where(np.asarray(maximize, dtype=bool), -1.0, 1.0)
    return values * signs


def domination_matrix(costs: np.ndarray) -> np.ndarray:
    """(N, M) minimization costs → (N, N) bool, [i, j] true when point i dominates point j."""
    no_worse = (costs[:, None, :] <= costs[None, :, :]).all(axis=2)
    better = (costs[:, None, :] < costs[None, :, :]).any(axis=2)
    return np.asarray(no_worse & better)


def non_dominated_ranks(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """Rank (1 = non-dominated) of each of N points, shape (N,), int64."""
    costs = to_minimization(values, maximize)
    n = len(costs)
    ranks = np.zeros(n, dtype=np.int64)
    if n == 0:
        return ranks
    dominates = domination_matrix(costs)
    # Deb's bookkeeping: how many points dominate each point; peel the zero-count ones.
    dominated_by = dominates.sum(axis=0)
    current = np.flatnonzero(dominated_by == 0)
    rank = 1
    while current.size:
        ranks[current] = rank
        dominated_by = dominated_by - dominates[current].sum(axis=0)
        dominated_by[ranks > 0] = -1  # assigned points never re-enter
        current = np.flatnonzero(dominated_by == 0)
        rank += 1
    return ranks


def crowding_distance(values: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each point within its own rank, shape (N,).

    Per objective, the points of a rank are sorted; the two extremes get infinity and every other
    point adds (next − previous) / (max − min) of that objective. An objective where the whole rank
    has one value, or that reaches ±inf, adds nothing. Ranks of one or two points are all extremes (infinity). Directions
    do not matter: the distance is symmetric in each objective.
    """
    values = np.asarray(values, dtype=np.float64)
    distance = np.zeros(len(values), dtype=np.float64)
    for rank in np.unique(ranks):
        members = np.flatnonzero(ranks == rank)
        if members.size <= 2:
            distance[members] = np.inf
            continue
        for m in range(values.shape[1]):
            column = values[members, m]
            order = members[np.argsort(column, kind="stable")]
            span = column.max() - column.min()
            distance[order[0]] = distance[order[-1]] = np.inf
            if span == 0 or not np.isfinite(span):  # one value, or an infinite end: no scale to measure by
                continue
            sorted_values = values[order, m]
            distance[order[1:-1]] += (sorted_values[2:] - sorted_values[:-2]) / span
    return distance
