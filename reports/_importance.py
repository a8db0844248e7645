"""Parameter importance from the results rows alone: how much of a target's variance each searched
dimension explains on its own.

Method (stated in the report as IMPORTANCE_METHOD): group the rows by the dimension's value and take
epsilon-squared, the bias-corrected share of variance between groups,
    ε² = (SS_between − (k − 1) · SS_within / (n − k)) / SS_total,
clipped to [0, 1]. Plain η² (SS_between / SS_total, the variance of the per-value means) rewards a
dimension with many values on few rows; the correction removes what k random groups would explain
by chance. A dimension with more than `MAX_LEVELS` numeric values (a learning rate) is cut into
`NUMERIC_BINS` quantile bins; an inactive dimension (NaN: another encoder was chosen) is its own group.
Each dimension is measured alone, so the values do not add up to one and interactions are not seen;
with a few dozen trials they rank dimensions roughly, no more. Optuna's fANOVA needs the study and
scikit-learn; this needs only the Parquet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from reports._config_values import category_of, dimension_name, is_missing

MAX_LEVELS = 6
NUMERIC_BINS = 4
IMPORTANCE_METHOD = (
    "ε² (epsilon-squared): the share of the target's variance explained by grouping the rows by one "
    "dimension's value, less what that many random groups would explain; numeric dimensions with more than "
    f"{MAX_LEVELS} values are cut into {NUMERIC_BINS} quantile bins; each dimension alone (no interactions)"
)


class Importance(NamedTuple):
    target: str  # label of the target, e.g. "mIoU"
    rows: str  # which rows were used, e.g. "finished trials"
    samples: int
    dimensions: tuple[str, ...]  # sorted by importance, most important first
    values: tuple[float, ...]  # ε² in [0, 1]; NaN when the dimension cannot be measured (one value, n ≤ k)


def epsilon_squared(groups: Sequence[str], target: np.ndarray) -> float:
    """ε² of `target` grouped by `groups`; NaN with one group, n ≤ k or no variance."""
    target = np.asarray(target, dtype=np.float64)
    labels = pd.Series(list(groups))
    k, n = labels.nunique(), len(target)
    total = float(((target - target.mean()) ** 2).sum()) if n else 0.0
    if k < 2 or n <= k or total <= 0.0:
        return float("nan")
    frame = pd.DataFrame({"g": labels.to_numpy(), "y": target})
    means = frame.groupby("g")["y"].transform("mean").to_numpy()
    within = float(((target - means) ** 2).sum())
    between = total - within
    value = (between - (k - 1) * within / (n - k)) / total
    return float(min(1.0, max(0.0, value)))


def _groups(values: pd.Series) -> list[str]:
    numbers = pd.to_numeric(values, errors="coerce")
    numeric = numbers.notna() | values.map(is_missing)
    if bool(numeric.all()) and numbers.nunique() > MAX_LEVELS:
        bins = pd.qcut(numbers, NUMERIC_BINS, duplicates="drop")
        return ["n/a" if pd.isna(b) else str(b) for b in bins]
    return [category_of(v) for v in values]


def importance(rows: pd.DataFrame, columns: Sequence[str], target_column: str, target: str, which: str) -> Importance:
    """Importance of each `config/<name>` column for `target_column` over the rows where it is finite."""
    values = rows[target_column].to_numpy(dtype=np.float64)
    used = rows[np.isfinite(values)]
    y = used[target_column].to_numpy(dtype=np.float64)
    scored = [(dimension_name(c), epsilon_squared(_groups(used[c]), y)) for c in columns]
    scored.sort(key=lambda item: (-np.nan_to_num(item[1], nan=-1.0), item[0]))
    return Importance(target, which, len(used), tuple(n for n, _ in scored), tuple(v for _, v in scored))
