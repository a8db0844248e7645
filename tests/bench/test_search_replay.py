"""The search-quality replay on a 6-point fixture table: the real searcher and schedulers decide, the table answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import search_quality  # noqa: E402
import search_replay as sr  # noqa: E402

from pipeline.search import load_search_space, resolve_point  # noqa: E402

SPACE = """
name: fixture
encoders:
  mscan:
    fixed: {widths: [8, 16, 32, 64], mlp_ratios: [2, 2, 2, 2], drop_path: 0.0}
    dimensions:
      depths: {type: categorical, choices: [[1, 1, 1, 1], [1, 1, 2, 1], [2, 2, 2, 2]]}
decoders:
  mlp_head: {fixed: {channels: 16}}
train:
  lr: {type: categorical, choices: [0.002, 0.006]}
"""
EPOCHS = 4


@pytest.fixture()
def table(tmp_path: Path) -> tuple[Path, Path]:
    """Six points: deeper models cost more and learn more; the low learning rate learns slowly."""
    space_path = tmp_path / "space.yaml"
    space_path.write_text(SPACE)
    space = load_search_space(space_path)
    rows = []
    for depth, depths in enumerate(("[1,1,1,1]", "[1,1,2,1]", "[2,2,2,2]")):
        for lr in (0.002, 0.006):
            point = {"mscan.depths": depths, "train.lr": lr}
            final = 0.3 + 0.1 * depth + (0.1 if lr == 0.006 else 0.0)
            rows.append({"point_key": resolve_point(space, point, sr.NUM_CLASSES).point_key,
                         "miou": [final * (k + 1) / EPOCHS for k in range(EPOCHS)],
                         "epoch_s": [10.0 * (depth + 1)] * EPOCHS, "gmacs": 0.01 * (depth + 1),
                         "params": 1000.0 * (depth + 1), "device": "fixture"})
    path = tmp_path / "table.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return path, space_path


@pytest.mark.parametrize("scheduler", ["mo_halving", "asha", "none"])
def test_a_replay_trains_within_its_budget_and_its_front_only_grows(table: tuple[Path, Path], scheduler: str) -> None:
    loaded = sr.load_table(*table)
    curve = sr.replay(loaded, sr.Method("nsga2", scheduler), seed=0, budget_s=loaded.full_cost_s)
    times, volumes = zip(*curve)
    assert list(times) == sorted(times) and list(volumes) == sorted(volumes)
    assert 0 < volumes[-1] <= loaded.best_hypervolume() + 1e-12
    if scheduler == "none":  # the budget is the whole table: every point is trained once, in full
        assert len(curve) == 1 + 6 and times[-1] == pytest.approx(loaded.full_cost_s)
        assert volumes[-1] == pytest.approx(loaded.best_hypervolume())


def test_the_benchmark_writes_its_table_json_and_plot(table: tuple[Path, Path], tmp_path: Path) -> None:
    found = search_quality.replay_main(table[0], seeds=2, out_dir=tmp_path / "out", space=table[1],
                                       samplers=search_quality.SAMPLERS)
    written = json.loads((tmp_path / "out" / "search_quality.json").read_text())
    assert set(written["methods"]) == {f"{a} + {b}" for a in search_quality.SAMPLERS for b in search_quality.SCHEDULERS}
    assert written["findings"] == pytest.approx(found, nan_ok=True)
    assert (tmp_path / "out" / "search_quality.png").stat().st_size > 1000
    assert "| nsga2 + mo_halving |" in (tmp_path / "out" / "search_quality.md").read_text()


def test_summary_interval_brackets_the_mean() -> None:
    mean, low, high = sr.summarise([np.array([0.0, 1.0]), np.array([0.0, 3.0])])
    assert mean.tolist() == [0.0, 2.0] and low[1] < 2.0 < high[1] and low[0] == high[0] == 0.0
    assert sr.time_to_reach(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0]), 0.5) == 1.0
