"""The per-trial function Ray Tune runs: decode the point, gate its cost, train it, then time it and
evaluate it under the spec's ISR settings. A single-worker point trains inside the trial process
(`pipeline.training.fit_in_process`, reporting to Tune every epoch); a multi-worker one through
`pipeline.training.fit_model` (a `TorchTrainer` whose reports reach Tune by `TuneReportCallback`).

Everything the results row needs travels in the trial's last result (a JSON string for the ISR
rows), so the driver writes rows from Tune's own bookkeeping and a stopped trial — killed by the
scheduler mid-training — still leaves its last epoch's metrics.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from pipeline import metric_names as m
from pipeline.deploy import Inference, checkpoint_uri, dataset_palette, gallery_samples, prediction_gallery
from pipeline.measure import collect_fingerprint, format_fingerprint, format_isr, measure_latency_variants
from pipeline.results_schema import STATUS_FAILED, STATUS_FINISHED, STATUS_INFEASIBLE
from pipeline.search._cost import CostGate, latency_metrics
from pipeline.search._points import resolve_point
from pipeline.search._searcher import CONSTRAINT_KEY, STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.search._space import SearchSpace
from pipeline.specs._search import parse_isr_setting
from pipeline.storage import Location, local_copy
from pipeline.training import ACCELERATOR_SHARE, ScalingSpec, TrainConfig, accelerator_resource

# Further keys of a trial's last result, read by the results writer.
ISR_KEY = "search/isr_rows"  # JSON list of {isr_encoder, isr_decoder, metrics...}
CURVE_KEY = "search/learning_curve"  # JSON list of val mIoU per evaluated epoch
WALL_KEY = "search/wall_time_s"
EVALUATION_KEY = "search/evaluation_s"  # seconds of the post-training latency and ISR evaluation
GATE_KEY = "search/gate_s"  # seconds of the cost gate (parameter and MAC counts, latency) before training
DEVICE_KEY = "search/device"
ERROR_KEY = "search/error"
PRETRAINED_KEY = "search/pretrained"  # JSON of what the encoder inherited; empty when trained from scratch
CHECKPOINT_KEY = "search/checkpoint_uri"  # final checkpoint of a finished trial
PREDICTIONS_KEY = "search/predictions"  # JSON gallery of the trained model (pipeline.deploy.prediction_gallery)
BENCHMARK_KEY = "search/benchmark"  # JSON: where and how ONNX Runtime latency was timed (pipeline.search._benchmark)
RUNS_DIR = "runs"  # <experiment dir>/runs/<run name>: the Ray Train run of each trained point


@dataclass(frozen=True)
class TrialContext:
    """Plain data every trial needs; shipped once to the trial actors with `tune.with_parameters`."""

    experiment: str
    experiment_dir: Location  # local directory or object-store prefix (pipeline.storage)
    space: SearchSpace
    num_classes: int
    train: dict[str, Any]  # train_config_to_dict of the spec's TrainConfig
    dataset: dict[str, Any]  # dataset_spec_to_dict, root filled in
    scaling: ScalingSpec
    gate: CostGate
    isr: tuple[str, ...]
    driver_threads: int  # torch threads of the trial driver (latency, ISR evaluation)
    pretrained: tuple[tuple[str, str], ...] = ()  # (encoder name, converted file) its variants inherit from


def in_process(scaling: ScalingSpec, storage: Location) -> bool:
    """Single-worker trials train inside their Tune trial process: no Ray Train run to start per trial.

    Only on local (or shared-mount) storage: on object storage Ray Train's run uploads the checkpoints.
    Such a trial's Tune actor takes the worker's resources (`trial_resources`): the same GPU share
    and accelerator model as a Ray Train worker, so the scaling fields apply on both paths.
    """
    return scaling.num_workers == 1 and storage.is_local


def trial_resources(scaling: ScalingSpec, storage: Location, driver_cpus: float, driver_memory: int,
                    latency_gpu: bool) -> dict[str, float]:
    """The one placement-group bundle of a trial's Tune actor: its driver's share, plus the worker's
    when it trains in-process (CPUs, GPU share, accelerator model), so Tune places an in-process
    trial exactly where Ray Train would have placed its single worker.

    The placement strategy has nothing to arrange in a one-bundle group; it shapes the worker group
    of a multi-worker trial (`fit_model`). The memory share makes the bundle non-empty (Ray rejects
    an all-zero request) when the driver needs no core of its own.
    """
    bundle: dict[str, float] = {"CPU": driver_cpus, "memory": driver_memory}
    on_accelerator = latency_gpu  # the driver times its model on a GPU, which must be of the spec's model too
    if in_process(scaling, storage):
        bundle["CPU"] += scaling.cpus_per_worker
        if scaling.use_gpu:
            bundle["GPU"] = scaling.gpus_per_worker
            on_accelerator = True
    if latency_gpu:
        bundle["GPU"] = max(bundle.get("GPU", 0.0), 1.0)
    if on_accelerator and scaling.accelerator_type is not None:
        bundle[accelerator_resource(scaling.accelerator_type)] = ACCELERATOR_SHARE
    return bundle


def trial_placement(scaling: ScalingSpec, bundle: dict[str, float]) -> Any:
    """The trial's `tune.PlacementGroupFactory`: its one bundle, under the spec's placement strategy."""
    from ray import tune

    return tune.PlacementGroupFactory([bundle], strategy=scaling.placement_strategy)


def trial_name(number: int) -> str:
    """Deterministic trial name from the Optuna trial number (same seed → same names)."""
    return f"t{number:04d}"


def run_name(point_key: str) -> str:
    """Ray Train run name: keyed by the point, so a re-asked interrupted point resumes its checkpoint."""
    return f"point-{point_key}"


def _isr_applies(isr_stages: dict[str, int], encoder: tuple[int, ...] | None, decoder: tuple[int, ...] | None) -> bool:
    for part, factors in (("encoder", encoder), ("decoder", decoder)):
        if factors is not None and isr_stages.get(part) != len(factors):
            return False
    return encoder is not None or decoder is not None


def evaluate_finished(
    checkpoint_path: str, context: TrialContext, eval_config: Any, precision: str
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Latency and prediction thumbnails of the trained model, and one row per applicable ISR setting
    (factors, mIoU, pixel accuracy, GMACs, params, latency, thumbnails).

    ISR rows are evaluated in the training precision (`precision`), the one the parent's mIoU was
    measured in, so a front compares an ISR variant with its parent under the same arithmetic.

    The model and its ISR variants are timed interleaved, so a change of load while they are timed
    (other trials training on a shared machine) cannot favour one of them. With a benchmark in the
    gate, the trained model and its variants are also exported and timed in ONNX Runtime on the
    benchmark actor (the record under BENCHMARK_KEY says where and how).
    """
    from pipeline.training import dataset_spec_from_dict, evaluate, load_checkpoint_model

    model, _ = load_checkpoint_model(checkpoint_path)
    model.eval()
    stages = model.isr_stages()
    training_setting = {part: (1,) * n for part, n in stages.items()}
    dataset = dataset_spec_from_dict(context.dataset)
    samples = gallery_samples(dataset)
    palette, inference = dataset_palette(dataset, context.num_classes), Inference(eval=eval_config)
    gallery = prediction_gallery(model, samples, palette, inference)
    settings = [parse_isr_setting(text) for text in context.isr]
    settings = [(enc, dec) for enc, dec in settings if _isr_applies(stages, enc, dec)]
    rows = []
    for encoder, decoder in settings:
        _set_isr(model, training_setting, {"encoder": encoder, "decoder": decoder})
        metrics = evaluate(model, dataset, eval_config, device=context.gate.latency.device, precision=precision)
        rows.append(
            {
                "isr_encoder": format_isr(encoder, None).rstrip("/"),
                "isr_decoder": format_isr(None, decoder).lstrip("/"),
                m.VAL_MIOU: metrics[m.VAL_MIOU],
                m.VAL_PIXEL_ACC: metrics[m.VAL_PIXEL_ACC],
                **context.gate.count(model),
                PREDICTIONS_KEY: prediction_gallery(model, samples, palette, inference),
            }
        )
    variants = [functools.partial(_set_isr, training=training_setting, setting={})] + [
        functools.partial(_set_isr, training=training_setting, setting={"encoder": enc, "decoder": dec})
        for enc, dec in settings
    ]
    stats = measure_latency_variants(model, context.gate.latency_settings(), variants)
    model.set_isr(**training_setting)
    for row, timing in zip(rows, stats[1:]):
        row.update(latency_metrics(timing))
    latency = {**latency_metrics(stats[0]), PREDICTIONS_KEY: gallery}
    if context.gate.benchmark is not None:
        ort, record = context.gate.time_ort(model, variants, "trained")
        model.set_isr(**training_setting)
        for row, timing in zip(rows, ort[1:]):
            row.update(timing)
        latency |= {**ort[0], BENCHMARK_KEY: record}
    return latency, rows


