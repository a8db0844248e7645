"""`run_search`: one search of a job spec on Ray Tune, resumable on the same experiment directory.

Resume works by replay, not by `Tuner.restore`: the experiment directory keeps the Optuna study
(`study.db`, every told trial) and the result rows (`results.parquet`, every ended trial). A new
run of the same spec
  1. counts the trial rows already written and runs a fresh Tuner for the missing ones only;
  2. seeds the searcher's duplicate table with the finished rows, so a point asked again is told
     its stored values and never retrained;
  3. marks study trials left RUNNING by the interruption as FAIL and enqueues their parameters, so
     the interrupted point is asked first; its Ray Train run is named by the point key, so
     `fit_model` resumes it from its latest checkpoint.
This keeps resume independent of Tune's experiment-state pickles (searcher, scheduler and
callbacks are rebuilt from the spec each time).
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from pipeline import metric_names as m
from pipeline.deploy import experiment_info, write_experiment_info
from pipeline.model_configs import ConfigError
from pipeline.results_schema import KIND_TRIAL, RESULTS_FILE, STATUS_FAILED, STATUS_INFEASIBLE
from pipeline.search._cost import CostGate
from pipeline.search._points import point_key_of
from pipeline.search._results import ResultsCallback, RowContext, read_results
from pipeline.search._scheduler import build_scheduler
from pipeline.search._searcher import (
    CONSTRAINT_KEY,
    TRIAL_NUMBER_KEY,
    SegnasOptunaSearch,
    build_sampler,
    evaluated_values,
)
from pipeline.search._trial import TrialContext, search_trial_fn, trial_name
from pipeline.specs._search import SearchSpec
from reports import write_report

STUDY_FILE = "study.db"
SPEC_COPY = "spec.yaml"
DRIVER_MEMORY_BYTES = 256 * 2**20  # a trial driver holds one model for latency and ISR evaluation
TUNE_DIR = "tune"  # Tune's experiment folders, one per (re)run: tune/run-000, run-001, ...


@dataclass(frozen=True)
class SearchOutcome:
    experiment_dir: Path
    results_path: Path
    trials_before: int  # trial rows present when this run started (resume)
    trials_run: int  # trials this run started (duplicates told to Optuna without a trial excluded)
    duplicates: int  # asked points that were already evaluated or in flight
    wall_time_s: float
    report: Path  # report.html of the experiment (pareto.parquet beside it)


def trials_per_cluster(cluster: dict[str, float], scaling: Any, trial_cpus: float, cap: int | None) -> int:
    """How many trials fit at once: cluster CPUs (and GPUs) over one trial's workers plus its driver."""
    cpus = scaling.num_workers * scaling.cpus_per_worker + trial_cpus
    fits = math.floor(cluster.get("CPU", 0.0) / cpus) if cpus > 0 else 1_000_000
    if scaling.use_gpu:
        fits = min(fits, math.floor(cluster.get("GPU", 0.0) / (scaling.num_workers * scaling.gpus_per_worker)))
    fits = max(1, fits)
    return min(fits, cap) if cap is not None else fits


def _code_version() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"segnas {version('segnas')}"
    except PackageNotFoundError:
        return "unknown"


def _library_versions() -> dict[str, str]:
    import ray
    import torch

    return {"torch": torch.__version__, "ray": ray.__version__, "optuna": optuna.__version__}


def evaluated_from_rows(rows: Any, search: SearchSpec) -> dict[str, dict[str, float]]:
    """Point key → what Optuna was told, for every trial row that is not failed (failed ones may be retried)."""
    evaluated = {}
    for row in rows[rows["kind"] == KIND_TRIAL].to_dict("records"):
        if row["status"] == STATUS_FAILED or not row["arch_id"]:
            continue
        result = {metric: row[metric] for metric, _ in search.objectives}
        if row["status"] == STATUS_INFEASIBLE:
            result[m.VAL_MIOU] = 0.0
            costs = {c: row[c] for c in (m.COST_PARAMS, m.COST_GMACS, m.COST_LATENCY_MS) if not math.isnan(float(row[c]))}
            result[CONSTRAINT_KEY] = sum(search.budget.violations(costs).values())
        evaluated[point_key_of(row["arch_id"], json.loads(row["hparams"]))] = evaluated_values(result, search.objectives)
    return evaluated


def _requeue_interrupted(storage: optuna.storages.BaseStorage, study_name: str) -> int:
    """Trials a previous run left RUNNING: mark them failed and ask their points again first."""
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return 0
    stale = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in stale:
        storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
        study.enqueue_trial(trial.params, skip_if_exists=False)
    return len(stale)


