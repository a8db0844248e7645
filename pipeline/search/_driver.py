"""`run_search`: one search of a job spec on Ray Tune, resumable on the same experiment directory.

Resume works by replay, not by `Tuner.restore`: the experiment directory — local, or a prefix on
object storage (`pipeline.storage`) — keeps the Optuna study (`study.db`, or `study.journal` on
object storage: `_study.py`) and the result rows (`results.parquet`, every ended trial), so a
driver on any machine can resume from the storage alone. A new run of the same spec
  1. counts the trial rows already written and runs a fresh Tuner for the missing ones only;
  2. seeds the searcher's tables of known points with the rows (finished and infeasible with their
     values, stopped without), so no known point is retrained or told to Optuna again;
  3. marks study trials left RUNNING by the interruption as FAIL and enqueues their parameters, so
     the interrupted point is asked first; its Ray Train run is named by the point key, so
     `fit_model` resumes it from its latest checkpoint.
This keeps resume independent of Tune's experiment-state pickles (searcher, scheduler and
callbacks are rebuilt from the spec each time; the scheduler's rung records from `scheduler.json`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import optuna

from pipeline._atomic import remove_stale_temporaries
from pipeline.deploy import experiment_info, write_experiment_info
from pipeline.model_configs import ConfigError
from pipeline.results_schema import KIND_TRIAL, RESULTS_FILE, STATUS_FAILED
from pipeline.search._benchmark import BenchmarkClient, benchmark_actor, without_benchmark
from pipeline.search._cost import CostGate
from pipeline.search._monitor import SearchMonitor, SearchStopper
from pipeline.search._results import ResultsCallback, RowContext, read_results
from pipeline.search._scheduler import SCHEDULER_STATE_FILE, PointKeyOf, build_scheduler
from pipeline.search._searcher import (
    TRIAL_NUMBER_KEY,
    SegnasOptunaSearch,
    build_sampler,
    known_points_from_rows,
)
from pipeline.search._study import open_study_storage
from pipeline.search._trial import (
    RUNS_DIR,
    TrialContext,
    in_process,
    search_trial_fn,
    trial_name,
    trial_placement,
    trial_resources,
)
from pipeline.specs._search import SearchSpec
from pipeline.storage import Location, copy_file, staged
from reports import PARETO_FILE, REPORT_FILE, write_report

SPEC_COPY = "spec.yaml"
DRIVER_MEMORY_BYTES = 256 * 2**20  # a trial driver holds one model for latency and ISR evaluation
TUNE_DIR = "tune"  # Tune's experiment folders, one per (re)run: tune/run-000, run-001, ...
RAY_LOG = "ray.log"  # Ray's and Tune's own log records (the head's output is in ray-head.log)
# A trial whose process is lost (its node gone, its actor killed) starts again on a node that is
# left, and its Ray Train run, named by the point, resumes from its latest checkpoint on the
# experiment's storage. Until Ray marks a killed node dead (missed health checks: seconds to a
# minute) a retry may be placed there and fail too, hence more than one. Tune cannot tell a lost
# process from an error the trial raises, so a trial reports its own deterministic failure (a
# diverged loss, a non-finite result) as its last result instead of raising it: never retried.
TRIAL_RETRIES = 3
ROW_WRITE_RETRIES = 5  # at the end of a run, for rows whose write failed during it
ROW_WRITE_RETRY_S = 2.0


@dataclass(frozen=True)
class SearchOutcome:
    experiment_dir: str  # a local directory or an s3:// URI
    results_path: str
    trials_before: int  # trial rows present when this run started (resume)
    trials_run: int  # trials this run started (duplicates told to Optuna without a trial excluded)
    duplicates: int  # asked points that were already evaluated or in flight
    wall_time_s: float
    report: str  # report.html of the experiment (pareto.parquet beside it)
    num_samples: int = 0  # trials the spec asks for
    trials_done: int = 0  # trial rows written, this run and before
    failed: int = 0  # trial rows of status failed, this run and before
    stop_reason: str | None = None  # why the run ended before its trials were done (signal, watchdog)
    rows_pending: int = 0  # rows that could not be written (storage fault); the study still has them

    @property
    def complete(self) -> bool:
        return self.stop_reason is None and self.rows_pending == 0 and self.trials_done >= self.num_samples


def trials_per_cluster(cluster: dict[str, float], scaling: Any, trial_cpus: float, cap: int | None,
                       gpu_latency: bool = False, nodes: list[dict[str, float]] | None = None,
                       in_process: bool = False) -> int:
    """How many trials fit at once: the cluster's CPUs, and GPUs, over what one trial holds.

    GPUs count only on nodes of `scaling.accelerator_type` when it is set (`nodes`: the alive
    nodes' resources); a fractional `gpus_per_worker` fits several trials on one GPU.
    `in_process`: trials train inside their Tune trial (`pipeline.training.trial_gpus`).
    """
    from pipeline.training import trial_gpus, usable_gpus

    cpus = scaling.num_workers * scaling.cpus_per_worker + trial_cpus
    fits = math.floor(cluster.get("CPU", 0.0) / cpus) if cpus > 0 else 1_000_000
    gpus = trial_gpus(scaling, gpu_latency, in_process)
    if gpus > 0:
        fits = min(fits, math.floor(usable_gpus(cluster, scaling, nodes) / gpus + 1e-9))
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
               experiment_dir: str | Path | None = None, verbose: bool = False,
               out: TextIO | None = None) -> SearchOutcome:
    """Run (or continue) the search of a job spec; returns where its results are and how far it got.

    Without an address (argument or spec) a loopback-only local Ray head is started for the run
    and stopped after it; a Ray already initialized in this process is used as it is.
    """
    from pipeline.training import check_dataset, prepare_dataset, ray_connection

    started = time.time()
    search: SearchSpec = spec.search
    if search is None:
        raise ConfigError(f"{spec_path or spec.source}: the spec has no `search` section; `segnas train` runs it")
    exp = spec.experiment_location(experiment_dir)
    exp.makedirs()
    scratch = exp.scratch_dir()  # local: generated data, caches, Ray's logs
    scratch.mkdir(parents=True, exist_ok=True)
    if exp.is_local:
        remove_stale_temporaries(exp.local_path, RESULTS_FILE)
    if spec_path is not None and Path(spec_path).resolve() != Path(scratch, SPEC_COPY).resolve():
        copy_file(Path(spec_path), exp.join(SPEC_COPY))
    dataset = spec.dataset.with_root(scratch)
    num_classes = prepare_dataset(dataset)  # generate synthetic data once, not once per trial
    check_dataset(dataset, scratch)  # bad data stops here, before any Ray worker starts
    # Class names, palette and inference of the experiment, for bundles of its rows (segnas model get).
    write_experiment_info(exp, experiment_info(dataset, spec.train.eval, search.input_size))
    rows = read_results(exp)
    trials_before = int((rows["kind"] == KIND_TRIAL).sum())
    remaining = search.num_samples - trials_before
    searcher, writer, monitor = None, None, None
    if remaining > 0:
        # A local instance started here declares the benchmark resource itself (on the one host).
        resources = {search.benchmark.resource: 1.0} if search.ort_field else None
        with _ray_output(scratch / RAY_LOG, verbose), \
                ray_connection(address or spec.ray.address, scratch, log_to_driver=verbose, resources=resources), \
                _search_benchmark(search, spec.name) as benchmark:
            searcher, writer, monitor = _run_tuner(spec, exp, dataset, num_classes, rows, remaining,
                                                   trials_before, out, benchmark)
    rows = read_results(exp)
    trials = rows[rows["kind"] == KIND_TRIAL]
    report = write_experiment_report(exp)
    return SearchOutcome(
        experiment_dir=exp.uri,
        results_path=exp.join(RESULTS_FILE).uri,
        trials_before=trials_before,
        trials_run=len(writer.written) if writer is not None else 0,
        duplicates=searcher.duplicates if searcher is not None else 0,
        wall_time_s=time.time() - started,
        report=report,
        num_samples=search.num_samples,
        trials_done=len(trials),
        failed=int((trials["status"] == STATUS_FAILED).sum()),
        stop_reason=monitor.stop_reason if monitor is not None else None,
        rows_pending=len(writer.pending) if writer is not None else 0,
    )


def _run_tuner(spec: Any, exp: Location, dataset: Any, num_classes: int, rows: Any, remaining: int,
               trials_before: int, out: TextIO | None,
               benchmark: BenchmarkClient | None = None) -> tuple[SegnasOptunaSearch, ResultsCallback, SearchMonitor]:
    import ray
    from ray import tune

    from pipeline.training import alive_node_resources, check_resources, dataset_spec_to_dict, train_config_to_dict

    search: SearchSpec = spec.search
    cluster, nodes = ray.cluster_resources(), alive_node_resources(ray.nodes())
    if benchmark is not None:  # the benchmark actor holds its CPUs for the whole run
        cluster = without_benchmark(cluster, search.benchmark)
    latency_gpu = search.latency.device == "cuda"
    single = in_process(spec.scaling, exp.join(RUNS_DIR))
    check_resources(cluster, spec.scaling, search.trial_cpus, latency_gpu, nodes, single)
    storage = open_study_storage(exp, spec.storage.study)
    _requeue_interrupted(storage, spec.name)
    evaluated, stopped = known_points_from_rows(rows, search)
    searcher = SegnasOptunaSearch(
        space=search.space,
        num_classes=num_classes,
        objectives=search.objectives,
        sampler=build_sampler(search),
        storage=storage,
        study_name=spec.name,
        evaluated=evaluated,
        stopped=stopped,
    )
    gate = CostGate(search.input_size, search.budget, search.latency, benchmark)
    context = TrialContext(
        experiment=spec.name,
        experiment_dir=exp,
        space=search.space,
        num_classes=num_classes,
        train=train_config_to_dict(spec.train),
        dataset=dataset_spec_to_dict(dataset),
        scaling=spec.scaling,
        gate=gate,
        isr=search.isr,
        driver_threads=max(1, math.ceil(search.trial_cpus)),
        pretrained=search.pretrained,
    )
    resources = trial_placement(spec.scaling, trial_resources(spec.scaling, exp.join(RUNS_DIR), search.trial_cpus,
                                                              DRIVER_MEMORY_BYTES, latency_gpu))
    concurrency = trials_per_cluster(cluster, spec.scaling, search.trial_cpus, search.max_concurrent, latency_gpu,
                                     nodes, single)
    row_context = RowContext(spec.name, search.space, num_classes, spec.train.epochs, spec.train.seed,
                             spec.scaling.num_workers, _code_version(), _library_versions())
    writer = ResultsCallback(exp, row_context)
    monitor = SearchMonitor(search.num_samples, trials_before, search.scheduler.rungs(spec.train.epochs),
                            search.stall_timeout_s, free_cpus=lambda: ray.available_resources().get("CPU", 0.0),
                            out=out)
    attempt = sum(name.startswith("run-") for name in exp.join(TUNE_DIR).children())
    tuner = tune.Tuner(
        tune.with_resources(tune.with_parameters(search_trial_fn, context=context), resources),
        tune_config=tune.TuneConfig(
            search_alg=searcher,
            scheduler=build_scheduler(search, spec.train.epochs, exp.join(SCHEDULER_STATE_FILE),
                                      PointKeyOf(search.space, num_classes)),
            num_samples=remaining,
            max_concurrent_trials=concurrency,
            reuse_actors=True,  # a new trial actor would pay Python, torch and model imports again (seconds)
            trial_name_creator=_trial_name,
            trial_dirname_creator=_trial_name,
        ),
        run_config=tune.RunConfig(
            name=f"run-{attempt:03d}",
            storage_path=exp.join(TUNE_DIR).path,
            storage_filesystem=None if exp.is_local else exp.filesystem,
            callbacks=[writer, monitor],
            stop=SearchStopper(monitor),
            failure_config=tune.FailureConfig(max_failures=TRIAL_RETRIES),
            verbose=0,  # the monitor prints trial events; Tune's table shows every ended trial as TERMINATED
        ),
    )
    with _signals_stop(monitor):
        tuner.fit()
    for _ in range(ROW_WRITE_RETRIES):
        if writer.flush():
            break
        time.sleep(ROW_WRITE_RETRY_S)
    return searcher, writer, monitor


@contextlib.contextmanager
def _search_benchmark(search: SearchSpec, experiment: str) -> Iterator[BenchmarkClient | None]:
    """The benchmark actor for the whole run when the search uses ONNX Runtime latency; else None."""
    if search.ort_field is None:
        yield None
        return
    with benchmark_actor(search.benchmark, experiment, search.ort_field) as client:
        yield client


@contextlib.contextmanager
def _signals_stop(monitor: SearchMonitor) -> Iterator[None]:
    """SIGINT/SIGTERM stop the search through the monitor (a second SIGINT aborts at once)."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        monitor.interrupt(signal.Signals(signum).name)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    tune_handler = os.environ.get("TUNE_DISABLE_SIGINT_HANDLER")
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"  # Tune's own handler would advise Tuner.restore
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        if tune_handler is None:
            os.environ.pop("TUNE_DISABLE_SIGINT_HANDLER", None)
        else:
            os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = tune_handler


@contextlib.contextmanager
def _ray_output(log_file: Path, verbose: bool) -> Iterator[None]:
    """Ray's, Tune's and Optuna's log records go to `log_file` (and, with `verbose`, to the console as well)."""
    import ray  # noqa: F401  (Ray sets up its loggers on import; redirect them after that)

    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("ray", "ray.tune", "ray.train", "ray.data", "optuna")]
    output_engine = os.environ.get("RAY_AIR_NEW_OUTPUT")
    if not verbose:
        os.environ["RAY_AIR_NEW_OUTPUT"] = "0"  # Tune's newer console output prints tables even at verbose=0
    saved = [(lg, list(lg.handlers), lg.propagate) for lg in loggers]
    for lg in loggers:
        top = lg.name in ("ray", "optuna")
        if not verbose:
            for old in list(lg.handlers):
                lg.removeHandler(old)
            # Children pass their records up to "ray", which writes them to the file; a logger
            # chain without any handler would fall back to Python's last-resort stderr handler.
            lg.propagate = not top
        if top:
            lg.addHandler(handler)
    try:
        yield
    finally:
        for lg, handlers, propagate in saved:
            for current in list(lg.handlers):
                lg.removeHandler(current)
            for old in handlers:
                lg.addHandler(old)
            lg.propagate = propagate
        handler.close()
        if output_engine is None:
            os.environ.pop("RAY_AIR_NEW_OUTPUT", None)
        else:
            os.environ["RAY_AIR_NEW_OUTPUT"] = output_engine


def write_experiment_report(exp: Location) -> str:
    """pareto.parquet and report.html of the experiment, written beside its results; the report's URI."""
    with staged(exp, inputs=[RESULTS_FILE], outputs=[PARETO_FILE, REPORT_FILE]) as local:
        write_report([local])
    return exp.join(REPORT_FILE).uri


def _trial_name(trial: Any) -> str:
    return trial_name(int(trial.config[TRIAL_NUMBER_KEY]))