def _set_isr(
    model: nn.Module, training: dict[str, tuple[int, ...]], setting: dict[str, tuple[int, ...] | None]
) -> None:
    """Back to the training setting, then `setting`: a part it leaves as None is not pooled harder."""
    model.set_isr(**training)
    model.set_isr(**setting)


def check_finite(metrics: dict[str, Any], names: tuple[str, ...]) -> None:
    """A non-finite result fails the trial: such a row must never be ranked."""
    from pipeline.training import NonFiniteError

    for name in names:
        value = float(metrics.get(name, math.nan))
        if not math.isfinite(value):
            raise NonFiniteError(f"non-finite {name} ({value}) of the trained model")


def with_inheritance(
    train: TrainConfig, model_config: dict[str, Any], pretrained: tuple[tuple[str, str], ...]
) -> tuple[TrainConfig, str]:
    """`train` set to inherit the encoder from the spec's checkpoint for this encoder, and the record
    of what each tensor family gets (JSON; "" when the spec names none). A variant wider than its
    checkpoint fails here, before any training, with the tensor and the dimension."""
    from pipeline.model_configs import model_config_from_dict
    from pipeline.training import PretrainedConfig
    from pipeline.weights import inheritance_for

    checkpoint = dict(pretrained).get(model_config["encoder"]["name"])
    if checkpoint is None:
        return train, ""
    record = inheritance_for(model_config_from_dict(model_config), checkpoint).to_json()
    init = PretrainedConfig(checkpoint, part="encoder", strict=False, inherit=True)
    return dataclasses.replace(train, pretrained=init), record


