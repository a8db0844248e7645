"""Exact hypervolume: the volume dominated by a point set and bounded by a reference point.

Two dimensions: a sweep over the points sorted by the first objective. Three and more: slicing
by the last objective (the "hypervolume by slicing objectives" scheme of While et al., IEEE TEC
2006) — between two successive distinct values of the last objective the dominated region is a
prism whose base is the (d−1)-dimensional hypervolume of the points already passed, computed by
the same method. Exact in every dimension; O(n^(d−1) log n), ample for a search's few hundred rows.
Points that do not strictly dominate the reference point in every objective add nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reports._dominance import domination_matrix, to_minimization


def _non_dominated(costs: np.ndarray) -> np.ndarray:
    """Drop dominated points and duplicates: neither changes the dominated volume."""
    costs = np.unique(costs, axis=0)
    if len(costs) <= 1:
        return costs
    dominated = domination_matrix(costs).any(axis=0)
    return costs[~dominated]


def _hv_2d(costs: np.ndarray, reference: np.ndarray) -> float:
    order = np.lexsort((costs[:, 1], costs[:, 0]))  # by x, then y
    volume = 0.0
    best_y = reference[1]
    for x, y in costs[order]:
        if y < best_y:  # each step of the staircase: a rectangle from x to the reference in x
            volume += (reference[0] - x) * (best_y - y)
            best_y = y
    return float(volume)


def _hv(costs: np.ndarray, reference: np.ndarray) -> float:
    if len(costs) == 0:
        return 0.0
    dims = costs.shape[1]
    if dims == 1:
        return float(reference[0] - costs[:, 0].min())
    if dims == 2:
        return _hv_2d(costs, reference)
    costs = costs[np.argsort(costs[:, -1], kind="stable")]
    levels = np.append(np.unique(costs[:, -1]), reference[-1])
    volume = 0.0
    for low, high in zip(levels[:-1], levels[1:]):
        below = costs[costs[:, -1] <= low, :-1]  # points whose slab starts at or below this slice
        volume += _hv(_non_dominated(below), reference[:-1]) * (high - low)
    return float(volume)


def hypervolume(values: np.ndarray, reference: Sequence[float], maximize: Sequence[bool]) -> float:
    """Volume dominated by the (N, M) `values` within the box up to `reference`, in the objectives' units.

    `maximize[m]` says whether objective m is better when larger; `reference` is in the same,
    un-negated units (for a maximized objective it lies below every point that counts).
    """
    reference_costs = to_minimization(np.asarray([reference], dtype=np.float64), maximize)[0]
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(maximize))
    if len(values) == 0:
        return 0.0
    costs = to_minimization(values, maximize)
    inside = (costs < reference_costs).all(axis=1)
    return _hv(_non_dominated(costs[inside]), reference_costs)