def run_search(spec: Any, spec_path: str | Path | None = None, address: str | None = None,
               experiment_dir: str | Path | None = None) -> SearchOutcome:
    """Run (or continue) the search of a job spec; returns where its results are."""
    import ray
    from ray import tune

    from pipeline.training import dataset_spec_to_dict, prepare_dataset, train_config_to_dict

    started = time.time()
    search: SearchSpec = spec.search
    if search is None:
        raise ConfigError(f"{spec_path or spec.source}: the spec has no `search` section; `segnas train` runs it")
    exp_dir = Path(experiment_dir or spec.experiment_dir).resolve()
    exp_dir.mkdir(parents=True, exist_ok=True)
    if spec_path is not None and Path(spec_path).resolve() != (exp_dir / SPEC_COPY):
        shutil.copyfile(spec_path, exp_dir / SPEC_COPY)
    dataset = spec.dataset.with_root(exp_dir)
    num_classes = prepare_dataset(dataset)  # generate synthetic data once, not once per trial
    # Class names, palette and inference of the experiment, for bundles of its rows (segnas model get).
    write_experiment_info(exp_dir, experiment_info(dataset, spec.train.eval, search.input_size))
    rows = read_results(exp_dir)
    trials_before = int((rows["kind"] == KIND_TRIAL).sum())
    remaining = search.num_samples - trials_before
    storage = optuna.storages.RDBStorage(f"sqlite:///{exp_dir / STUDY_FILE}")
    searcher = None
    trials_run = 0
    if remaining > 0:
        if not ray.is_initialized():
            ray.init(address=address or spec.ray.address)
        _requeue_interrupted(storage, spec.name)
        searcher = SegnasOptunaSearch(
            space=search.space,
            num_classes=num_classes,
            objectives=search.objectives,
            sampler=build_sampler(search),
            storage=storage,
            study_name=spec.name,
            evaluated=evaluated_from_rows(rows, search),
        )
        gate = CostGate(search.input_size, search.budget, search.latency)
        context = TrialContext(
            experiment=spec.name,
            experiment_dir=str(exp_dir),
            space=search.space,
            num_classes=num_classes,
            train=train_config_to_dict(spec.train),
            dataset=dataset_spec_to_dict(dataset),
            scaling=spec.scaling,
            gate=gate,
            isr=search.isr,
            driver_threads=max(1, math.ceil(search.trial_cpus)),
        )
        # A trial driver only waits on its trainer; the memory share makes its bundle non-empty
        # (Ray rejects an all-zero request) without taking a core from the training workers.
        resources = {"cpu": search.trial_cpus, "memory": DRIVER_MEMORY_BYTES}
        if search.latency.device == "cuda":
            resources["gpu"] = 1  # the trial driver times its model on a GPU of its own
        concurrency = trials_per_cluster(ray.cluster_resources(), spec.scaling, search.trial_cpus, search.max_concurrent)
        row_context = RowContext(spec.name, search.space, num_classes, spec.train.epochs, spec.train.seed,
                                 spec.scaling.num_workers, _code_version(), _library_versions())
        writer = ResultsCallback(exp_dir, row_context)
        attempt = len(list((exp_dir / TUNE_DIR).glob("run-*"))) if (exp_dir / TUNE_DIR).is_dir() else 0
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(search_trial_fn, context=context), resources),
            tune_config=tune.TuneConfig(
                search_alg=searcher,
                scheduler=build_scheduler(search, spec.train.epochs),
                num_samples=remaining,
                max_concurrent_trials=concurrency,
                trial_name_creator=_trial_name,
                trial_dirname_creator=_trial_name,
            ),
            run_config=tune.RunConfig(
                name=f"run-{attempt:03d}",
                storage_path=str(exp_dir / TUNE_DIR),
                callbacks=[writer],
                verbose=1,
            ),
        )
        tuner.fit()
        trials_run = len(writer.written)
    report = write_report([exp_dir]).html
    return SearchOutcome(
        experiment_dir=exp_dir,
        results_path=exp_dir / RESULTS_FILE,
        trials_before=trials_before,
        trials_run=trials_run,
        duplicates=searcher.duplicates if searcher is not None else 0,
        wall_time_s=time.time() - started,
        report=report,
    )


def _trial_name(trial: Any) -> str:
    return trial_name(int(trial.config[TRIAL_NUMBER_KEY]))


def with_search(spec: Any, **changes: Any) -> Any:
    """A copy of a job spec with its search section changed (tests, CLI overrides)."""
    return dataclasses.replace(spec, search=dataclasses.replace(spec.search, **changes))