def search_trial_fn(config: dict[str, Any], context: TrialContext) -> None:
    """Ray Tune function trainable of one search point."""
    import ray.tune

    from pipeline.training import NonFiniteError

    started = time.time()
    torch.set_num_threads(context.driver_threads)
    params = {k: v for k, v in config.items() if k != TRIAL_NUMBER_KEY}
    point = resolve_point(context.space, params, context.num_classes)
    gate_started = time.time()
    costs, violations, benchmark = context.gate.measure(point.model_config)
    gate_s = time.time() - gate_started
    device = format_fingerprint(collect_fingerprint(context.gate.latency.device))
    if violations:
        over = ", ".join(f"{metric} {costs[metric]:.4g} is {100 * v:.0f}% over budget" for metric, v in violations.items())
        ray.tune.report(
            {
                STATUS_KEY: STATUS_INFEASIBLE,
                m.EPOCH: 0,
                m.VAL_MIOU: 0.0,  # worst case, for Optuna; the results row records NaN (never trained)
                # Tune wants every objective in each result: one the gate never measured is NaN (Optuna
                # is told the worst value, the row records NaN).
                **{metric: math.nan for metric in m.COST_METRICS},
                **costs,
                CONSTRAINT_KEY: sum(violations.values()),
                **({BENCHMARK_KEY: benchmark} if benchmark else {}),
                ERROR_KEY: f"infeasible: {over}",
                WALL_KEY: time.time() - started,
                DEVICE_KEY: device,
            }
        )
        return
    extra = {**costs, **({BENCHMARK_KEY: benchmark} if benchmark else {})}
    try:
        outcome = _train_and_evaluate(config, context, point, extra)
    except NonFiniteError as error:
        # A diverged run or a non-finite result is this point's outcome, not a fault: reported as a
        # result, so Tune does not retry it (a retry from the checkpoint would diverge again).
        outcome = {
            STATUS_KEY: STATUS_FAILED,
            m.EPOCH: 0,
            m.VAL_MIOU: math.nan,  # Tune wants every objective in each result; the sampler is told FAIL
            **{metric: math.nan for metric in m.COST_METRICS},
            **extra,
            ERROR_KEY: f"{type(error).__name__}: {error}",
        }
    ray.tune.report({**outcome, GATE_KEY: gate_s, WALL_KEY: time.time() - started, DEVICE_KEY: device})


