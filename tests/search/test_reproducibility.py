"""What `pipeline/specs/_search.py` says about reproducibility, asserted on the searcher with synthetic results.

Each point gets the same made-up result in every run (a function of its key), so any difference
between two runs comes from the order in which trials end, not from the results.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline import metric_names as m
from pipeline.search import SegnasOptunaSearch, load_search_space, resolve_point
from pipeline.search._searcher import STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.specs._search import SearchSpec

TINY_SPACE = Path(__file__).with_name("tiny_space.yaml")
OBJECTIVES = ((m.VAL_MIOU, "max"), (m.COST_GMACS, "min"))
POPULATION = 4
STARTUP = {"nsga2": POPULATION, "tpe": 10, "random": 16}  # points that must not depend on completion order


def _result(key: str) -> dict:
    digest = hashlib.sha256(key.encode()).digest()
    result = {m.VAL_MIOU: digest[0] / 255, m.COST_GMACS: digest[1] / 255, m.EPOCH: 2}
    if digest[2] % 3:  # two points in three finish, the others are cut by the scheduler
        result[STATUS_KEY] = "finished"
    return result


def _search(sampler: str, concurrency: int, last_in_first_out: bool, points: int = 16) -> list[dict]:
    """The points asked, in order, with `concurrency` trials at once ending FIFO or LIFO."""
    from pipeline.search import build_sampler

    space = load_search_space(TINY_SPACE)
    spec = SearchSpec(space_path=str(TINY_SPACE), num_samples=points, sampler=sampler, seed=3,
                      population_size=POPULATION)
    searcher = SegnasOptunaSearch(space, 10, OBJECTIVES, build_sampler(spec), None, "r")
    running, asked = [], []
    while len(asked) < points:
        config = searcher.suggest(f"tune{len(asked)}")
        assert isinstance(config, dict)
        params = {k: v for k, v in config.items() if k != TRIAL_NUMBER_KEY}
        asked.append(params)
        running.append((f"tune{len(asked) - 1}", resolve_point(space, params, 10).point_key))
        if len(running) == concurrency:
            trial_id, key = running.pop(-1 if last_in_first_out else 0)
            searcher.on_trial_complete(trial_id, _result(key))
    return asked


@pytest.mark.parametrize("sampler", ["nsga2", "tpe", "random"])
def test_same_results_in_the_same_order_give_the_same_points(sampler: str) -> None:
    assert _search(sampler, 3, last_in_first_out=True) == _search(sampler, 3, last_in_first_out=True)


@pytest.mark.parametrize("sampler", ["nsga2", "tpe", "random"])
def test_the_random_start_does_not_depend_on_completion_order(sampler: str) -> None:
    n = STARTUP[sampler]
    one_at_a_time = _search(sampler, 1, last_in_first_out=False)
    assert _search(sampler, 3, last_in_first_out=False)[:n] == one_at_a_time[:n]
    assert _search(sampler, 3, last_in_first_out=True)[:n] == one_at_a_time[:n]


