"""Parameter importance: ε² is near one for a dimension that decides the target, near zero for noise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reports import epsilon_squared
from reports._importance import importance


def test_a_dimension_that_decides_the_target_explains_it() -> None:
    groups = ["a", "b", "c"] * 10
    target = np.array([{"a": 0.2, "b": 0.5, "c": 0.8}[g] for g in groups]) + np.random.default_rng(0).normal(0, 0.01, 30)
    assert epsilon_squared(groups, target) > 0.95


def test_noise_explains_about_nothing_even_with_many_values() -> None:
    rng = np.random.default_rng(1)
    values = [epsilon_squared([str(i % 8) for i in range(24)], rng.normal(size=24)) for _ in range(200)]
    # plain η² of 8 random groups on 24 rows averages 7/23 ≈ 0.3; the correction brings it near 0
    assert np.mean(values) < 0.08


def test_unmeasurable_cases_are_nan() -> None:
    assert math.isnan(epsilon_squared(["a", "a", "a"], np.array([1.0, 2.0, 3.0])))  # one group
    assert math.isnan(epsilon_squared(["a", "b"], np.array([1.0, 2.0])))  # n == k
    assert math.isnan(epsilon_squared(["a", "b", "a"], np.array([1.0, 1.0, 1.0])))  # no variance


def test_importance_ranks_dimensions_and_bins_numbers() -> None:
    rng = np.random.default_rng(2)
    n = 40
    lr = rng.uniform(1e-4, 1e-2, n)
    width = rng.choice([64.0, 128.0, math.nan], n)
    miou = np.where(np.isnan(width), 0.1, width / 200) + rng.normal(0, 0.01, n)  # width decides, lr is noise
    rows = pd.DataFrame({"config/train.lr": lr, "config/w": width, "val/miou": miou})
    result = importance(rows, ["config/train.lr", "config/w"], "val/miou", "mIoU", "finished trials")
    assert result.dimensions == ("w", "train.lr") and result.samples == n
    assert result.values[0] > 0.9 and result.values[1] < 0.2