def _train_and_evaluate(config: dict[str, Any], context: TrialContext, point: Any,
                        extra: dict[str, Any]) -> dict[str, Any]:
    """Train the point (in this process or with a `TorchTrainer`), then time it and its ISR variants:
    the finished trial's last result, less the timings of the whole trial."""
    import ray.tune
    from ray.tune.integration.ray_train import TuneReportCallback

    from pipeline.training import fit_in_process, fit_model, replace_train, train_config_from_dict

    train = replace_train(train_config_from_dict(context.train), **point.hparams)
    train, inherited = with_inheritance(train, point.model_config, context.pretrained)
    extra = {**extra, **({PRETRAINED_KEY: inherited} if inherited else {})}
    storage = context.experiment_dir.join(RUNS_DIR)
    if in_process(context.scaling, storage):
        result = fit_in_process(point.model_config, train, context.dataset, run_name(point.point_key), storage,
                                report=ray.tune.report, extra_metrics=extra,
                                device="cuda" if context.scaling.use_gpu else "cpu",
                                threads=context.scaling.cpus_per_worker)
        torch.set_num_threads(context.driver_threads)
    else:
        result = fit_model(point.model_config, train, context.dataset, context.scaling,
                           run_name=run_name(point.point_key), storage_path=storage,
                           callbacks=[TuneReportCallback()], extra_metrics=extra)
    if result.checkpoint_path is None:
        raise RuntimeError(f"trial {trial_name(config[TRIAL_NUMBER_KEY])}: training ended without a checkpoint")
    # Timed again after training, with its ISR variants: the gate timed it before, under other load.
    evaluation_started = time.time()
    with local_copy(result.checkpoint_location) as checkpoint_dir:
        latency, isr_rows = evaluate_finished(str(checkpoint_dir), context, train.eval, train.precision)
    ort = (m.COST_ORT_LATENCY_MS,) if context.gate.benchmark is not None else ()
    measured = (m.VAL_MIOU, m.COST_GMACS, m.COST_LATENCY_MS, *ort)
    costs = {k: v for k, v in extra.items() if k in m.COST_METRICS}
    check_finite({**result.metrics, **costs, **latency}, measured)
    curve = [float(h[m.VAL_MIOU]) for h in result.history if m.VAL_MIOU in h]
    return {
        **result.metrics,
        **costs,
        **latency,
        STATUS_KEY: STATUS_FINISHED,
        CONSTRAINT_KEY: 0.0,
        CHECKPOINT_KEY: checkpoint_uri(result.checkpoint_path),
        ISR_KEY: json.dumps(isr_rows),
        CURVE_KEY: json.dumps(curve),
        EVALUATION_KEY: time.time() - evaluation_started,
    }
