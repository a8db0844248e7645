"""Exact hypervolume against counting the unit cells of a grid that the point set dominates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reports import hypervolume


def grid_count(points: np.ndarray, reference: np.ndarray) -> int:
    """Unit cells [c, c+1) inside [0, reference) dominated by a point (minimization, integer data)."""
    count = 0
    for cell in itertools.product(*(range(int(r)) for r in reference)):
        cell_array = np.asarray(cell)
        if any((p <= cell_array).all() for p in points):
            count += 1
    return count


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("dims", [2, 3])
def test_equals_grid_count_minimization(seed: int, dims: int) -> None:
    rng = np.random.default_rng(100 + seed)
    reference = np.full(dims, 8)
    points = rng.integers(0, 9, size=(12, dims))  # some on or beyond the reference: add nothing
    points = np.vstack([points, points[:3]])  # duplicates
    expected = grid_count(points, reference)
    assert hypervolume(points, reference.tolist(), [False] * dims) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(3))
def test_mixed_directions_equal_the_mirrored_minimization(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    points = rng.integers(0, 7, size=(10, 3)).astype(float)
    # maximize objective 0 and 2 with reference 0: mirror them to minimization with reference 7 − 0.
    mirrored = points.copy()
    mirrored[:, [0, 2]] = 7 - points[:, [0, 2]]
    expected = grid_count(mirrored, np.array([7, 7, 7]))
    assert hypervolume(points, [0.0, 7.0, 0.0], [True, False, True]) == pytest.approx(expected)


def test_four_dimensions_single_and_pair() -> None:
    assert hypervolume(np.array([[1.0, 1.0, 1.0, 1.0]]), [3, 3, 3, 3], [False] * 4) == pytest.approx(16.0)
    pts = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    assert hypervolume(pts, [2, 2, 2, 2], [False] * 4) == pytest.approx(16.0)  # second is dominated
    # two boxes of 1·2·2·2 = 8 sharing the corner box 1·1·2·2 = 4
    pts = np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    assert hypervolume(pts, [2, 2, 2, 2], [False] * 4) == pytest.approx(8 + 8 - 4)


def test_empty_and_outside_reference() -> None:
    assert hypervolume(np.zeros((0, 2)), [1, 1], [False, False]) == 0.0
    assert hypervolume(np.array([[0.5, 2.0]]), [1, 1], [False, False]) == 0.0
    assert hypervolume(np.array([[0.6, 5.0]]), [0.0, 10.0], [True, False]) == pytest.approx(0.6 * 5.0)
