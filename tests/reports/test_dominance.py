"""Non-dominated ranks against a brute-force peel; crowding distance on a hand example."""

from __future__ import annotations

import numpy as np
import pytest

from reports import crowding_distance, non_dominated_ranks


def brute_force_ranks(values: np.ndarray, maximize: list[bool]) -> np.ndarray:
    """Peel fronts by checking every pair with the textbook definition, written independently of the package."""
    n = len(values)

    def better_or_equal(a: float, b: float, up: bool) -> bool:
        return a >= b if up else a <= b

    def dominates(i: int, j: int) -> bool:
        pairs = list(zip(values[i], values[j], maximize))
        return all(better_or_equal(a, b, up) for a, b, up in pairs) and any(a != b for a, b, _ in pairs)

    ranks = np.zeros(n, dtype=np.int64)
    remaining = set(range(n))
    rank = 1
    while remaining:
        front = {i for i in remaining if not any(dominates(j, i) for j in remaining if j != i)}
        for i in front:
            ranks[i] = rank
        remaining -= front
        rank += 1
    return ranks


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("maximize", [[True, False], [False, False], [True, False, True], [False, True, False]])
def test_ranks_equal_brute_force_with_ties_and_duplicates(seed: int, maximize: list[bool]) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 5, size=(40, len(maximize))).astype(float)  # small range: many ties
    values = np.vstack([values, values[:6]])  # and exact duplicates
    ranks = non_dominated_ranks(values, maximize)
    np.testing.assert_array_equal(ranks, brute_force_ranks(values, maximize))
    # duplicates share a rank
    np.testing.assert_array_equal(ranks[-6:], ranks[:6])


def test_known_front_and_directions() -> None:
    values = np.array([[0.7, 10.0], [0.6, 5.0], [0.5, 8.0], [0.7, 10.0], [0.4, 1.0]])  # mIoU up, GMACs down
    np.testing.assert_array_equal(non_dominated_ranks(values, [True, False]), [1, 1, 2, 1, 1])
    # reversed: nothing has less mIoU and more GMACs than (0.7, 10) or (0.5, 8); (0.5, 8) dominates (0.6, 5)
    np.testing.assert_array_equal(non_dominated_ranks(values, [False, True]), [1, 2, 1, 1, 1])


def test_rejects_nan_and_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="must not be NaN"):
        non_dominated_ranks(np.array([[1.0, np.nan]]), [True, True])
    with pytest.raises(ValueError, match="directions"):
        non_dominated_ranks(np.ones((3, 2)), [True])


def test_empty() -> None:
    assert non_dominated_ranks(np.zeros((0, 2)), [True, False]).shape == (0,)


def test_crowding_distance_hand_example() -> None:
    # One front of four points on a line; objective ranges 3 and 6.
    values = np.array([[0.0, 6.0], [1.0, 4.0], [2.0, 2.0], [3.0, 0.0]])
    ranks = np.array([1, 1, 1, 1])
    distance = crowding_distance(values, ranks)
    # inner point 1: (2-0)/3 + (6-2)/6 = 2/3 + 2/3; inner point 2: (3-1)/3 + (4-0)/6 = 2/3 + 2/3
    np.testing.assert_allclose(distance, [np.inf, 4 / 3, 4 / 3, np.inf])


def test_crowding_distance_per_rank_and_constant_objective() -> None:
    values = np.array([[0.0, 1.0], [1.0, 1.0], [4.0, 1.0], [9.0, 9.0], [9.0, 9.0]])
    ranks = np.array([1, 1, 1, 2, 2])
    distance = crowding_distance(values, ranks)
    # rank 1: objective 2 is constant (adds nothing); objective 1 range 4, neighbours of point 1 are 0 and 4
    assert distance[1] == pytest.approx((4.0 - 0.0) / 4.0)
    assert np.isinf(distance[[0, 2, 3, 4]]).all()  # extremes, and a rank of two points
