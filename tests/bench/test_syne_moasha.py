"""Syne Tune's MO-ASHA behind the replay's scheduler interface (skipped without the optional syne-tune).

syne-tune is not in the `test` extra (it is the outside reference of bench/search_quality.py, in
the `bench-syne` extra), so these tests skip wherever it is missing, CI included.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import search_quality
import search_replay as sr
from ray.tune.schedulers import TrialScheduler

from pipeline import metric_names as m
from pipeline.specs._search import SchedulerSpec

pytest.importorskip("syne_tune", reason="syne-tune (bench-syne extra) is not installed")
from syne_moasha import SyneMOASHA  # noqa: E402


def _result(epoch: int, miou: float, gmacs: float) -> dict[str, float]:
    return {m.EPOCH: epoch, m.VAL_MIOU: miou, m.COST_GMACS: gmacs, m.COST_PARAMS: 1.0}


def test_its_rungs_are_those_of_the_project_default_scheduler() -> None:
    spec = SchedulerSpec()
    assert SyneMOASHA(10, spec.grace_epochs, spec.reduction_factor, seed=0).rungs == spec.rungs(10) == (1, 2, 4, 8)


def test_a_dominated_trial_is_stopped_and_front_trials_go_on() -> None:
    scheduler = SyneMOASHA(10, 1, 2.0, seed=0)
    trial = {name: SimpleNamespace(trial_id=name, config={}) for name in "abcd"}
    decide = {name: scheduler.on_trial_result(None, trial[name], _result(1, miou, gmacs))
              for name, miou, gmacs in (("a", 0.5, 1.0), ("b", 0.6, 0.5), ("c", 0.1, 2.0), ("d", 0.9, 0.1))}
    assert decide == {"a": TrialScheduler.CONTINUE, "b": TrialScheduler.CONTINUE, "c": TrialScheduler.STOP,
                      "d": TrialScheduler.CONTINUE}
    # Between rungs nothing is decided.
    assert scheduler.on_trial_result(None, trial["a"], _result(1, 0.0, 9.0)) == TrialScheduler.CONTINUE


def test_the_benchmark_replays_it_beside_the_project_methods(table: tuple[Path, Path], tmp_path: Path) -> None:
    loaded = sr.load_table(*table)
    curve = sr.replay(loaded, sr.Method("random", sr.SYNE_MOASHA), seed=0, budget_s=loaded.full_cost_s)
    times, volumes = zip(*curve)
    assert list(times) == sorted(times) and list(volumes) == sorted(volumes)
    assert 0 < volumes[-1] <= loaded.best_hypervolume() + 1e-12 and times[-1] <= loaded.full_cost_s
    found = search_quality.replay_main(table[0], seeds=2, out_dir=tmp_path / "out", space=table[1],
                                       samplers=("nsga2", "random"), syne=True)
    written = json.loads((tmp_path / "out" / "search_quality.json").read_text())
    assert f"random + {sr.SYNE_MOASHA}" in written["methods"]
    assert found["syne_moasha_vs_random_mo_halving"] in ("above", "below", "overlapping")
    assert f"| random + {sr.SYNE_MOASHA} | 2 |" in (tmp_path / "out" / "search_quality.md").read_text()


def test_as_released_it_can_stop_a_trial_that_dominates_every_other_at_the_rung() -> None:
    """syne-tune 0.16's `Bracket.on_result` reads the non-dominated sort's output (item indices,
    best first) as one priority per item, so the newcomer's rank is the index of the worst item
    over the count. The replay runs MO-ASHA as released; this pins that behaviour for 0.16."""
    scheduler = SyneMOASHA(10, 1, 2.0, seed=0)
    results = (("a", 0.5, 1.0), ("b", 0.6, 0.5), ("e", 0.55, 0.9), ("c", 0.1, 2.0), ("d", 0.95, 0.05))
    decide = {name: scheduler.on_trial_result(None, SimpleNamespace(trial_id=name, config={}), _result(1, miou, gmacs))
              for name, miou, gmacs in results}
    assert decide["d"] == TrialScheduler.STOP  # d has the best mIoU and the lowest GMACs of all five
