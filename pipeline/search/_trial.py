"""The per-trial function Ray Tune runs: decode the point, gate its cost, train it through
`pipeline.training.fit_model` (a `TorchTrainer` reporting to Tune every epoch), then time it and
evaluate it under the spec's ISR settings.

Everything the results row needs travels in the trial's last result (a JSON string for the ISR
rows), so the driver writes rows from Tune's own bookkeeping and a stopped trial — killed by the
scheduler mid-training — still leaves its last epoch's metrics.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pipeline import metric_names as m
from pipeline.deploy import Inference, checkpoint_uri, dataset_palette, gallery_samples, prediction_gallery
from pipeline.measure import collect_fingerprint, format_fingerprint, format_isr, measure_latency_variants
from pipeline.results_schema import STATUS_FINISHED, STATUS_INFEASIBLE
from pipeline.search._cost import CostGate, latency_metrics
from pipeline.search._points import resolve_point
from pipeline.search._searcher import CONSTRAINT_KEY, STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.search._space import SearchSpace
from pipeline.specs._search import parse_isr_setting
from pipeline.training import ScalingSpec

# Further keys of a trial's last result, read by the results writer.
ISR_KEY = "search/isr_rows"  # JSON list of {isr_encoder, isr_decoder, metrics...}
CURVE_KEY = "search/learning_curve"  # JSON list of val mIoU per evaluated epoch
WALL_KEY = "search/wall_time_s"
DEVICE_KEY = "search/device"
ERROR_KEY = "search/error"
CHECKPOINT_KEY = "search/checkpoint_uri"  # final checkpoint of a finished trial
PREDICTIONS_KEY = "search/predictions"  # JSON gallery of the trained model (pipeline.deploy.prediction_gallery)
RUNS_DIR = "runs"  # <experiment dir>/runs/<run name>: the Ray Train run of each trained point


@dataclass(frozen=True)
class TrialContext:
    """Plain data every trial needs; shipped once to the trial actors with `tune.with_parameters`."""

    experiment: str
    experiment_dir: str
    space: SearchSpace
    num_classes: int
    train: dict[str, Any]  # train_config_to_dict of the spec's TrainConfig
    dataset: dict[str, Any]  # dataset_spec_to_dict, root filled in
    scaling: ScalingSpec
    gate: CostGate
    isr: tuple[str, ...]
    driver_threads: int  # torch threads of the trial driver (latency, ISR evaluation)


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
    checkpoint_path: str, context: TrialContext, eval_config: Any
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Latency and prediction thumbnails of the trained model, and one row per applicable ISR setting
    (factors, mIoU, pixel accuracy, GMACs, params, latency, thumbnails).

    The model and its ISR variants are timed interleaved, so a change of load while they are timed
    (other trials training on a shared machine) cannot favour one of them.
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
        metrics = evaluate(model, dataset, eval_config, device=context.gate.latency.device)
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
    return {**latency_metrics(stats[0]), PREDICTIONS_KEY: gallery}, rows


def _set_isr(
    model: nn.Module, training: dict[str, tuple[int, ...]], setting: dict[str, tuple[int, ...] | None]
) -> None:
    """Back to the training setting, then `setting`: a part it leaves as None is not pooled harder."""
    model.set_isr(**training)
    model.set_isr(**setting)


def search_trial_fn(config: dict[str, Any], context: TrialContext) -> None:
    """Ray Tune function trainable of one search point."""
    import ray.tune
    from ray.tune.integration.ray_train import TuneReportCallback

    from pipeline.training import fit_model, replace_train, train_config_from_dict

    started = time.time()
    torch.set_num_threads(context.driver_threads)
    params = {k: v for k, v in config.items() if k != TRIAL_NUMBER_KEY}
    point = resolve_point(context.space, params, context.num_classes)
    costs, violations = context.gate.measure(point.model_config)
    device = format_fingerprint(collect_fingerprint(context.gate.latency.device))
    if violations:
        over = ", ".join(f"{metric} {costs[metric]:.4g} is {100 * v:.0f}% over budget" for metric, v in violations.items())
        ray.tune.report(
            {
                STATUS_KEY: STATUS_INFEASIBLE,
                m.EPOCH: 0,
                m.VAL_MIOU: 0.0,  # worst case, for Optuna; the results row records NaN (never trained)
                **costs,
                CONSTRAINT_KEY: sum(violations.values()),
                ERROR_KEY: f"infeasible: {over}",
                WALL_KEY: time.time() - started,
                DEVICE_KEY: device,
            }
        )
        return
    train = replace_train(train_config_from_dict(context.train), **point.hparams)
    result = fit_model(
        point.model_config,
        train,
        context.dataset,
        context.scaling,
        run_name=run_name(point.point_key),
        storage_path=str(Path(context.experiment_dir) / RUNS_DIR),
        callbacks=[TuneReportCallback()],
        extra_metrics=costs,
    )
    if result.checkpoint_path is None:
        raise RuntimeError(f"trial {trial_name(config[TRIAL_NUMBER_KEY])}: training ended without a checkpoint")
    # Timed again after training, with its ISR variants: the gate timed it before, under other load.
    latency, isr_rows = evaluate_finished(result.checkpoint_path, context, train.eval)
    curve = [float(h[m.VAL_MIOU]) for h in result.history if m.VAL_MIOU in h]
    ray.tune.report(
        {
            **result.metrics,
            **costs,
            **latency,
            STATUS_KEY: STATUS_FINISHED,
            CONSTRAINT_KEY: 0.0,
            CHECKPOINT_KEY: checkpoint_uri(result.checkpoint_path),
            ISR_KEY: json.dumps(isr_rows),
            CURVE_KEY: json.dumps(curve),
            WALL_KEY: time.time() - started,
            DEVICE_KEY: device,
        }
    )
