"""Architecture and hyperparameter search on Ray Tune with Optuna.

Search spaces (`search_spaces/*.yaml`) decode into model configs; `run_search` runs a job spec's
search: Optuna's multi-objective sampler behind Ray Tune (told full-fidelity results only), a cost gate
before training, a Pareto-keeping successive-halving scheduler whose rung records persist, ISR and latency evaluation of finished trials
(ONNX Runtime latency on a benchmark actor of its own, `_benchmark.py`), rows in
`<experiment dir>/results.parquet`. Space handling and the Pareto rule import no torch and no
Ray; the Ray-side names are imported on first use, so `pipeline.specs` can validate spaces cheaply.
"""

from __future__ import annotations

import importlib
from typing import Any

from pipeline.search._points import (
    ResolvedPoint,
    SpaceSampler,
    arch_id,
    check_points,
    check_space_builds,
    decode_point,
    point_key_of,
    resolve_point,
)
from pipeline.search._space import (
    Dimension,
    PartSpace,
    SearchSpace,
    SpaceError,
    load_search_space,
    parse_search_space,
)

# Names that need torch or Ray, with the private module that defines each.
_LAZY = {
    "RungResult": "pipeline.search._pareto",  # the Pareto rule pulls in the reports package (pandas)
    "promoted": "pipeline.search._pareto",
    "rank_rung": "pipeline.search._pareto",
    "CostGate": "pipeline.search._cost",
    "MOHalvingScheduler": "pipeline.search._scheduler",
    "PointKeyOf": "pipeline.search._scheduler",
    "RungASHA": "pipeline.search._scheduler",
    "build_scheduler": "pipeline.search._scheduler",
    "SegnasOptunaSearch": "pipeline.search._searcher",
    "build_sampler": "pipeline.search._searcher",
    "known_points_from_rows": "pipeline.search._searcher",
    "ResultsCallback": "pipeline.search._results",
    "append_rows": "pipeline.search._results",
    "read_results": "pipeline.search._results",
    "TrialContext": "pipeline.search._trial",
    "search_trial_fn": "pipeline.search._trial",
    "SearchOutcome": "pipeline.search._driver",
    "run_search": "pipeline.search._driver",
    "trials_per_cluster": "pipeline.search._driver",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pipeline.search' has no attribute {name!r}")


__all__ = [
    "Dimension",
    "PartSpace",
    "ResolvedPoint",
    "RungResult",
    "SearchSpace",
    "SpaceError",
    "SpaceSampler",
    "arch_id",
    "check_points",
    "check_space_builds",
    "decode_point",
    "load_search_space",
    "parse_search_space",
    "point_key_of",
    "promoted",
    "rank_rung",
    "resolve_point",
    *_LAZY,
]
