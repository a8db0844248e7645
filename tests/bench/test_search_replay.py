"""The search-quality replay on a 6-point fixture table: the real searcher and schedulers decide, the table answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import search_quality
import search_replay as sr


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
    assert json.dumps(written["findings"], sort_keys=True) == json.dumps(found, sort_keys=True)  # NaN as NaN
    assert (tmp_path / "out" / "search_quality.png").stat().st_size > 1000
    assert all(curve["seeds"] == 2 for curve in written["methods"].values())
    assert "| nsga2 + mo_halving | 2 |" in (tmp_path / "out" / "search_quality.md").read_text()


def test_rows_are_keyed_by_the_point_their_parameters_resolve_to_now(table: tuple[Path, Path], tmp_path: Path) -> None:
    """A stored point key from an older model config is not trusted: the row's parameters decide."""
    frame = pd.read_parquet(table[0])
    current = sr.load_table(*table)
    frame["params_json"] = [json.dumps({"mscan.depths": d, "train.lr": lr})
                            for d in ("[1,1,1,1]", "[1,1,2,1]", "[2,2,2,2]") for lr in (0.002, 0.006)]
    frame["point_key"] = [f"stale{i}" for i in range(len(frame))]
    frame.to_parquet(tmp_path / "stale.parquet")
    assert sr.load_table(tmp_path / "stale.parquet", table[1]).rows == current.rows


def test_summary_interval_brackets_the_mean() -> None:
    mean, low, high = sr.summarise([np.array([0.0, 1.0]), np.array([0.0, 3.0])])
    assert mean.tolist() == [0.0, 2.0] and low[1] < 2.0 < high[1] and low[0] == high[0] == 0.0
    assert sr.time_to_reach(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0]), 0.5) == 1.0


def test_gp_stops_starting_seeds_once_its_time_is_up_but_keeps_two(table: tuple[Path, Path]) -> None:
    loaded = sr.load_table(*table)
    methods = [sr.Method("gp", "none"), sr.Method("random", "none")]
    # A tenth of the table: a few draws each, before GP's start-up trials are done (GP is slow once it fits).
    out = search_quality.run_replays(loaded, methods, {"gp": 4, "random": 4}, loaded.full_cost_s / 10, gp_seconds=0.0)
    assert {name: curve["seeds"] for name, curve in out["methods"].items()} == {"gp + none": 2, "random + none": 4}


def test_a_run_started_again_with_its_seed_cache_replays_nothing_twice(table: tuple[Path, Path], tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = sr.load_table(*table)
    methods = [sr.Method("random", "mo_halving")]
    cache_path = tmp_path / "seeds.json"
    first = search_quality.run_replays(loaded, methods, {"random": 3}, loaded.full_cost_s,
                                       cache=search_quality.SeedCache(cache_path))

    def no_replay(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached seed was replayed again")

    monkeypatch.setattr(sr, "replay", no_replay)
    again = search_quality.run_replays(loaded, methods, {"random": 3}, loaded.full_cost_s,
                                       cache=search_quality.SeedCache(cache_path))
    assert again == first
